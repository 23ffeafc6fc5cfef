"""What every report builder shares: the site's name and clock, and who asked for the report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alarms.actions import SiteRules, site_rules
from app.reports.masking import DEFAULT_MASK, MaskImage
from models.site import SITE_KEY, Site


@dataclass(frozen=True)
class Request:
    """Who asks for a report, in which language, at what time, and how its pictures are masked.

    ``unmasked_reason`` is set only for a print that the permissions table allowed unmasked (and
    that was audited as ``report.unmasked``); the report then says so on its first page.
    """

    user: str
    lang: str
    now: datetime
    mask_image: MaskImage = DEFAULT_MASK
    unmasked_reason: str = ""


@dataclass(frozen=True)
class SiteFacts:
    name: str
    rules: SiteRules

    def clock(self, at: datetime | None) -> str:
        return self.rules.clock(at) if at is not None else "-"


def site_facts(session: Session) -> SiteFacts:
    name = session.scalar(select(Site.name).where(Site.key == SITE_KEY))
    return SiteFacts(name or "Wardroom", site_rules(session))
