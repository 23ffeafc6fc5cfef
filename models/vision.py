"""What vision keeps: access events, one row per vehicle whose plate a gate camera accepted.

An access event is personal data (a plate says who came and went), so it is kept only
``[vision] access_retention_days`` (default 90) and then purged. The plate is matched only against
the ward's own ``registered_vehicles`` (DESIGN §6); ``status`` says what the match found, and an
expired or withdrawn registration is stored as such (not as registered), so the duty officer reads
*why* a known plate was not let through. ``snapshot_id`` points at the face-masked picture of the
moment; snapshots have a shorter retention, so the link is set to NULL when the picture goes, while
the event stays until its own retention ends.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import KEY_LENGTH, Base, UTCDateTime, one_of

ACCESS_STATUSES: tuple[str, ...] = ("registered", "unregistered", "expired", "inactive")
"""``registered``: a current registration matched. ``unregistered``: no registered vehicle has this
plate. ``expired``: the matched registration's ``expires_on`` has passed. ``inactive``: the matched
registration was withdrawn (``active`` false). Only ``registered`` counts as registered."""


class AccessEvent(Base):
    __tablename__ = "access_events"
    __table_args__ = (one_of("status", ACCESS_STATUSES), Index(None, "camera", "seen_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    camera: Mapped[str] = mapped_column(String(KEY_LENGTH), doc="the camera's site-file id")
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True, doc="the accepted frame's time")
    plate: Mapped[str] = mapped_column(String(32), index=True, doc="normalised (app.plate_text)")
    status: Mapped[str] = mapped_column(String(16))
    vehicle_id: Mapped[int | None] = mapped_column(
        ForeignKey("registered_vehicles.id", ondelete="SET NULL"),
        index=True,
        doc="the matched registration (also when expired or inactive); None when unregistered",
    )
    matched_plate: Mapped[str | None] = mapped_column(
        String(32), doc="the registered plate when it differs from the read by one confusable character"
    )
    track_id: Mapped[int | None] = mapped_column(Integer, doc="the tracker's id of the vehicle")
    confidence: Mapped[float | None] = mapped_column(Float, doc="the plate reader's confidence")
    snapshot_id: Mapped[int | None] = mapped_column(
        ForeignKey("snapshots.id", ondelete="SET NULL"), index=True, doc="the face-masked picture"
    )

    @property
    def registered(self) -> bool:
        """Whether a current registration matched (expired and withdrawn ones do not count)."""
        return self.status == "registered"
