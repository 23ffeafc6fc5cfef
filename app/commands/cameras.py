"""``wardroom cameras``: the cameras of a site as a duty officer would want them checked.

- ``cameras status --site FILE [--seconds N] [--json] [--direct]`` opens every enabled camera's main
  stream for N seconds through a capture hub (the same grabbers, masks and states as the station)
  and reports each camera's state, size, measured frame rate, the age of its newest frame and, when
  it is not fine, why in plain words. A camera that a live station owns is read from that station's
  live table instead (one line on stderr names the station), so the command never opens a second
  stream beside the station's; ``--direct`` opens every camera itself. Simulated cameras of the site
  are served by simulators this command starts for its own run. Exit 0 even when cameras are down
  (a dead camera is an answer); 2 for a bad site file.

OpenCV (through the hub) is imported only once cameras are actually opened, so reading a station's
states, or a bad site file, answers without it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from app.commands.common import (
    DatabaseOpt,
    DemoOpt,
    JsonOpt,
    database_url,
    err,
    load_site_or_exit,
    print_json,
    read_station_tables,
    site_path,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.site.loader import LoadedSite
    from app.site.schema import Camera, CameraSettings, SiteFile
    from app.video.frames import CameraStatus, FrameSource

cameras_app = typer.Typer(help="Check the site's cameras.", no_args_is_help=True)

SiteOptional = Annotated[Path | None, typer.Option("--site", help="Site file (TOML); or --demo.")]
POLL_S = 0.02  # how often each camera's newest frame is looked at while measuring
SETTLE_MARGIN_S = 1.0
FRESH_S = 0.5  # a live camera's newest frame older than this (and two frame intervals): wait and see
STOP_WAIT_S = 0.5  # readers blocked on a frozen stream end only at their read timeout: not waited for
STATION_STATES = {"connected": "live", "disconnected": "lost", "unknown": "connecting"}
"""Link states a station of an older release may still write, in today's camera words."""


# ----------------------------------------------------------------------------- from the stations
def camera_holders(session: Session, site: SiteFile) -> dict[str, str]:
    """Camera id -> the live station holding the lease of its stream (heartbeating, lease fresh).

    A silent station's camera, or one whose lease expired, is not in the answer: no one watches it
    now, and its last state in the live table could look fine when it is not.
    """
    from app.fleet.clock import db_now
    from app.fleet.connections import connection_of, site_connections
    from app.fleet.leases import leases, stations

    now = db_now(session)
    live = {s.name for s in stations(session, now) if s.stopped_at is None and not s.silent()}
    held = leases(session)
    lease_of = connection_of(site_connections(site))
    holders: dict[str, str] = {}
    for camera in site.camera:
        member = f"camera:{camera.id}"
        lease = held.get(lease_of.get(member, ""))
        if lease is not None and lease.station in live and member in lease.members and not lease.expired(now):
            holders[camera.id] = lease.station
    return holders


@dataclass(frozen=True)
class StationLink:
    """A camera's state as its station last wrote it to ``live_links``."""

    state: str
    reason: str
    seen_at: float | None  # epoch seconds of the newest frame the station had


def station_links(session: Session, holders: dict[str, str]) -> dict[str, StationLink]:
    from sqlalchemy import select

    from models.fleet import LiveLink

    if not holders:
        return {}
    keys = [f"camera:{camera_id}" for camera_id in holders]
    found: dict[str, StationLink] = {}
    for row in session.scalars(select(LiveLink).where(LiveLink.key.in_(keys))):
        if row.station != holders.get(row.device):
            continue  # written by a station that no longer holds it
        state = STATION_STATES.get(row.status, row.status)
        found[row.device] = StationLink(state, row.reason or "", row.seen_at)
    return found


def _from_stations(loaded: LoadedSite, url: str | None) -> tuple[dict[str, str], dict[str, StationLink]]:
    """Which cameras live stations hold and their states; ``({}, {})`` when that cannot be known.

    A database that cannot be opened or read is said on stderr and every camera is opened directly
    (the report is still what was asked for). A SQLite file that does not exist yet has had no
    station, and is not created just to find that out.
    """

    def read(session: Session) -> tuple[dict[str, str], dict[str, StationLink]]:
        holders = camera_holders(session, loaded.site)
        return holders, station_links(session, holders)

    found = read_station_tables(
        url, read, about="which stations own the cameras", otherwise="opening every camera directly"
    )
    return found if found is not None else ({}, {})


def station_row(camera: Camera, station: str, link: StationLink | None, now: float) -> dict[str, Any]:
    """A station-owned camera as a row: its state and frame age; size and rate are the station's."""
    error: str | None
    if link is None:
        state, error, age_ms = "connecting", f"station {station} has not reported it yet", None
    else:
        state = link.state
        age_ms = None if link.seen_at is None else max(0, round((now - link.seen_at) * 1000))
        error = None if state == "live" else (link.reason or _STATE_WORDS.get(state, state))
    return _row(camera, state, None, None, None, age_ms, error, f"station:{station}")


# ----------------------------------------------------------------------------- opened by this command
_STATE_WORDS = {
    "stalled": "the stream is open but no picture is coming",
    "lost": "the camera cannot be reached",
    "error": "the camera answers but its stream cannot be shown",
    "connecting": "no picture yet",
    "disabled": "switched off in the site file (enabled = false)",
}


@dataclass
class _Seen:
    """What this command saw of one camera's frames while measuring."""

    source: FrameSource
    first_seq: int | None = None
    first_at: float = 0.0
    last_seq: int | None = None
    frame_at: float | None = None
    width: int | None = None
    height: int | None = None

    def look(self) -> None:
        frame = self.source.latest()
        if frame is None or frame.seq == self.last_seq:
            return
        if self.first_seq is None:
            self.first_seq, self.first_at = frame.seq, frame.at
        self.last_seq, self.frame_at = frame.seq, frame.at
        self.height, self.width = int(frame.image.shape[0]), int(frame.image.shape[1])

    def fps(self, state: str, now: float) -> float:
        """Frames per second, from the frames' own times: over first..newest frame when live, else up
        to now (so a stream that stopped early is not credited with its early rate)."""
        if self.first_seq is None or self.last_seq is None or self.frame_at is None:
            return 0.0
        span = (self.frame_at if state == "live" else now) - self.first_at
        return round((self.last_seq - self.first_seq) / span, 1) if span > 0 else 0.0


def _unsettled(status: CameraStatus, seen: _Seen, now: float) -> bool:
    """Still finding out: no verdict yet, or "live" on a frame older than two frame intervals (at
    least ``FRESH_S``): the stream may be stalling, and the grabber says so only after ``stall_s``."""
    if status.state == "connecting":
        return True
    if status.state != "live" or seen.frame_at is None:
        return False
    interval = 1.0 / status.fps if status.fps > 0 else 0.0
    return now - seen.frame_at > max(FRESH_S, 2.0 * interval)


def measure(
    cameras: Sequence[Camera], settings: CameraSettings, urls: dict[str, str], seconds: float
) -> dict[str, dict[str, Any]]:
    """Open each camera's main stream through a capture hub for ``seconds`` and report each as a row.

    When the time is up, a camera still connecting (an address that swallows the connection) or
    "live" on an ageing frame (a stream that may be stalling) is given until its open timeout or
    ``stall_s`` has run out, plus a second, so the report says what the station would conclude
    rather than "not sure yet".
    """
    if not cameras:
        return {}
    # FFmpeg's own complaints (a stream cut at the end of the run, a refused connection) would land
    # between our rows; the rows already say what went wrong, in words. Before OpenCV loads.
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    from app.video.hub import CaptureHub

    hub = CaptureHub(cameras, settings, None, urls=urls, probe=False)
    hub.start()
    seen: dict[str, _Seen] = {}
    try:
        for camera in cameras:
            seen[camera.id] = _Seen(hub.open(camera.id, "main"))
        start = time.monotonic()
        until = start + max(0.0, seconds)
        settle_until = until + max(settings.open_timeout_ms / 1000, settings.stall_s) + SETTLE_MARGIN_S
        while True:
            now_mono = time.monotonic()
            for item in seen.values():
                item.look()
            if now_mono >= until:
                now = time.time()
                statuses = [item.source.status() for item in seen.values()]
                if now_mono >= settle_until or not any(
                    _unsettled(s, seen[s.camera_id], now) for s in statuses
                ):
                    break
            time.sleep(POLL_S)
        now = time.time()
        rows: dict[str, dict[str, Any]] = {}
        for camera in cameras:
            item = seen[camera.id]
            status = item.source.status()
            rows[camera.id] = _measured_row(camera, status, item, now, settings)
        return rows
    finally:
        for item in seen.values():
            item.source.release()
        hub.stop(STOP_WAIT_S)


def _measured_row(
    camera: Camera, status: CameraStatus, seen: _Seen, now: float, settings: CameraSettings
) -> dict[str, Any]:
    state = status.state
    error: str | None = status.reason or None
    if state == "connecting":  # still nothing after the open timeout: as good as unreachable
        state = "lost"
        error = error or f"no picture within {settings.open_timeout_ms / 1000:g} s"
    if state == "live":
        error = None
    elif not error:
        error = _STATE_WORDS.get(state, state)
    newest = seen.frame_at if seen.frame_at is not None else status.last_frame_at
    age_ms = None if newest is None else max(0, round((now - newest) * 1000))
    width = seen.width or (status.width or None)
    height = seen.height or (status.height or None)
    return _row(camera, state, width, height, seen.fps(state, now), age_ms, error, "direct")


def _row(
    camera: Camera,
    state: str,
    width: int | None,
    height: int | None,
    fps: float | None,
    age_ms: int | None,
    error: str | None,
    origin: str,
) -> dict[str, Any]:
    return {
        "id": camera.id,
        "name": camera.display_name,
        "state": state,
        "width": width,
        "height": height,
        "fps": fps,
        "age_ms": age_ms,
        "error": error,
        "from": origin,
    }


def _format_table(rows: list[dict[str, Any]]) -> list[str]:
    """An aligned table: one line per camera, the reason last (it may be long)."""

    def size(row: dict[str, Any]) -> str:
        return f"{row['width']}x{row['height']}" if row["width"] and row["height"] else "—"

    def fps(row: dict[str, Any]) -> str:
        return "—" if row["fps"] is None else f"{row['fps']:.1f}"

    def age(row: dict[str, Any]) -> str:
        return "—" if row["age_ms"] is None else f"{row['age_ms'] / 1000:.1f} s"

    table = [("CAMERA", "STATE", "SIZE", "FPS", "AGE", "FROM", "PROBLEM")]
    table += [
        (row["id"], row["state"], size(row), fps(row), age(row), row["from"], row["error"] or "")
        for row in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]) - 1)]
    right = {2, 3, 4}
    lines = []
    for line in table:
        cells = [
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(line[:-1], widths, strict=True))
        ]
        lines.append("  ".join([*cells, line[-1]]).rstrip())
    return lines


@cameras_app.command("status")
def cameras_status(
    site: SiteOptional = None,
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
    seconds: Annotated[
        float, typer.Option("--seconds", min=0.0, max=600.0, help="How long to watch each camera.")
    ] = 3.0,
    direct: Annotated[
        bool,
        typer.Option("--direct", help="Open every camera myself, even those a live station owns."),
    ] = False,
) -> None:
    """Open every enabled camera for a few seconds and report how each one is.

    Per camera: its state (live; stalled: the stream is open but no picture comes; lost: it cannot be
    reached or opened; error: it answers but its stream is unusable; disabled: enabled = false in the
    site file, never opened), picture size, frames per second measured, the age of the newest picture
    and, when not live, the problem in plain words.

    A camera that a live station owns is read from that station's live table (one line on stderr
    names the station; size and frame rate are then not known here); --direct opens it anyway.
    Simulated cameras are served by simulators started for this run. JSON rows say where each came
    from: "from": "station:NAME" or "direct".

    Exits 0 even when cameras are down (a dead camera is an answer, not a failure); 2 for a bad site
    file.
    """
    loaded = load_site_or_exit(site_path(site, demo))
    cameras = loaded.site.camera
    holders: dict[str, str] = {}
    links: dict[str, StationLink] = {}
    enabled_ids = {c.id for c in cameras if c.enabled}
    if not direct and enabled_ids:
        holders, links = _from_stations(loaded, database_url(database, demo))
        holders = {cid: station for cid, station in holders.items() if cid in enabled_ids}
    by_station: dict[str, list[str]] = {}
    for camera_id, station in holders.items():
        by_station.setdefault(station, []).append(camera_id)
    for station, ids in sorted(by_station.items()):
        err(f"wardroom: reading camera {', '.join(ids)} from station {station}'s live table")

    to_open = [c for c in cameras if c.enabled and c.id not in holders]
    rows: dict[str, dict[str, Any]] = {}
    from app.sim.cameras import start_camera_simulators

    sims = start_camera_simulators(loaded, to_open, taken_port_is_served=True)
    try:
        for camera_id, words in sims.failed.items():
            camera = next(c for c in to_open if c.id == camera_id)
            rows[camera_id] = _row(camera, "error", None, None, None, None, words, "direct")
        opened = [c for c in to_open if c.id not in rows]
        rows.update(measure(opened, loaded.site.cameras, sims.urls, seconds))
    finally:
        sims.stop()
    now = time.time()
    for camera in cameras:
        if not camera.enabled:
            rows[camera.id] = _row(
                camera, "disabled", None, None, None, None, _STATE_WORDS["disabled"], "direct"
            )
        elif camera.id in holders:
            rows[camera.id] = station_row(camera, holders[camera.id], links.get(camera.id), now)
    ordered = [rows[c.id] for c in cameras]
    if as_json:
        print_json(ordered)
        return
    if not ordered:
        typer.echo("No cameras in this site file.")
        return
    for line in _format_table(ordered):
        typer.echo(line)
