"""The staff directory editor: keeping listings true in the browser (see #9).

So far: the spreadsheet upload with its preview. Its routes attach to the staff blueprint, so
they share its sign-in, CSRF, audit log and the staff page language.
"""
