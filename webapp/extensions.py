"""Extensions, created unbound: only the factory calls init_app."""

from __future__ import annotations

from flask_babel import Babel
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base shared by every model."""


db = SQLAlchemy(model_class=Base)
babel = Babel()
migrate = Migrate()
# Every POST needs a CSRF token, except the public blueprints create_app exempts by name.
csrf = CSRFProtect()
