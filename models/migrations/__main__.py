"""Developer tool: ``python -m models.migrations revision -m MESSAGE`` (or ``heads``).

Autogenerates a revision against a scratch SQLite database upgraded to the current head, so the
new script holds exactly the difference between the last migration and ``Base.metadata``. Review
the result before committing: autogenerate does not see renames or data moves.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from alembic import command

from models.migrations import MIGRATIONS_DIR, alembic_config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.migrations")
    sub = parser.add_subparsers(dest="cmd", required=True)
    rev = sub.add_parser("revision", help="autogenerate a new revision")
    rev.add_argument("-m", "--message", required=True)
    sub.add_parser("heads", help="show the head revision(s)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        config = alembic_config(f"sqlite:///{Path(tmp) / 'scratch.sqlite3'}")
        if args.cmd == "heads":
            command.heads(config)
            return 0
        command.upgrade(config, "head")
        # Revision ids are a readable sequence: 0001, 0002, ...
        rev_id = f"{len(list((MIGRATIONS_DIR / 'versions').glob('rev*.py'))) + 1:04d}"
        command.revision(config, message=args.message, autogenerate=True, rev_id=rev_id)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
