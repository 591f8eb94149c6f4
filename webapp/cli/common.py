"""What every command group shares: refusing with a message, and a schema brought up to date."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import click
from flask_migrate import upgrade
from sqlalchemy.exc import SQLAlchemyError


def fail(message: str) -> NoReturn:
    """Stop the command: 'Error: <message>' on stderr, exit status 1, no traceback."""
    raise click.ClickException(message)


@contextmanager
def failing_on(*errors: type[Exception]) -> Iterator[None]:
    """Turn a service's refusal (its message names the problem) into `fail`."""
    try:
        yield
    except errors as exc:
        raise click.ClickException(str(exc)) from exc


def database_refusal(exc: SQLAlchemyError, limit: int) -> str:
    """The database's own words for a refused write, cut to `limit` characters."""
    return f"{exc.__class__.__name__}: {str(exc.orig if hasattr(exc, 'orig') else exc)[:limit]}"


def migrate_first() -> None:
    """Bring the schema up to date first: on a fresh install there is none yet."""
    try:
        upgrade()
    except SQLAlchemyError as exc:
        fail(f"the database could not be prepared ({exc.__class__.__name__}); check "
             "DATABASE_URL, then run: flask --app app db upgrade")
