"""The staff directory editor: keeping listings true in the browser.

Its pages (the listings, one listing's edits, history and translations, the spreadsheet
upload) are the `editor` blueprint, made by the staff blueprint factory, so they share the
staff sign-in, audit log and page language.
"""
