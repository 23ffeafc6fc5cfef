"""The incident report: what happened, who did what and when, the pictures and the sensor trends.

Everything is read from the records (:mod:`app.incidents.timeline`, :mod:`app.incidents.trends`); the
snapshots pass through the request's ``mask_image`` so bystanders' faces, and plates that are not the
incident's own (those of its access events), are blurred on paper.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from app.incidents.service import get_incident
from app.incidents.timeline import assemble, snapshots
from app.incidents.trends import excerpts
from app.reports.common import Request, site_facts
from app.reports.masking import keeping_plates
from app.reports.model import Heading, LineChart, Paragraph, Picture, Report, Series, Table
from app.reports.verify import new_report_id
from app.reports.words import word
from models.alarms import AlarmOccurrence


class ReportError(Exception):
    """The report cannot be made; the message says why in plain words."""


def _read_image(path: Path) -> np.ndarray | None:
    import cv2

    data = np.fromfile(str(path), dtype=np.uint8) if path.exists() else None
    if data is None or data.size == 0:
        return None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    return image if image is not None else None


def build_incident_report(
    session: Session, incident_id: int, request: Request, snapshot_root: Path
) -> Report:
    """The incident's report, ready for the renderer."""
    incident = get_incident(session, incident_id)
    if incident is None:
        raise ReportError(f"incident {incident_id} does not exist (see 'wardroom incidents list')")
    site = site_facts(session)
    lang = request.lang
    w = lambda key, **v: word(lang, key, **v)  # noqa: E731
    report = Report(
        report_id=new_report_id("incident", request.now),
        kind="incident",
        lang=lang,
        title=f"{w('incident_report')} #{incident.id}",
        site_name=site.name,
        generated_at=request.now,
        generated_by=request.user,
    )
    report.add(
        Heading(
            f"{w('incident_report')} #{incident.id}：{incident.title}"
            if lang == "zh_CN"
            else f"{w('incident_report')} #{incident.id}: {incident.title}"
        ),
        Paragraph(w("generated", who=request.user, at=site.clock(request.now))),
    )
    if request.unmasked_reason:
        report.add(Paragraph(w("unmasked", who=request.user, reason=request.unmasked_reason)))
    report.add(
        Heading(w("summary"), 2),
        Table(
            ("", ""),
            [
                (w("title"), incident.title),
                (w("status"), incident.status),
                (w("priority"), incident.priority),
                (w("building"), incident.building or "-"),
                (w("opened"), f"{site.clock(incident.opened_at)} · {incident.opened_by or '-'}"),
                (w("closed"), site.clock(incident.closed_at)),
                (w("team"), incident.duty_team or "-"),
            ],
        ),
    )
    if incident.alarm_ids:
        occs = [session.get(AlarmOccurrence, i) for i in incident.alarm_ids]
        report.add(
            Heading(w("alarms"), 2),
            Table(
                ("#", w("key"), w("category"), w("priority"), w("state"), w("time"), w("message")),
                [
                    (
                        str(o.id),
                        o.alarm_key,
                        o.category,
                        o.priority,
                        o.state,
                        site.clock(o.raised_at),
                        o.message,
                    )
                    for o in occs
                    if o is not None
                ],
            ),
        )
    entries = assemble(session, incident_id)
    report.add(
        Heading(w("timeline"), 2),
        Table(
            (w("time"), w("kind"), w("what"), w("who"), w("text")),
            [
                (site.clock(e.at), e.kind, e.what, e.by or "-", e.text)
                for e in entries
                if e.kind != "snapshot"
            ],
        ),
    )
    pictures = snapshots(session, incident_id)
    mask = keeping_plates(request.mask_image, {e.plate for e in entries if e.plate})
    if pictures:
        report.add(Heading(w("snapshots"), 2))
        if not request.unmasked_reason:
            report.add(Paragraph(w("masked_note")))
        for snap in pictures:
            image = _read_image(snapshot_root / snap.path)
            caption = w(
                "snapshot_caption",
                camera=snap.camera,
                at=site.clock(snap.taken_at),
                who=snap.user_name or "-",
            )
            if image is None:
                report.add(Paragraph(f"{caption}: (file missing: {snap.path})"))
                continue
            report.add(Picture(mask(image), caption, masked=not request.unmasked_reason))
    trends = excerpts(session, incident_id, request.now)
    if trends:
        report.add(Heading(w("trends"), 2))
        raised = [
            o.raised_at.timestamp()
            for o in (session.get(AlarmOccurrence, i) for i in incident.alarm_ids)
            if o is not None
        ]
        for t in trends:
            report.add(
                LineChart(
                    w("trend_caption", point=t.point_key, unit=t.unit or "-"),
                    t.unit,
                    [Series(t.point_key, t.series.ts, t.series.avg)],
                    marks=raised,
                )
            )
    return report
