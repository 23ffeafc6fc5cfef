"""Alembic migrations for the Wardroom schema, driven from code (no ``alembic.ini`` at run time).

Why programmatic: an installed Wardroom has no working directory to find an ini file in, and the
engine (with its SQLite pragmas and single writer) must be the application's own. ``app.storage``
passes its connection through ``Config.attributes["connection"]``; ``env.py`` uses it.

For developers, a new revision is generated with::

    .venv/bin/python -m models.migrations revision -m "what changed"

which upgrades a scratch SQLite file to head and autogenerates against ``Base.metadata``.
"""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at this package's scripts (and at ``url`` when given)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # File names must be importable module names (mypy checks them): "rev0001_initial_schema.py".
    config.set_main_option("file_template", "rev%%(rev)s_%%(slug)s")
    if url is not None:
        # ConfigParser interpolation: a "%" in a password must be doubled.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config
