"""The site file's typed shape (pydantic).

The field names and values are a published contract: outside tools write these files, so
names here match the TOML keys exactly, and an unknown key is an error (``extra="forbid"``), since it
is usually a typo that would otherwise silently drop a setting.

Cross-record checks (unique ids, references, address/type fit, polygon shape, PLC timing) live in
``app.site.checks`` so that *every* error is reported at once with its own location, rather than the
first validator failure hiding the rest.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

Protocol = Literal["modbus-tcp", "modbus-rtu", "s7"]
WordOrder = Literal["big", "little"]
Parity = Literal["N", "E", "O"]
PointType = Literal["bool", "int16", "uint16", "int32", "uint32", "float32"]
PointKind = Literal[
    "pressure", "temperature", "level", "flow", "smoke", "heat", "call-point", "door", "current", "other"
]
LimitKind = Literal["high-high", "high", "low", "low-low", "on", "off"]
Priority = Literal["fire", "urgent", "high", "medium", "low"]
Category = Literal["fire", "pre-alarm", "supervisory", "fault"]
DetectClass = Literal["person", "car", "truck", "bus", "motorcycle", "bicycle", "plate", "face"]
ZoneRule = Literal["no-ebike", "no-person-at-night", "vehicle-gate", "line-crossing"]

LIMIT_STACK: tuple[str, ...] = ("low-low", "low", "high", "high-high")
"""The numeric limits from the lowest value to the highest: how a point's limits must stack."""
NUMERIC_LIMITS: frozenset[str] = frozenset(LIMIT_STACK)
BOOL_LIMITS: frozenset[str] = frozenset({"on", "off"})
CAMERA_SCHEMES: tuple[str, ...] = ("rtsp", "rtsps", "http", "https", "file", "usb")
SCENE_PREFIX = "scene:"
SIM_SCENES: tuple[str, ...] = ("gate", "lobby", "street", "corridor")
"""The demo scenes a simulated camera may show (``media = "scene:<name>"``; drawn by app.sim.scenes)."""
MAX_REPORT_MS = 10_000  # a silent PLC must be reported within 10 s
FIRE_KINDS: frozenset[str] = frozenset({"smoke", "heat", "call-point"})
"""Point kinds whose alarms are fire alarms unless the file says otherwise."""


class _Strict(BaseModel):
    # NaN/inf are valid TOML floats but meaningless as scales, limits or polygon corners.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class SiteInfo(_Strict):
    name: str = Field(min_length=1)
    timezone: str


class Building(_Strict):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)


class Plc(_Strict):
    id: str = Field(min_length=1)
    protocol: Protocol
    host: str | None = None
    port: int | None = Field(default=None, ge=0, le=65535)
    serial_port: str | None = None
    baudrate: int = Field(default=9600, gt=0)
    parity: Parity = "N"
    unit: int = Field(default=1, ge=0, le=255)
    rack: int = Field(default=0, ge=0)
    slot: int = Field(default=1, ge=0)
    poll_ms: int = Field(default=1000, gt=0)
    timeout_ms: int = Field(default=1000, gt=0)
    word_order: WordOrder = "big"
    simulated: bool = False
    max_gap: int = Field(default=16, ge=0)

    @property
    def effective_port(self) -> int:
        """The TCP port to use: the file's, else the protocol default (502 Modbus, 102 S7)."""
        if self.port is not None:
            return self.port
        return 102 if self.protocol == "s7" else 502

    @property
    def report_bound_ms(self) -> int:
        """Worst-case time to report a silent PLC: one poll period plus two request budgets."""
        return self.poll_ms + 2 * self.timeout_ms


class AlarmLimit(_Strict):
    """One ``alarms`` entry of a point: each limit is its own alarm, keyed ``<point>/<limit>``.

    ``priority``, ``category`` and ``latch`` default from the point's kind (see
    :meth:`Point._alarm_defaults`): fire for smoke, heat and call-point detectors; fire alarms latch.
    """

    limit: LimitKind
    value: float | None = None
    priority: Priority = "medium"
    category: Category = "fault"
    delay_s: float = Field(default=0, ge=0)
    off_delay_s: float = Field(default=0, ge=0)
    deadband: float = Field(default=0, ge=0)
    latch: bool = False
    realarm_min: float = Field(default=0, ge=0)
    message: str | None = None
    suppress_when: str | None = Field(default=None, min_length=1)


class Point(_Strict):
    id: str = Field(min_length=1)
    plc: str = Field(min_length=1)
    address: str = Field(min_length=1)
    type: PointType
    kind: PointKind
    scale: float = 1.0
    offset: float = 0.0
    unit: str = ""
    range: tuple[float, float] | None = None
    value_deadband: float = Field(default=0, ge=0)
    building: str | None = None
    writable: bool = False
    alarms: tuple[AlarmLimit, ...] = ()

    @field_validator("alarms", mode="after")
    @classmethod
    def _alarm_defaults(cls, alarms: tuple[AlarmLimit, ...], info: ValidationInfo) -> tuple[AlarmLimit, ...]:
        """Fill what an alarm entry leaves out from the point's kind (``kind`` is validated first).

        A smoke, heat or call-point alarm is a fire alarm of fire priority; a fire alarm latches (it
        stays until reset after its condition is gone). Other kinds keep fault / medium, no latch.
        """
        fire_kind = info.data.get("kind") in FIRE_KINDS
        filled = []
        for alarm in alarms:
            given = alarm.model_fields_set
            update: dict[str, object] = {}
            if fire_kind:
                if "category" not in given:
                    update["category"] = "fire"
                if "priority" not in given:
                    update["priority"] = "fire"
            if "latch" not in given:
                update["latch"] = update.get("category", alarm.category) == "fire"
            filled.append(alarm.model_copy(update=update) if update else alarm)
        return tuple(filled)


LineDirection = Literal["in", "out", "both"]
FaceDisplay = Literal["box", "blur"]
VisionDevice = Literal["auto", "cpu", "cuda"]


class Zone(_Strict):
    """A rule area on one camera's picture (unit-square corners), or a line for ``line-crossing``.

    ``priority``/``category`` left out take the rule's defaults (app.vision.rules.RULE_DEFAULTS);
    ``alarm`` left out: every rule alarms except ``line-crossing``, which only counts.
    """

    name: str = Field(min_length=1)
    polygon: tuple[tuple[float, float], ...] = ()
    rule: ZoneRule
    line: tuple[tuple[float, float], tuple[float, float]] | None = None
    # Seen from the line's first point towards its second, "in" crosses from the left-hand side of
    # the picture to the right-hand side (a line drawn left to right: from above it to below it).
    direction: LineDirection = "both"
    dwell_s: float = Field(default=3, ge=0, le=3600)
    schedule: str | None = None  # "HH:MM-HH:MM" in the site's time zone (may pass midnight)
    priority: Priority | None = None
    category: Category | None = None
    alarm: bool | None = None


class Camera(_Strict):
    id: str = Field(min_length=1)
    url: str = Field(min_length=1)
    name: str | None = None
    substream_url: str | None = None
    building: str | None = None
    detect: tuple[DetectClass, ...] = ()
    zones: tuple[Zone, ...] = ()
    simulated: bool = False
    media: str | None = None
    enabled: bool = True  # false: never opened, shown "disabled" (a camera out for repair)
    rtsp_transport: Literal["tcp", "udp"] = "tcp"
    detect_fps: float = Field(default=5, gt=0, le=30)  # detector runs a second at most (motion permitting)
    # Polygons in the unit square (the grammar of zones), blacked out before any consumer sees a pixel.
    privacy_masks: tuple[tuple[tuple[float, float], ...], ...] = ()
    # Polygons in the unit square where change is not motion (a burnt-in clock, a flickering sign),
    # as NVRs mask them: the detector is not woken by them (it still sees the whole picture).
    motion_masks: tuple[tuple[tuple[float, float], ...], ...] = ()

    @field_validator("substream_url", mode="before")
    @classmethod
    def _empty_substream_is_none(cls, value: object) -> object:
        """``substream_url = ""`` means "no substream" (site files in the field write it so)."""
        return None if value == "" else value

    @property
    def display_name(self) -> str:
        return self.name or self.id


class CameraSettings(_Strict):
    """``[cameras]`` (optional): how streams are opened and watched, and how long snapshots are kept."""

    probe_s: float = Field(default=30, gt=0)  # light check of a camera nothing is showing
    open_timeout_ms: int = Field(default=5000, ge=100, le=120_000)
    read_timeout_ms: int = Field(default=5000, ge=100, le=120_000)
    stall_s: float = Field(default=5, gt=0)  # no frame for this long: stalled
    snapshot_retention_days: float = Field(default=30, gt=0)


class HistorianSettings(_Strict):
    """``[historian]`` (optional): how long trends are kept and how often a flat line is sampled."""

    retention_days: float = Field(default=90, gt=0)
    max_interval_s: float = Field(default=60, gt=0)


class SecuritySettings(_Strict):
    """``[security]`` (optional): how many wrong passwords lock an account, and for how long."""

    lockout_attempts: int = Field(default=5, ge=1, le=100)
    lockout_minutes: float = Field(default=15, gt=0, le=10080)


class AlarmSettings(_Strict):
    """``[alarms]`` (optional): camera-loss delay, the longest shelf, and the flood threshold."""

    video_lost_s: float = Field(default=30, gt=0)
    shelve_max_h: float = Field(default=8, gt=0, le=168)
    flood_per_10min: int = Field(default=10, ge=1)


class VisionSettings(_Strict):
    """``[vision]`` (optional): how detections are shown and how long access events are kept."""

    face_display: FaceDisplay = "blur"  # faces on the wall: blurred inside their boxes, or outlined
    access_retention_days: float = Field(default=90, gt=0)  # gate access events are personal data
    motion_gating: bool = True  # run the detector only on cameras whose picture changed
    device: VisionDevice = "auto"  # auto: CUDA where a GPU is present, else the CPU
    confidence: float = Field(default=0.25, gt=0, lt=1)  # objects shown (and ruled on) from this score


class TagSpec(_Strict):
    """One extra resident tag of a site's ``[records] tags`` list: an id and its Chinese label."""

    id: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9-]*$")
    label: str = Field(default="", max_length=40)


class RecordsSettings(_Strict):
    """``[records]`` (optional): extra resident tags, the working age, the default visit interval."""

    tags: tuple[TagSpec, ...] = ()
    working_age: tuple[int, int] = (16, 60)
    visit_interval_days: int = Field(default=7, ge=1, le=366)

    @field_validator("working_age")
    @classmethod
    def _ordered(cls, value: tuple[int, int]) -> tuple[int, int]:
        if not 0 <= value[0] < value[1] <= 150:
            raise ValueError("working_age must be [youngest, oldest] with 0 <= youngest < oldest <= 150")
        return value


class SiteFile(_Strict):
    """A whole validated site file. ``path``/``sha256`` are filled by the loader, not by the file."""

    site: SiteInfo
    building: tuple[Building, ...] = ()
    plc: tuple[Plc, ...] = ()
    point: tuple[Point, ...] = ()
    camera: tuple[Camera, ...] = ()
    historian: HistorianSettings = HistorianSettings()
    cameras: CameraSettings = CameraSettings()
    security: SecuritySettings = SecuritySettings()
    alarms: AlarmSettings = AlarmSettings()
    vision: VisionSettings = VisionSettings()
    records: RecordsSettings = RecordsSettings()
