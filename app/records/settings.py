"""The site's ``[records]`` rules as the records services use them: tags, working age, visit interval.

Read from the synced ``sites`` row (``app.site.sync`` writes the file's ``[records]`` there), so the
records commands and pages apply the site file's rules without needing the file itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.site import SITE_KEY, Site

BUILTIN_TAGS: dict[str, str] = {
    "lives-alone": "独居",
    "mobility": "行动不便",
    "disability": "残疾",
    "chronic-illness": "慢性病",
    "low-income": "低保",
    "veteran": "退役军人",
    "empty-nest": "空巢",
}
"""The fixed list of resident tags (id -> Chinese label); a site file's ``[records] tags`` adds to it."""

HEALTH_TAGS: frozenset[str] = frozenset({"mobility", "disability", "chronic-illness"})
"""Tags that are health data: shown only to roles that may see unmasked records."""

ELDERLY_AGE = 60


@dataclass(frozen=True)
class RecordsRules:
    """What the records services need from the site: tags, working age, visit interval, time zone."""

    tags: dict[str, str] = field(default_factory=lambda: dict(BUILTIN_TAGS))
    working_age: tuple[int, int] = (16, 60)
    visit_interval_days: int = 7
    timezone: str = "UTC"

    def tag_id(self, text: str) -> str | None:
        """The tag id for an English id or a Chinese label, or None when neither is known."""
        value = text.strip()
        if value.lower() in self.tags:
            return value.lower()
        for tag, label in self.tags.items():
            if label and label == value:
                return tag
        return None

    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    def today(self, now: datetime | None = None) -> date:
        """Today's date on the site's wall clock (ages and overdue visits count in site days)."""
        return (now or datetime.now(self.zone())).astimezone(self.zone()).date()


def load_rules(session: Session) -> RecordsRules:
    """The rules of the site last synced into the database (defaults before the first sync)."""
    site = session.scalar(select(Site).where(Site.key == SITE_KEY))
    if site is None:
        return RecordsRules()
    try:
        raw = json.loads(site.records_settings or "{}")
    except ValueError:
        raw = {}
    tags = dict(BUILTIN_TAGS)
    for spec in raw.get("tags", []):
        tags[str(spec["id"])] = str(spec.get("label", ""))
    low, high = raw.get("working_age", (16, 60))
    return RecordsRules(
        tags=tags,
        working_age=(int(low), int(high)),
        visit_interval_days=int(raw.get("visit_interval_days", 7)),
        timezone=site.timezone,
    )
