"""Sealed referrals: part of a tip handed to another member organisation (see #11, item 3)."""
