"""Running Haven for real: health checks for the proxy and the service manager."""
