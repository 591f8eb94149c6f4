"""The spreadsheet upload under /staff/directory/import: preview, then import (see #9, item 5).
"""

from __future__ import annotations

import base64
import binascii

from flask import Response, abort, current_app, make_response, render_template
from flask_babel import gettext as _

from webapp.editor import forms, services
from webapp.exchange import importer, sheets
from webapp.extensions import db
from webapp.staff import auth, bp


@bp.route("/directory/import/template.csv")
@auth.admin_required
@auth.home_required
def sheet_template() -> Response:
    """The column headers and one example row."""
    resp = make_response(sheets.template_csv())
    resp.headers["Content-Type"] = "text/csv; charset=utf-8"
    resp.headers["Content-Disposition"] = "attachment; filename=haven-directory-template.csv"
    return resp


def _page(status: int = 200, **ctx: object) -> tuple[str, int]:
    return render_template("editor/import.html", columns=sheets.COLUMNS,
                           upload=ctx.pop("upload", forms.SheetUploadForm()), **ctx), status


@bp.route("/directory/import", methods=["GET", "POST"])
@auth.admin_required
@auth.home_required
def sheet_import() -> tuple[str, int]:
    """Upload a sheet and see, row by row, what importing it would do."""
    upload = forms.SheetUploadForm()
    if not upload.validate_on_submit():
        return _page(400 if upload.is_submitted() else 200, upload=upload)
    file = upload.sheet.data
    filename = (file.filename or "").rsplit("/", 1)[-1]
    data = file.read(forms.MAX_SHEET_BYTES + 1)
    if not filename.lower().endswith((".csv", ".xlsx")):
        return _page(400, upload=upload, problem=_("Please choose a .csv or .xlsx file."))
    if len(data) > forms.MAX_SHEET_BYTES:
        return _page(400, upload=upload, problem=_(
            "This file is larger than 2 MB. Please split the sheet."))
    plan, rows = services.plan_bytes(data, filename, current_app.config["HSDS_SCHEMA_DIR"])
    db.session.rollback()
    confirm = None
    if rows is not None and (plan.count("new") or plan.count("changed")):
        confirm = forms.SheetConfirmForm(filename=filename,
                                         content=base64.b64encode(data).decode())
    return _page(200 if rows is not None else 400, plan=plan, confirm=confirm,
                 filename=filename)


@bp.route("/directory/import/confirm", methods=["POST"])
@auth.admin_required
@auth.home_required
def sheet_import_confirm() -> tuple[str, int]:
    """Check the previewed file again and write it, all or nothing."""
    form = forms.SheetConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        data = base64.b64decode(form.content.data or "", validate=True)
    except (binascii.Error, ValueError):
        abort(400)
    filename = form.filename.data or "sheet.csv"
    plan, rows = services.plan_bytes(data, filename, current_app.config["HSDS_SCHEMA_DIR"])
    if rows is None:
        db.session.rollback()
        return _page(400, plan=plan, filename=filename)
    count = importer.commit_rows(rows)
    auth.audit("sheet_imported", detail=f"new={plan.count('new')} "
                                        f"changed={plan.count('changed')} written={count}")
    return _page(200, plan=plan, filename=filename, imported=count)
