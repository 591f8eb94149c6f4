"""The directory area: search, pages, the HSDS API, import and export."""
