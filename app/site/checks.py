"""Semantic checks of a site file: what the schema alone cannot say.

The schema (``app.site.schema``) checks each record's shape. These checks look across records and at
meaning: unique ids, references between records, address grammar and type fit per PLC protocol,
alarm limits that make sense for the point, PLC timing, time zone, camera URLs and media, zone
polygons. They run on every record that could be read, even when other records are broken, so that an
installer sees *every* mistake in one pass instead of fixing them one run at a time.

Checks know nothing of text or lines: each ``Problem`` names the path of the offending key or value
(``("point", 3, "address")``); the loader turns paths into line numbers.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import re
import zoneinfo
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import SplitResult, urlsplit

from pydantic import BaseModel, ValidationError

from app.site.address import parse_address, type_fit_error
from app.site.messages import did_you_mean, q
from app.site.schedule import ScheduleError, parse_schedule
from app.site.schema import (
    BOOL_LIMITS,
    CAMERA_SCHEMES,
    LIMIT_STACK,
    MAX_REPORT_MS,
    NUMERIC_LIMITS,
    SCENE_PREFIX,
    SIM_SCENES,
    AlarmLimit,
    Building,
    Camera,
    Plc,
    Point,
    SiteInfo,
    Zone,
)

Loc = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)

PROTOCOLS = ("modbus-tcp", "modbus-rtu", "s7")
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp"})
VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mkv", ".mov", ".webm", ".mjpg", ".mjpeg"})
_LIMIT_RANK = {name: rank for rank, name in enumerate(LIMIT_STACK)}
_HOST_RE = re.compile(r"[A-Za-z0-9._:-]+")


def record_label(section: str, index: int, raw: object) -> str:
    """How messages name a record: by its id when it has one, else by its position (1-based)."""
    if isinstance(raw, Mapping):
        ident = raw.get("id")
        if isinstance(ident, str) and ident:
            return f"{section} {q(ident)}"
    return f"{section} #{index + 1}"


@dataclass(frozen=True)
class Problem:
    """One error: where (a path into the file's data) and what, in an installer's words.

    ``first_at`` points to an earlier definition (a duplicate id's first use), which the loader shows
    as a line number so the installer can find both.
    """

    loc: Loc
    message: str
    first_at: Loc | None = None


@dataclass(frozen=True)
class Record(Generic[M]):
    """One ``[[section]]`` table: its raw data and, when its shape was valid, its model.

    ``broken`` names the keys the schema refused (already reported); ``model`` was then built without
    them, so checks must not draw conclusions from those keys' defaults.
    """

    section: str
    index: int
    raw: Mapping[str, Any]
    model: M | None
    broken: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        return record_label(self.section, self.index, self.raw)

    def loc(self, *rest: str | int) -> Loc:
        return (self.section, self.index, *rest)

    def problem(self, message: str, *rest: str | int) -> Problem:
        return Problem(self.loc(*rest), f"{self.label}: {message}")

    def given(self, key: str) -> bool:
        """The file sets ``key`` to a valid value (not a default, not a refused value)."""
        return key in self.raw and key not in self.broken


@dataclass(frozen=True)
class SiteRecords:
    """Everything the checks see: the records as far as they could be read."""

    base_dir: Path
    site: SiteInfo | None = None
    site_raw: Mapping[str, Any] = field(default_factory=dict)
    buildings: Sequence[Record[Building]] = ()
    plcs: Sequence[Record[Plc]] = ()
    points: Sequence[Record[Point]] = ()
    cameras: Sequence[Record[Camera]] = ()


def run_checks(records: SiteRecords) -> list[Problem]:
    """All semantic problems of the file, in file order of sections."""
    problems: list[Problem] = []
    problems += _check_site(records.site)
    for section in (records.buildings, records.plcs, records.points, records.cameras):
        problems += _check_unique_ids(section)
    building_ids = _ids(records.buildings)
    protocols = _plc_protocols(records.plcs)
    for plc in records.plcs:
        if plc.model is not None:
            problems += _check_plc(plc, plc.model)
    problems += _check_serial_lines(records.plcs)
    point_types = {rec.model.id: rec.model.type for rec in records.points if rec.model is not None}
    for point in records.points:
        problems += _check_point_refs(point, protocols, building_ids)
        if point.model is not None:
            problems += _check_suppress_refs(point, point.model, point_types)
        if point.model is not None:
            problems += _check_point(point, point.model, protocols)
        else:  # its alarm entries are still checked: every error in one pass
            problems += _check_point_alarms(point, None)
    for camera in records.cameras:
        problems += _check_camera_refs(camera, building_ids)
        if camera.model is not None:
            problems += _check_camera(camera, camera.model, records.base_dir)
    return problems


# ----------------------------------------------------------------------------------------------- site


def _check_site(site: SiteInfo | None) -> list[Problem]:
    if site is None:
        return []
    tz = site.timezone
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        known = zoneinfo.available_timezones()
        if not known:  # no time zone database on this machine: nothing to check against
            return []
        hint = did_you_mean(tz, known)
        return [
            Problem(
                ("site", "timezone"),
                f'[site]: timezone {q(tz)} is not an IANA time zone name; expected e.g. "Asia/Shanghai" '
                f'or "UTC"{hint}',
            )
        ]
    return []


# ------------------------------------------------------------------------------------------ ids, refs


def _raw_id(record: Record[Any]) -> str | None:
    ident = record.raw.get("id")
    return ident if isinstance(ident, str) and ident else None


def _ids(records: Sequence[Record[Any]]) -> set[str]:
    return {ident for r in records if (ident := _raw_id(r)) is not None}


def _check_unique_ids(records: Sequence[Record[Any]]) -> Iterator[Problem]:
    first: dict[str, Record[Any]] = {}
    for record in records:
        ident = _raw_id(record)
        if ident is None:
            continue
        if ident in first:
            yield Problem(
                record.loc("id"),
                f"{record.label}: duplicate id; each [[{record.section}]] needs its own id",
                first_at=first[ident].loc("id"),
            )
        else:
            first[ident] = record


def _plc_protocols(plcs: Sequence[Record[Plc]]) -> dict[str, str | None]:
    """PLC id -> protocol (None when the PLC's protocol itself is wrong: its points are not judged)."""
    result: dict[str, str | None] = {}
    for plc in plcs:
        ident = _raw_id(plc)
        if ident is not None and ident not in result:
            protocol = plc.raw.get("protocol")
            result[ident] = protocol if protocol in PROTOCOLS else None
    return result


def _reference(record: Record[Any], key: str, known: Iterable[str], target: str) -> Iterator[Problem]:
    value = record.raw.get(key)
    if not isinstance(value, str) or key in record.broken:
        return
    known = sorted(known)
    if value in known:
        return
    if not known:
        yield record.problem(f"{key} {q(value)} is not defined: the file has no [[{target}]]", key)
        return
    listing = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
    hint = did_you_mean(value, known)
    yield record.problem(
        f"{key} {q(value)} is not defined; expected one of the [[{target}]] ids: {listing}{hint}", key
    )


def _check_point_refs(
    point: Record[Point], protocols: Mapping[str, str | None], building_ids: set[str]
) -> Iterator[Problem]:
    yield from _reference(point, "plc", protocols, "plc")
    yield from _reference(point, "building", building_ids, "building")


def _check_camera_refs(camera: Record[Camera], building_ids: set[str]) -> Iterator[Problem]:
    yield from _reference(camera, "building", building_ids, "building")


# ------------------------------------------------------------------------------------------------ plc


def _check_plc(rec: Record[Plc], plc: Plc) -> Iterator[Problem]:
    # Keys of another protocol (unit on an S7 PLC, host/port on a serial one, rack/slot on Modbus)
    # are accepted and ignored: they are contract keys, and tools that write every key with its
    # default emit them. Only keys the contract does not know are errors (the schema refuses those).
    protocol = plc.protocol
    networked = protocol in ("modbus-tcp", "s7")
    if networked:
        if plc.host is None and not rec.given("host") and "host" not in rec.broken:
            yield rec.problem(f'protocol {q(protocol)} needs host = "<IP address of the PLC>"')
        elif plc.host is not None and not _HOST_RE.fullmatch(plc.host):
            yield rec.problem(
                f'host {q(plc.host)} must be a bare IP address or host name, e.g. "192.168.1.10"', "host"
            )
    if protocol == "modbus-rtu" and plc.serial_port is None and "serial_port" not in rec.broken:
        yield rec.problem('protocol "modbus-rtu" needs serial_port = "<device, e.g. /dev/ttyUSB0>"')
    simulated_known = "simulated" not in rec.broken
    if networked and plc.port == 0 and simulated_known and not plc.simulated:
        yield rec.problem(
            "port = 0 (pick a free port) is only for simulated PLCs; give the PLC's real port "
            f"({102 if protocol == 's7' else 502} is the usual one)",
            "port",
        )
    if plc.simulated:
        yield from _check_simulated_plc(rec, plc)
    if plc.report_bound_ms > MAX_REPORT_MS and not ({"poll_ms", "timeout_ms"} & rec.broken):
        where = "timeout_ms" if rec.given("timeout_ms") else "poll_ms" if rec.given("poll_ms") else None
        yield rec.problem(
            f"too slow: poll_ms + 2 × timeout_ms = {plc.poll_ms} + 2 × {plc.timeout_ms} = "
            f"{plc.report_bound_ms} ms, above {MAX_REPORT_MS} ms (a silent PLC must be reported within "
            f"{MAX_REPORT_MS // 1000} s); lower poll_ms or timeout_ms",
            *((where,) if where else ()),
        )


def _check_serial_lines(plcs: Sequence[Record[Plc]]) -> Iterator[Problem]:
    """Modbus RTU PLCs on one serial port share that line's settings and need their own unit ids.

    One serial port is one RS-485 bus: every device on it talks at the same baud rate and parity (a
    PLC set differently would see only garbage), and a request goes to whichever device has its unit
    id, so two PLCs with the same unit on one line make every answer ambiguous. Each problem is
    reported at the later PLC's key, naming the line where the first PLC on that port defines it.
    """
    first_on_port: dict[str, Record[Plc]] = {}
    unit_owner: dict[tuple[str, int], Record[Plc]] = {}
    for rec in plcs:
        plc = rec.model
        if plc is None or plc.protocol != "modbus-rtu" or plc.serial_port is None:
            continue
        port = plc.serial_port
        first = first_on_port.setdefault(port, rec)
        if first is not rec and first.model is not None:
            for key in ("baudrate", "parity"):
                if key in rec.broken or key in first.broken:
                    continue
                mine, theirs = getattr(plc, key), getattr(first.model, key)
                if mine != theirs:
                    theirs_shown = f"{key} {q(theirs)}{_default_note(first, key, ', the default')}"
                    yield Problem(
                        rec.loc(key),
                        f"{rec.label}: {key} {q(mine)}{_default_note(rec, key)} differs from {first.label} "
                        f"({theirs_shown}) on the same serial line {q(port)}; every PLC on one line must use "
                        f"the same {key}",
                        first_at=first.loc(key),
                    )
        if "unit" in rec.broken:
            continue
        owner = unit_owner.setdefault((port, plc.unit), rec)
        if owner is not rec:
            yield Problem(
                rec.loc("unit"),
                f"{rec.label}: unit {plc.unit}{_default_note(rec, 'unit')} is already used by {owner.label} "
                f"on serial line {q(port)}; each PLC on one line needs its own unit id",
                first_at=owner.loc("unit"),
            )


def _default_note(rec: Record[Any], key: str, note: str = " (the default)") -> str:
    """``note`` when the record does not set ``key`` (the value shown is the default)."""
    return "" if rec.given(key) else note


def _check_simulated_plc(rec: Record[Plc], plc: Plc) -> Iterator[Problem]:
    """The simulator serves Modbus TCP or S7 on loopback, as an unprivileged user."""
    if plc.protocol == "modbus-rtu":
        yield rec.problem(
            'simulated = true is available for modbus-tcp and s7 PLCs, not "modbus-rtu" (no serial line '
            "to simulate)",
            "simulated",
        )
        return
    if plc.host is not None and not _is_loopback_v4(plc.host):
        yield rec.problem(
            f'a simulated PLC is served on this computer: host must be "127.0.0.1", not {q(plc.host)}', "host"
        )
    port = plc.effective_port
    if "port" not in rec.broken and 0 < port <= 1024:
        shown = f"port = {port}" if rec.given("port") else f"the default port {port}"
        yield rec.problem(
            f"{shown} needs administrator rights on this computer; a simulated PLC takes port = 0 "
            "(any free port) or a port above 1024",
            *(("port",) if rec.given("port") else ()),
        )


def _is_loopback_v4(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.version == 4 and address.is_loopback


# ---------------------------------------------------------------------------------------------- point


def _check_point(rec: Record[Point], point: Point, protocols: Mapping[str, str | None]) -> Iterator[Problem]:
    protocol = protocols.get(point.plc)
    if protocol is not None and "address" not in rec.broken:
        try:
            address = parse_address(point.address, protocol)
        except ValueError as exc:
            yield rec.problem(str(exc), "address")
        else:
            if "type" not in rec.broken and (fit := type_fit_error(address, point.type)) is not None:
                yield rec.problem(fit, "type")
            if point.writable and address.read_only:
                yield rec.problem(
                    f"writable = true, but address {point.address} is read-only "
                    "(discrete inputs, input registers and S7 inputs cannot be written)",
                    "writable",
                )
    is_bool = point.type == "bool"
    if point.range is not None:
        low, high = point.range
        if is_bool:
            yield rec.problem("range is for numeric points; remove it from a bool point", "range")
        elif not low < high:
            yield rec.problem(f"range = {q(point.range)} must be [low, high] with low < high", "range")
    if not is_bool and point.scale == 0:
        yield rec.problem("scale = 0 would make every reading 0; expected a non-zero factor", "scale")
    yield from _check_point_alarms(rec, point)


def _check_suppress_refs(rec: Record[Point], point: Point, types: Mapping[str, str]) -> Iterator[Problem]:
    """``suppress_when`` names another point of the file: a switch (bool), e.g. a zone-under-test key."""
    for j, alarm in enumerate(point.alarms):
        other = alarm.suppress_when
        if other is None:
            continue
        where = f"alarms[{j}]: suppress_when = {q(other)}"
        if other == point.id:
            yield rec.problem(f"{where} names the point itself", "alarms", j, "suppress_when")
        elif other not in types:
            hint = did_you_mean(other, types)
            yield rec.problem(f"{where} is not a point of this file{hint}", "alarms", j, "suppress_when")
        elif types[other] != "bool":
            yield rec.problem(
                f"{where} must name a bool point (a switch), not a {types[other]} point",
                "alarms",
                j,
                "suppress_when",
            )


def _check_point_alarms(rec: Record[Point], point: Point | None) -> Iterator[Problem]:
    """The point's alarm entries; ``point`` is None when the record failed the schema as a whole."""
    if point is not None and "alarms" not in rec.broken:
        alarms = [(j, alarm, frozenset[str]()) for j, alarm in enumerate(point.alarms)]
    else:
        alarms = _items(rec, "alarms", AlarmLimit)
    is_bool: bool | None = None  # unknown when the type was refused or left out
    if point is not None:
        is_bool = point.type == "bool"
    elif rec.given("type"):
        is_bool = rec.raw["type"] == "bool"
    yield from _check_alarms(rec, alarms, is_bool)


def _items(rec: Record[Any], key: str, model: type[M]) -> list[tuple[int, M, frozenset[str]]]:
    """The elements of a list the schema refused as a whole, so each is still checked for the rest.

    An element with refused keys (already reported) is read again without them, as the loader does
    for a record, and comes with those keys so checks draw no conclusion from their defaults; one
    that still fails (a required key refused or missing) is left out.
    """
    value = rec.raw.get(key)
    if not isinstance(value, list):
        return []
    found: list[tuple[int, M, frozenset[str]]] = []
    for j, item in enumerate(value):
        if not isinstance(item, dict):
            continue  # reported by the schema pass
        broken: frozenset[str] = frozenset()
        try:
            found.append((j, model.model_validate_json(json.dumps(item), strict=True), broken))
            continue
        except ValidationError as exc:
            broken = frozenset(str(e["loc"][0]) for e in exc.errors() if e["loc"])
        except (TypeError, ValueError):
            continue
        rest = {k: v for k, v in item.items() if k not in broken}
        try:
            found.append((j, model.model_validate_json(json.dumps(rest), strict=True), broken))
        except (ValidationError, TypeError, ValueError):
            continue
    return found


def _check_alarms(
    rec: Record[Point], alarms: Sequence[tuple[int, AlarmLimit, frozenset[str]]], is_bool: bool | None
) -> Iterator[Problem]:
    """``is_bool`` None (the point's type unknown): each limit is checked as the kind it is for."""
    seen: dict[str, tuple[int, AlarmLimit]] = {}
    for j, alarm, broken in alarms:
        where = f"alarms[{j}]"
        if alarm.limit in NUMERIC_LIMITS:
            if is_bool:
                yield rec.problem(
                    f'{where}: limit {q(alarm.limit)} is for numeric points; a bool point takes limit = "on" '
                    'or "off"',
                    "alarms",
                    j,
                    "limit",
                )
            elif alarm.value is None and "value" not in broken:  # a refused value was reported already
                yield rec.problem(f"{where}: limit {q(alarm.limit)} needs value = <number>", "alarms", j)
        elif alarm.limit in BOOL_LIMITS:
            if is_bool is False:
                yield rec.problem(
                    f"{where}: limit {q(alarm.limit)} is for bool points; a numeric point takes high-high, "
                    "high, low or low-low",
                    "alarms",
                    j,
                    "limit",
                )
            elif alarm.value is not None:
                message = f"{where}: limit {q(alarm.limit)} takes no value; remove it"
                yield rec.problem(message, "alarms", j, "value")
        if alarm.limit in seen:
            yield rec.problem(f"{where}: limit {q(alarm.limit)} is given twice", "alarms", j, "limit")
        else:
            seen[alarm.limit] = (j, alarm)
    if is_bool:
        return
    # Limits must stack in order: low-low < low < high < high-high.
    ranked = sorted(
        (
            (_LIMIT_RANK[name], name, j, a.value)
            for name, (j, a) in seen.items()
            if name in _LIMIT_RANK and a.value is not None
        ),
    )
    for (_, lower_name, _, lower), (_, upper_name, j, upper) in itertools.pairwise(ranked):
        if not upper > lower:
            yield rec.problem(
                f"alarms[{j}]: {upper_name} value {upper:g} must be above the {lower_name} value {lower:g}",
                "alarms",
                j,
                "value",
            )


# --------------------------------------------------------------------------------------------- camera


def _url_problem(url: str, key: str, rec: Record[Camera], simulated: bool) -> Iterator[Problem]:
    schemes = ", ".join(CAMERA_SCHEMES)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        yield rec.problem(f"{key} {q(url)} is not a valid URL ({exc})", key)
        return
    scheme = parts.scheme.lower()
    if scheme not in CAMERA_SCHEMES:
        shown = f"scheme {q(parts.scheme)}" if parts.scheme else "no scheme"
        yield rec.problem(f"{key} {q(url)} has {shown}; expected one of {schemes} (e.g. usb:0)", key)
        return
    if scheme == "usb":
        if not re.fullmatch(r"usb:[0-9]{1,3}", url):
            yield rec.problem(f"{key} {q(url)}: a USB camera is written usb:N, e.g. usb:0", key)
        return
    if scheme == "file":
        if not (parts.path or parts.netloc):
            yield rec.problem(f"{key} {q(url)} names no file; expected e.g. file:///srv/clips/gate.mp4", key)
        return
    if not parts.hostname:
        yield rec.problem(f"{key} {q(url)} has no host; expected e.g. {scheme}://192.168.1.64/stream", key)
        return
    if port == 0 and not simulated:
        yield rec.problem(f"{key} {q(url)}: port 0 is only for simulated cameras", key)


def _check_camera(rec: Record[Camera], camera: Camera, base_dir: Path) -> Iterator[Problem]:
    simulated_known = "simulated" not in rec.broken
    if "url" not in rec.broken:
        yield from _url_problem(camera.url, "url", rec, camera.simulated or not simulated_known)
    if camera.substream_url and "substream_url" not in rec.broken:
        yield from _url_problem(camera.substream_url, "substream_url", rec, camera.simulated)
    if camera.simulated:
        yield from _check_simulated_camera(rec, camera, base_dir)
    elif camera.media is not None and simulated_known:
        yield rec.problem("media is only used by simulated cameras (simulated = true); remove it", "media")
    seen: set[str] = set()
    for j, cls in enumerate(camera.detect):
        if cls in seen:
            yield rec.problem(f"detect lists {q(cls)} twice", "detect", j)
        seen.add(cls)
    names: set[str] = set()
    if "zones" in rec.broken:
        zones = [(k, zone) for k, zone, _ in _items(rec, "zones", Zone)]
    else:
        zones = list(enumerate(camera.zones))
    for k, zone in zones:
        if zone.name in names:
            yield rec.problem(f"zones[{k}]: zone name {q(zone.name)} is used twice", "zones", k, "name")
        names.add(zone.name)
        yield from _check_zone(rec, k, zone)
    yield from _check_privacy_masks(rec, camera)


def _check_simulated_camera(rec: Record[Camera], camera: Camera, base_dir: Path) -> Iterator[Problem]:
    if "url" not in rec.broken:
        parts: SplitResult | None
        try:
            parts = urlsplit(camera.url)
            _ = parts.port
        except ValueError:
            parts = None  # reported by _url_problem
        served_here = parts is not None and (parts.scheme, parts.hostname) == ("http", "127.0.0.1")
        if parts is not None and not (served_here and parts.port is not None):
            yield rec.problem(
                f"url {q(camera.url)}: a simulated camera is served by Wardroom on this computer; expected "
                f'url = "http://127.0.0.1:0/cam/{camera.id}.mjpg" (port 0 = pick a free port)',
                "url",
            )
    if "media" in rec.broken:
        return
    if camera.media is None:
        yield rec.problem('a simulated camera needs media = "<image or video, relative to the site file>"')
        return
    if camera.media.startswith(SCENE_PREFIX):  # a composited demo scene (app.sim.scenes)
        scene = camera.media[len(SCENE_PREFIX) :].strip()
        if scene not in SIM_SCENES:
            known = ", ".join(SCENE_PREFIX + n for n in SIM_SCENES)
            what = f"there is no scene {q(scene)}" if scene else 'media "scene:" names no scene'
            yield rec.problem(f"{what}; expected one of {known}", "media")
        return
    media = Path(camera.media)
    suffix = media.suffix.lower()
    if suffix not in IMAGE_SUFFIXES | VIDEO_SUFFIXES:
        kinds = ", ".join(sorted(IMAGE_SUFFIXES | VIDEO_SUFFIXES))
        message = f"media {q(camera.media)} is not an image or video file; expected one of {kinds}"
        yield rec.problem(message, "media")
    path = media if media.is_absolute() else base_dir / media
    if not path.is_file():
        yield rec.problem(f"media {q(camera.media)} does not exist (looked for {path.absolute()})", "media")


def _check_zone(rec: Record[Camera], k: int, zone: Zone) -> Iterator[Problem]:
    """A rule's area (or a line-crossing's line) and the keys that rule reads, each where it is written."""
    where = f"zones[{k}] {q(zone.name)}"
    if zone.rule == "line-crossing":
        if zone.line is None:
            yield rec.problem(
                f"{where}: a line-crossing zone needs line = [[x, y], [x, y]] (two points in the unit "
                "square) instead of a polygon",
                "zones",
                k,
            )
        if zone.polygon:
            yield rec.problem(
                f"{where}: a line-crossing zone has a line, not a polygon; remove polygon",
                "zones",
                k,
                "polygon",
            )
        if zone.line is not None:
            yield from _check_line(rec, where, zone.line, ("zones", k, "line"))
    else:
        if zone.line is not None:
            yield rec.problem(
                f'{where}: line is only for rule = "line-crossing" (this zone is {q(zone.rule)})',
                "zones",
                k,
                "line",
            )
        if "direction" in zone.model_fields_set:
            yield rec.problem(
                f'{where}: direction is only for rule = "line-crossing"', "zones", k, "direction"
            )
        yield from _check_polygon(rec, where, zone.polygon, ("zones", k, "polygon"))
    if zone.schedule is not None:
        if zone.rule != "no-person-at-night":
            yield rec.problem(
                f'{where}: schedule is only for rule = "no-person-at-night"', "zones", k, "schedule"
            )
        try:
            parse_schedule(zone.schedule)
        except ScheduleError as exc:
            yield rec.problem(f"{where}: {exc}", "zones", k, "schedule")
    if "dwell_s" in zone.model_fields_set and zone.rule not in ("no-ebike", "no-person-at-night"):
        yield rec.problem(
            f"{where}: dwell_s is only for rules no-ebike and no-person-at-night", "zones", k, "dwell_s"
        )


def _check_line(
    rec: Record[Camera], where: str, line: tuple[Pt, Pt], path: tuple[str | int, ...]
) -> Iterator[Problem]:
    for p, (x, y) in enumerate(line):
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            yield rec.problem(
                f"{where}: line point {p + 1} [{x:g}, {y:g}] is outside the picture; x and y are "
                "fractions of its width and height (0 to 1)",
                *path,
            )
    if line[0] == line[1]:
        yield rec.problem(f"{where}: the line's two points are the same; it needs a length", *path)


def _check_privacy_masks(rec: Record[Camera], camera: Camera) -> Iterator[Problem]:
    """Privacy masks are polygons like zones: a mask that is malformed would silently hide nothing (or
    the wrong part of the picture), so the file is refused rather than the pixels shown."""
    if "privacy_masks" in rec.broken:
        return
    for k, polygon in enumerate(camera.privacy_masks):
        yield from _check_polygon(rec, f"privacy_masks[{k}]", polygon, ("privacy_masks", k))
    for k, polygon in enumerate(camera.motion_masks):
        yield from _check_polygon(rec, f"motion_masks[{k}]", polygon, ("motion_masks", k))


def _check_polygon(
    rec: Record[Camera], where: str, polygon: Sequence[Pt], path: tuple[str | int, ...]
) -> Iterator[Problem]:
    """A polygon in the unit square: at least 3 distinct corners inside the picture, some area, and
    edges that do not cross (``path`` locates it in the record, e.g. ``("zones", k, "polygon")``)."""
    if len(polygon) < 3:
        yield rec.problem(
            f"{where}: polygon has {len(polygon)} point(s); expected at least 3 [x, y] corners", *path
        )
        return
    inside = True
    for p, (x, y) in enumerate(polygon):
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            inside = False
            yield rec.problem(
                f"{where}: polygon corner {p + 1} [{x:g}, {y:g}] is outside the picture; x and y are "
                "fractions of its width and height, from 0 to 1",
                *path,
                p,
            )
    if not inside:
        return
    for p, corner in enumerate(polygon):
        if corner in polygon[:p]:
            earlier = list(polygon).index(corner)
            yield rec.problem(
                f"{where}: polygon corner {p + 1} repeats corner {earlier + 1}; list each corner once",
                *path,
                p,
            )
            return
    if all(abs(_orient(polygon[0], polygon[1], c)) < 1e-12 for c in polygon[2:]):
        yield rec.problem(f"{where}: polygon has no area (its corners lie on one line)", *path)
        return
    crossing = _self_intersection(polygon)
    if crossing is not None:
        a, b = crossing
        n = len(polygon)
        first, second = f"{a + 1}-{(a + 1) % n + 1}", f"{b + 1}-{(b + 1) % n + 1}"
        yield rec.problem(
            f"{where}: polygon crosses itself (edge {first} meets edge {second}); "
            "list the corners in order around the area",
            *path,
        )


Pt = tuple[float, float]


def _orient(a: Pt, b: Pt, c: Pt) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _on_segment(a: Pt, b: Pt, c: Pt) -> bool:
    """c lies on segment a-b (given the three are collinear)."""
    return min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])


def _segments_meet(p1: Pt, p2: Pt, p3: Pt, p4: Pt) -> bool:
    """Closed segments p1-p2 and p3-p4 share at least one point (touching counts)."""
    d1, d2 = _orient(p3, p4, p1), _orient(p3, p4, p2)
    d3, d4 = _orient(p1, p2, p3), _orient(p1, p2, p4)
    if ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4)):
        return True
    return (
        (d1 == 0 and _on_segment(p3, p4, p1))
        or (d2 == 0 and _on_segment(p3, p4, p2))
        or (d3 == 0 and _on_segment(p1, p2, p3))
        or (d4 == 0 and _on_segment(p1, p2, p4))
    )


def _self_intersection(polygon: Sequence[Pt]) -> tuple[int, int] | None:
    """First pair of edges (by start index) that meet other than at their shared corner, or None.

    The corners must be distinct (checked before).
    Edge i runs from corner i to corner i+1 (closing back to corner 0). Neighbouring edges share a
    corner by construction, so for them only a fold-back (overlap along one line) counts.
    """
    n = len(polygon)
    edges = [(polygon[i], polygon[(i + 1) % n]) for i in range(n)]
    for i in range(n):
        a1, a2 = edges[i]
        for j in range(i + 1, n):
            b1, b2 = edges[j]
            if j == i + 1 or (i == 0 and j == n - 1):
                # Neighbours: shared corner s, far ends u (of i) and v (of j).
                s, u, v = (a2, a1, b2) if j == i + 1 else (a1, a2, b1)
                if _orient(s, u, v) == 0 and (_on_segment(s, u, v) or _on_segment(s, v, u)):
                    return (i, j)
                continue
            if _segments_meet(a1, a2, b1, b2):
                return (i, j)
    return None
