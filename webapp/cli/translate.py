"""`flask translate extract|update|compile|init`: pybabel with Haven's settings."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import click
from flask.cli import AppGroup

from webapp import i18n
from webapp.cli.common import fail
from webapp.config import ROOT

group = AppGroup("translate", help="Extract, update and compile translations.")

TRANSLATIONS = ROOT / "translations"


def _pybabel(*args: str) -> None:
    cmd = [sys.executable, "-m", "babel.messages.frontend", *args]
    # Run from the project root with relative paths, so catalogue comments do not depend on
    # where the checkout lives (the stale-.pot test compares them byte for byte).
    result = subprocess.run(cmd, check=False, capture_output=True, text=True,  # noqa: S603
                            cwd=ROOT)
    if result.returncode:
        fail(f"pybabel {args[0]} failed:\n{result.stderr}")


def extract_pot(target: Path) -> None:
    """Write the template catalogue for the current code to target."""
    _pybabel("extract", "-F", "translations/babel.cfg", "-k", "_l",
             "--add-comments=Translators:", "--sort-by-file", "--no-wrap",
             "--omit-header", "-o", str(target), "webapp")


@group.command("extract")
def extract_cmd() -> None:
    """Regenerate translations/messages.pot from the code and templates."""
    extract_pot(TRANSLATIONS / "messages.pot")
    click.echo("Wrote translations/messages.pot")


@group.command("update")
def update_cmd() -> None:
    """Extract, then merge new strings into every locale's messages.po."""
    extract_pot(TRANSLATIONS / "messages.pot")
    _pybabel("update", "-i", str(TRANSLATIONS / "messages.pot"), "-d", str(TRANSLATIONS),
             "--no-wrap")
    click.echo("Updated every catalogue; translate the new entries, then compile.")


@group.command("compile")
def compile_cmd() -> None:
    """Compile every messages.po into messages.mo (the .mo files are not committed)."""
    done = i18n.compile_catalogues(TRANSLATIONS, force=True)
    click.echo(f"Compiled {len(done)} catalogues.")


@group.command("init")
@click.argument("locale")
def init_cmd(locale: str) -> None:
    """Start a catalogue for a new locale (Babel identifier, e.g. 'de' or 'zh_Hans')."""
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        extract_pot(pot)
        _pybabel("init", "-i", str(pot), "-d", str(TRANSLATIONS), "-l", locale)
    click.echo(f"Created translations/{locale}/LC_MESSAGES/messages.po; add it to webapp/i18n.py.")
