"""The registered plates: the only list vision may match a read plate against (DESIGN §6).

Plates are stored normalised (``app.plate_text.normalise_plate``, the one normaliser vision uses), so
a plate typed as ``浙a·12345`` and one read as ``浙A12345`` are the same key here and there.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.plate_text import PlateMatch, match_plate, normalise_plate
from models.vehicles import RegisteredVehicle


def registered_plates(session: Session, on: date) -> dict[int, str]:
    """Vehicle id -> normalised plate, for active registrations valid on ``on``."""
    query = select(RegisteredVehicle.id, RegisteredVehicle.plate).where(
        RegisteredVehicle.active.is_(True),
        RegisteredVehicle.plate.is_not(None),
        or_(RegisteredVehicle.expires_on.is_(None), RegisteredVehicle.expires_on >= on),
    )
    return {vid: plate for vid, plate in session.execute(query) if plate}


def find_registered(session: Session, read: str, on: date) -> PlateMatch | None:
    """The registered vehicle a read plate matches (exact, or one OCR confusion), or None."""
    return match_plate(normalise_plate(read), registered_plates(session, on))
