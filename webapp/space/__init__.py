"""Shelter space: each shelter's status now, private update links, and space requests without
names between member organisations."""
