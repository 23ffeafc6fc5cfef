"""``wardroom console``: a headless alarm console attached to the site's database.

It follows the site exactly as the GUI does in ``--console`` mode (:class:`app.fleet.feed.SiteFeed`:
no poller, no engine, no simulator) and prints one JSON line per thing it sees, so a technician can
watch a site from a terminal and a test can drive several consoles as real processes. Lines read from
stdin (after the password, which is the first line) are operator actions:

- ``ack OCCURRENCE_ID`` acknowledges (the same service as the GUI; the first commit wins, the other
  console is told "already acknowledged by ...");
- ``quit`` ends the console (so does end of input, SIGINT or SIGTERM).

Output lines: ``{"type": "ready"}`` once the whole site was read; ``alarm`` (one per journaled
transition, and the open alarms at start with ``"restored": true``); ``station`` (silent / back);
``ack`` (the outcome of an ``ack`` line); ``point`` and ``link`` with ``--points``.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from app.commands.common import (
    DatabaseOpt,
    DemoOpt,
    UserOpt,
    database_url,
    load_site_or_exit,
    open_db_or_exit,
    operator_or_exit,
    site_path,
    start_logged_command,
    stop_signals,
)

if TYPE_CHECKING:
    from app.alarms.actions import AlarmActions
    from app.auth.users import UserInfo
    from app.events import Event

console_app = typer.Typer()


class _Printer:
    """One JSON object per line on stdout, whole lines only (several threads print)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __call__(self, record: dict[str, Any]) -> None:
        text = json.dumps(record, ensure_ascii=False)
        with self._lock:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()


def event_record(event: Event) -> dict[str, Any] | None:
    """The JSON line of one feed event (None: not printed)."""
    from app.alarms.events import AlarmChanged
    from app.events import LinkStateChanged
    from app.fieldbus.events import PointQualityChanged, PointValueChanged
    from app.fleet.feed import StationSilence

    received = time.time()
    if isinstance(event, AlarmChanged):
        t, view = event.transition, event.view
        return {
            "type": "alarm",
            "transition": t.id if t is not None else None,
            "occurrence": view.id,
            "key": view.key,
            "from": t.from_state if t is not None else None,
            "to": t.to_state if t is not None else view.state,
            "at": (t.at if t is not None else view.raised_at).isoformat(),
            "by": t.by if t is not None else None,
            "restored": t is None,
            "received": received,
        }
    if isinstance(event, StationSilence):
        return {
            "type": "station",
            "station": event.station,
            "silent": event.silent,
            "since": event.since.isoformat(),
            "owns": list(event.owns),
            "text": event.describe(),
            "received": received,
        }
    if isinstance(event, PointValueChanged | PointQualityChanged):
        r = event.reading
        return {
            "type": "point",
            "point": r.point_id,
            "value": r.value,
            "quality": r.quality,
            "last_good_at": r.last_good_at,
            "error": r.error,
            "received": received,
        }
    if isinstance(event, LinkStateChanged):
        return {
            "type": "link",
            "kind": event.kind,
            "id": event.id,
            "status": event.status,
            "reason": event.reason,
            "received": received,
        }
    return None


def _act(line: str, actions: AlarmActions, operator: UserInfo, emit: _Printer) -> bool:
    """Do one stdin line; False to end the console."""
    from app.alarms.actions import ActionRefused

    words = line.split()
    if not words:
        return True
    if words[0] == "quit":
        return False
    if words[0] == "ack" and len(words) == 2 and words[1].isdigit():
        occurrence = int(words[1])
        try:
            view = actions.acknowledge(operator, occurrence)
        except ActionRefused as refused:
            emit({"type": "ack", "occurrence": occurrence, "ok": False, "reason": refused.reason})
        else:
            emit({"type": "ack", "occurrence": occurrence, "ok": True, "state": view.state})
        return True
    emit({"type": "error", "reason": f"not understood: {line.strip()!r} (ack OCCURRENCE_ID, quit)"})
    return True


@console_app.command("console")
def console(
    user: UserOpt,
    site: Annotated[Path | None, typer.Option("--site", help="Site file (TOML); or --demo.")] = None,
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
    name: Annotated[
        str, typer.Option("--name", help="This console's name (logs, database sessions).")
    ] = "console",
    points: Annotated[
        bool, typer.Option("--points", help="Also print point values and link states.")
    ] = False,
) -> None:
    """Follow the site's alarms from the database as --user and print JSON lines; stdin: ack ID, quit."""
    from app.alarms.actions import AlarmActions
    from app.alarms.events import AlarmChanged
    from app.events import EventBus, LinkStateChanged
    from app.fieldbus.events import PointQualityChanged, PointValueChanged
    from app.fleet.feed import SiteFeed, StationSilence
    from app.storage.engine import name_sessions

    loaded = load_site_or_exit(site_path(site, demo))
    with stop_signals() as stop:
        start_logged_command()
        name_sessions(f"wardroom {name}")
        db = open_db_or_exit(database_url(database, demo))
        try:
            operator = operator_or_exit(db, user, site=loaded)
            emit = _Printer()
            bus = EventBus()

            def show(event: Event) -> None:
                if (record := event_record(event)) is not None:
                    emit(record)

            kinds: list[type[Event]] = [AlarmChanged, StationSilence]
            if points:
                kinds += [PointValueChanged, PointQualityChanged, LinkStateChanged]
            for kind in kinds:
                bus.subscribe(kind, show)
            feed = SiteFeed(loaded.site, db, bus, name=name)
            ready = feed.start()
            emit({"type": "ready", "complete": ready})
            actions = AlarmActions(db, position=name)
            done = threading.Event()

            def read_commands() -> None:
                for line in sys.stdin:
                    if not _act(line, actions, operator, emit):
                        break
                done.set()

            threading.Thread(target=read_commands, name="console-stdin", daemon=True).start()
            try:
                while not done.is_set() and not stop.is_set():
                    stop.wait(0.1)
            finally:
                feed.stop()
        finally:
            db.close()
