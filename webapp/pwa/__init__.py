"""Offline-first: the web app manifest, the service worker and the offline bundle."""
