"""SQLAlchemy 2.0 typed ORM and plain domain value types. No Qt, no app.

Importing the package registers every table on ``models.base.Base.metadata`` (what Alembic and the
schema tests compare against), so a partial import can never produce a partial schema.
"""

from models import alarms, audit, fleet, history, incidents, people, site, users, vehicles, video, vision
from models.base import Base

__all__ = [
    "Base",
    "alarms",
    "audit",
    "fleet",
    "history",
    "incidents",
    "people",
    "site",
    "users",
    "vehicles",
    "video",
    "vision",
]
