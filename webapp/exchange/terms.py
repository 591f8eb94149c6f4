"""Taxonomies and their terms: shaped into rows on import (exchange/shaping.py), and the
term hierarchy the API filters on (parent_id, top_only)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select

from webapp.directory import taxonomy as haven
from webapp.exchange import extras
from webapp.exchange.extras import REF, key
from webapp.exchange.shaping import Shaper
from webapp.models import TaxonomyTerm
from webapp.search import search

TERM = frozenset({"id", "code", "name", "description", "taxonomy", "taxonomy_id", "parent_id",
                  "taxonomy_detail"})
TAXONOMY = frozenset({"id", "name", "description", "uri", "version"})


def hierarchy(query: Select[Any], args: Any) -> Select[Any]:
    """A taxonomy_terms query narrowed by the request's parent_id (the terms with that
    parent) and top_only (terms with no parent); a bad top_only is a BadQuery (a 400)."""
    parent = (args.get("parent_id") or "").strip()[:64]
    if parent:
        query = query.where(TaxonomyTerm.parent_id == parent.lower())
    if search.flag(args, "top_only"):
        query = query.where(TaxonomyTerm.parent_id.is_(None))
    return query


def taxonomy(shaper: Shaper, tax: dict[str, Any], path: str) -> str:
    """Shape a taxonomy object into its row."""
    tid = shaper.ident(tax, path)
    row = {"id": tid, "name": tax["name"], "description": tax.get("description", ""),
           "uri": tax.get("uri"), "version": tax.get("version")}
    extra = extras.split(tax, TAXONOMY, path, shaper.notes)
    shaper.again("taxonomy", tid, tax, path)
    shaper.rows.taxonomies[tid] = shaper.with_extras(row, extra, path)
    return str(tid)


def term(shaper: Shaper, term: dict[str, Any], path: str) -> str:
    """Shape a taxonomy_term object (and its taxonomy) into rows; returns its id."""
    tax_name = str(term.get("taxonomy") or "")
    detail = term.get("taxonomy_detail")
    extra = extras.split(term, TERM, path, shaper.notes)
    tax_id = shaper.ident(term, path, "taxonomy_id")
    if isinstance(detail, dict) and isinstance(detail.get("id"), str):
        detail_id = taxonomy(shaper, detail, key(path, "taxonomy_detail"))
        extra["taxonomy_detail"] = {REF: "taxonomy", "id": detail_id}
        tax_id = tax_id or detail_id
    elif detail is not None:
        extra["taxonomy_detail"] = detail
    if tax_name and not tax_id:
        tax_id = haven.taxonomy_id(tax_name)
    if tax_id and tax_id not in shaper.rows.taxonomies:
        # Named, not described: written only if no taxonomy has this id (_stub).
        shaper.rows.taxonomies[tax_id] = {"id": tax_id, "name": tax_name or tax_id,
                                          "description": tax_name or "", "uri": None,
                                          "version": None, "_stub": True}
    code = str(term.get("code") or term.get("name") or "")
    term_id = shaper.ident(term, path)
    if (tax_name, code) in haven.BY_CODE:
        # Haven's own terms keep Haven's stable ids whatever the file calls them.
        haven_id = haven.BY_CODE[(tax_name, code)].id
        if haven_id != term_id:
            shaper.notes.changed(key(path, "id"), term["id"], haven_id)
        term_id = haven_id
    if term.get("description") == "" and term.get("name"):
        shaper.notes.changed(key(path, "description"), "", term["name"])
    row = {"id": term_id, "taxonomy_id": tax_id, "taxonomy_name": tax_name, "code": code,
           "name": term.get("name", ""), "description": term.get("description", ""),
           "parent_id": shaper.ident(term, path, "parent_id")}
    shaper.again("taxonomy_term", term_id, term, path)
    shaper.rows.terms[term_id] = shaper.with_extras(row, extra, path)
    return str(term_id)
