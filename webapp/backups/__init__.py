"""Encrypted, dialect-neutral backups of the whole database.

`flask --app app backup create|restore|verify`; the file format is in fileformat.py, what goes
into it and how it comes back in services.py.
"""
