"""Shelter space: each shelter's status now, private update links, and space requests without
names between member organisations (see #11, items 4 and 5)."""
