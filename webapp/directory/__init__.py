"""The public directory pages and the domain helpers they share: taxonomy, hours, geography."""
