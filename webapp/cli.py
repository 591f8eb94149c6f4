"""`flask` commands. Each command's docstring is its help text."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NoReturn

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from webapp.config import ROOT
from webapp.exchange import hsds, importer, preview, sheets
from webapp.extensions import db
from webapp.models import Service
from webapp.search import changelog, memindex

services_cli = AppGroup("services", help="Import, export and seed directory data (HSDS 3.0).")
translate_cli = AppGroup("translate", help="Extract, update and compile translations.")
keys_cli = AppGroup("keys", help="The organisation key that protects tips.")
staff_cli = AppGroup("staff", help="Staff accounts for the tip inbox.")
posters_cli = AppGroup("posters", help="Print outreach posters, cards and stickers.")

TRANSLATIONS = ROOT / "translations"


def _fail(message: str) -> NoReturn:
    raise click.ClickException(message)


@services_cli.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and show what would change; write nothing.")
def import_cmd(path: Path, dry_run: bool) -> None:
    """Import HSDS 3.0 JSON (one service, a list, or a folder), a CSV datapackage, or a
    spreadsheet (.csv or .xlsx, one row per service; `services template` prints the headers).

    Everything is validated first; one bad record or row and nothing is written.
    """
    if path.suffix.lower() in (".csv", ".xlsx") and not path.is_dir():
        _import_sheet(path, dry_run)
        return
    try:
        records = importer.read_records(path)
        with click.progressbar(length=len(records), label="Validating" if dry_run else
                               "Importing", file=sys.stderr) as bar:
            done = importer.import_records(records, current_app.config["HSDS_SCHEMA_DIR"],
                                           dry_run=dry_run, progress=bar.update)
        if dry_run:
            click.echo(f"{done.services} service(s) in {path} are valid; nothing was "
                       "written (dry run).")
            return
    except SQLAlchemyError as exc:
        db.session.rollback()
        _refused_by_database(exc)
        return
    except importer.ImportError_ as exc:
        db.session.rollback()
        _refused(exc.errors)
        return
    for warning in done.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"Imported {done.services} service(s) from {path}.")
    memindex.persist()  # workers that start next load the index instead of building it


def _refused(errors: list[str]) -> None:
    shown = errors[:50]
    more = len(errors) - len(shown)
    _fail("nothing was imported:\n  " + "\n  ".join(shown)
          + (f"\n  … and {more} more" if more > 0 else ""))


def _refused_by_database(exc: SQLAlchemyError) -> None:
    _fail(f"nothing was imported: the database refused it ({exc.__class__.__name__}: "
          f"{str(exc.orig if hasattr(exc, 'orig') else exc)[:300]})")


def _import_sheet(path: Path, dry_run: bool) -> None:
    """A spreadsheet: preview every row (new / changed / unchanged / error), then write."""
    try:
        plan = preview.plan(path)
        rows = preview.validate(plan, current_app.config["HSDS_SCHEMA_DIR"])
    except importer.ImportError_ as exc:
        db.session.rollback()
        _refused(exc.errors)
        return
    for r in plan.rows:
        extra = f": {', '.join(r.changed)}" if r.changed and r.status == "changed" else ""
        click.echo(f"row {r.number} (file line {r.number + 1})  {r.status:<9}  {r.name}{extra}")
    summary = (f"{plan.count('new')} new, {plan.count('changed')} changed, "
               f"{plan.count('unchanged')} unchanged, {plan.count('error')} with errors")
    db.session.rollback()
    if plan.errors or rows is None:
        _refused(plan.errors)
        return
    if dry_run:
        click.echo(f"{summary}; nothing was written (dry run).")
        return
    try:
        count = importer.commit_rows(rows)
    except SQLAlchemyError as exc:
        _refused_by_database(exc)
        return
    click.echo(f"{summary}; imported {count} service(s) from {path.name}.")
    memindex.persist()


@services_cli.command("template")
@click.argument("path", type=click.Path(path_type=Path), required=False)
def template_cmd(path: Path | None) -> None:
    """Write the spreadsheet template (the column headers and one example row) as CSV to
    PATH, or print it."""
    text = sheets.template_csv()
    if path is None:
        click.echo(text, nl=False)
        return
    path.write_text(text, encoding="utf-8")
    click.echo(f"Wrote the template to {path}.")


@services_cli.command("export")
@click.argument("path", type=click.Path(path_type=Path))
def export_cmd(path: Path) -> None:
    """Write every service as HSDS 3.0 JSON (a list) to PATH, validated before writing.

    Confidential locations carry only their city and coarse point, never the address.
    """
    schema_dir = current_app.config["HSDS_SCHEMA_DIR"]
    ids = db.session.scalars(select(Service.id).order_by(Service.id)).all()
    from webapp.directory.queries import load_services

    out = []
    for i in range(0, len(ids), 500):
        for svc in load_services(list(ids[i:i + 500])):
            doc = hsds.service_json(svc)
            errors = hsds.schema_errors(schema_dir, "service", doc)
            if errors:
                _fail(f"service {svc.id} does not validate: {errors[0]}")
            out.append(doc)
    if path.is_dir():
        path = path / "services.json"
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)  # never a half-written export
    click.echo(f"Exported {len(out)} service(s) to {path}.")


def seed_if_empty(app: Flask) -> bool:
    """Load services_data/ into an empty directory; returns True when it loaded."""
    importer.ensure_taxonomies()
    db.session.commit()
    if db.session.scalar(select(func.count()).select_from(Service)):
        return False
    data = Path(app.config["HAVEN_DATA_DIR"])
    importer.import_path(data, app.config["HSDS_SCHEMA_DIR"])
    demo = db.session.scalar(select(func.count()).where(Service.is_demo.is_(True)))
    changelog.set_meta("demo_loaded", "1" if demo else "0")
    db.session.commit()
    memindex.persist()
    return True


@services_cli.command("seed")
def seed_cmd() -> None:
    """Load the default dataset (services_data/) if the directory is empty."""
    _migrate_first()  # a fresh database has no schema yet
    loaded = seed_if_empty(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo("Seeded the directory." if loaded else "The directory already has services.")


def _pybabel(*args: str) -> None:
    cmd = [sys.executable, "-m", "babel.messages.frontend", *args]
    # Run from the project root with relative paths, so catalogue comments do not depend on
    # where the checkout lives (the stale-.pot test compares them byte for byte).
    result = subprocess.run(cmd, check=False, capture_output=True, text=True,  # noqa: S603
                            cwd=ROOT)
    if result.returncode:
        _fail(f"pybabel {args[0]} failed:\n{result.stderr}")


def extract_pot(target: Path) -> None:
    """Write the template catalogue for the current code to target."""
    _pybabel("extract", "-F", "translations/babel.cfg", "-k", "_l",
             "--add-comments=Translators:", "--sort-by-file", "--no-wrap",
             "--omit-header", "-o", str(target), "webapp")


@translate_cli.command("extract")
def extract_cmd() -> None:
    """Regenerate translations/messages.pot from the code and templates."""
    extract_pot(TRANSLATIONS / "messages.pot")
    click.echo("Wrote translations/messages.pot")


@translate_cli.command("update")
def update_cmd() -> None:
    """Extract, then merge new strings into every locale's messages.po."""
    extract_pot(TRANSLATIONS / "messages.pot")
    _pybabel("update", "-i", str(TRANSLATIONS / "messages.pot"), "-d", str(TRANSLATIONS),
             "--no-wrap")
    click.echo("Updated every catalogue; translate the new entries, then compile.")


@translate_cli.command("compile")
def compile_cmd() -> None:
    """Compile every messages.po into messages.mo (the .mo files are not committed)."""
    from webapp import i18n

    done = i18n.compile_catalogues(TRANSLATIONS, force=True)
    click.echo(f"Compiled {len(done)} catalogues.")


@translate_cli.command("init")
@click.argument("locale")
def init_cmd(locale: str) -> None:
    """Start a catalogue for a new locale (Babel identifier, e.g. 'de' or 'zh_Hans')."""
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        extract_pot(pot)
        _pybabel("init", "-i", str(pot), "-d", str(TRANSLATIONS), "-l", locale)
    click.echo(f"Created translations/{locale}/LC_MESSAGES/messages.po; add it to webapp/i18n.py.")


def init_app(app: Flask) -> None:
    """Register the command groups."""
    app.cli.add_command(services_cli)
    app.cli.add_command(translate_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(staff_cli)
    app.cli.add_command(posters_cli)
    from webapp.backups.cli import backup_cli
    from webapp.coalition.cli import orgs_cli
    from webapp.space.cli import space_cli

    app.cli.add_command(backup_cli)
    app.cli.add_command(orgs_cli)
    app.cli.add_command(space_cli)
    from webapp.booklet.cli import directory_cli
    from webapp.sms.cli import sms_cli

    app.cli.add_command(directory_cli)
    app.cli.add_command(sms_cli)


def _migrate_first() -> None:
    """Bring the schema up to date first: on a fresh install there is none yet (see #13)."""
    from flask_migrate import upgrade
    from sqlalchemy.exc import SQLAlchemyError

    try:
        upgrade()
    except SQLAlchemyError as exc:
        _fail(f"the database could not be prepared ({exc.__class__.__name__}); check "
              "DATABASE_URL, then run: flask --app app db upgrade")


@keys_cli.command("init")
@click.option("--passphrase", prompt=True, hide_input=True, confirmation_prompt=True,
              help="The staff passphrase that unlocks tips (asked for if not given).")
@click.option("--rotate", is_flag=True, help="Make a new key even though one exists.")
@click.option("--org", "org", default="default", show_default=True,
              help="The member organisation (slug) whose key this is: each has its own.")
def keys_init_cmd(passphrase: str, rotate: bool, org: str) -> None:
    """Create an organisation's key pair; the private key is stored only under the passphrase.

    Tips already stored stay readable with the key they were sealed to.
    """
    from webapp.coalition import services as members
    from webapp.models import OrgKey
    from webapp.tips import crypto, services

    if len(passphrase) < 12:
        _fail("the passphrase must have at least 12 characters")
    _migrate_first()
    member = members.by_slug(org)
    if member is None:
        _fail(f"--org {org!r}: no such member organisation (see: flask --app app orgs list)")
    if members.current_key(member.id) is not None and not rotate:
        _fail(f"{org!r} already has a key (use --rotate to make a new one)")
    strength = current_app.config["HAVEN_PASSPHRASE_KDF"]
    if strength == "interactive":
        argon = crypto.pwhash.argon2id
        ops, mem = argon.OPSLIMIT_INTERACTIVE, argon.MEMLIMIT_INTERACTIVE
    else:
        ops, mem = crypto.PASSPHRASE_OPS, crypto.PASSPHRASE_MEM
    made = crypto.make_org_key(passphrase, ops, mem)
    db.session.add(OrgKey(public_key=made.public_key, sealed_private=made.sealed_private,
                          kdf_salt=made.salt, kdf_ops=made.ops, kdf_mem=made.mem,
                          created_hour=services.hour(), member_id=member.id))
    db.session.commit()
    click.echo(f"Key for {member.slug!r} created. Keep the passphrase safe: no tip sent to "
               "this organisation can be read without it.")


@staff_cli.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "reviewer", "editor", "org-editor"]),
              default="reviewer", show_default=True)
@click.option("--org", "org", default="", help="the organisation (id or exact name) of an "
              "org-editor")
@click.option("--member", default="default", show_default=True,
              help="The member organisation (slug) this person works for: its inbox only.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user_cmd(username: str, role: str, org: str, member: str, password: str) -> None:
    """Create a staff account and print its TOTP secret (enrol it in an authenticator app)."""
    import re

    from webapp.models import StaffUser
    from webapp.staff import auth

    if not re.fullmatch(r"[A-Za-z0-9._-]{3,64}", username):
        _fail("the username must be 3 to 64 letters, digits, dots or dashes")
    if len(password) < 12:
        _fail("the password must have at least 12 characters")
    _migrate_first()
    if db.session.scalar(select(StaffUser).where(StaffUser.username == username)):
        _fail(f"a user named {username!r} already exists")
    from webapp.coalition import services as members

    works_for = members.by_slug(member)
    if works_for is None:
        _fail(f"--member {member!r}: no such member organisation (see: flask --app app "
              "orgs list)")
    org_id = None
    if role == "org-editor" or org:
        from webapp.models import Organization

        found = db.session.scalars(select(Organization.id).where(
            (Organization.id == org) | (Organization.name == org))).all()
        if len(found) != 1:
            _fail(f"--org {org!r}: name exactly one organisation (id or name)"
                  if org else "an org-editor needs --org (an organisation id or name)")
        org_id = found[0]
    user, secret = auth.create_user(username, password, role, organization_id=org_id,
                                    member_id=works_for.id)
    uri = auth.totp_for(user).provisioning_uri(name=username,
                                               issuer_name=current_app.config["HAVEN_APP_NAME"])
    click.echo(f"Created {role} {username!r}.\nTOTP secret (shown once): {secret}\n{uri}")


@posters_cli.command("build")
@click.option("--languages", default="en", show_default=True, help="1 to 3 tags, e.g. en,es,ar")
@click.option("--format", "fmt", default="a4", show_default=True,
              help="a4, letter, a5, cards, stickers or tearoff")
@click.option("--target", default="home", show_default=True, help="home, tip or a category")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path))
@click.option("--base-url", default="", help="Address printed in the QR code "
              "(default: HAVEN_PUBLIC_URL)")
def posters_build_cmd(languages: str, fmt: str, target: str, out: Path, base_url: str) -> None:
    """Render one poster per country with verified hotlines, into OUT/<country>-<format>.pdf."""
    from werkzeug.exceptions import BadRequest

    from webapp.posters import render, routes

    base = (base_url or current_app.config.get("HAVEN_PUBLIC_URL") or "").rstrip("/")
    if not base.startswith(("http://", "https://")):
        _fail("give --base-url (or set HAVEN_PUBLIC_URL): the address the QR code opens")
    args = {"languages": languages, "format": fmt, "target": target}
    with current_app.test_request_context(base_url=base):
        countries = routes.countries()
        try:
            routes.parse({**args, "country": countries[0] if countries else ""})
        except BadRequest as exc:
            _fail(getattr(exc, "haven_message", str(exc)))
        out.mkdir(parents=True, exist_ok=True)
        with click.progressbar(countries, label="Rendering") as bar:
            for country in bar:
                req = routes.parse({**args, "country": country})
                pdf = render.render_pdf(routes.spec_for(req, base))
                (out / f"{country}-{fmt}.pdf").write_bytes(pdf)
    click.echo(f"Wrote {len(countries)} posters to {out}")
