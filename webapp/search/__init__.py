"""The search engine: tokens, vocabulary, the in-memory index and the SQL fallback.

The Python twin of static/js/search.js: tests/search_vectors.json holds both to one contract.
"""
