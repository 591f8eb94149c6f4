"""The coalition: member organisations, their keys and staff, and its statistics."""
