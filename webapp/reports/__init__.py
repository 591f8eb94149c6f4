"""Readers tell us a listing is wrong; staff see it in a queue and act."""
