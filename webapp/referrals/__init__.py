"""Sealed referrals: part of a tip handed to another member organisation."""
