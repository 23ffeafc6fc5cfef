"""``wardroom alarms`` end to end: the real console script on a real SQLite file of a synced site,
and two real processes acknowledging the same alarms at the same moment (the first commit wins)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from app.alarms import journal
from app.alarms.journal import NewAlarm
from app.audit import chain
from app.auth.users import UserService
from app.storage.database import Database
from models.alarms import AlarmOccurrence, AlarmTransition, OperatorAction
from models.audit import AuditEntry
from tests.app.alarm_support import open_db, write_site
from tests.app.test_cli import REPO, wardroom

PASSWORD = "long-enough-pw"
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
FIELDS = {
    "id",
    "key",
    "source",
    "point",
    "limit",
    "building",
    "category",
    "priority",
    "state",
    "value",
    "message",
    "raised_at",
    "acknowledged_at",
    "acknowledged_by",
    "returned_at",
    "shelved_until",
}


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_db(tmp_path, write_site(tmp_path))
    service = UserService(database, hasher=FAST)
    service.add("li.wei", "duty-officer", PASSWORD)
    service.add("wang.fang", "duty-officer", PASSWORD)
    service.add("boss", "supervisor", PASSWORD)
    service.add("clerk", "records-clerk", PASSWORD)
    yield database
    database.close()


@pytest.fixture
def url(tmp_path: Path, db: Database) -> str:
    return db.url


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"WARDROOM_HOME": str(tmp_path / "home")}


def raise_alarm(db: Database, key: str, category: str, priority: str, at: datetime | None = None) -> int:
    point = key.split("/")[0]
    new = NewAlarm(
        key=key,
        source=f"point:{point}",
        category=category,
        priority=priority,
        message=f"{key} test",
        state="unacknowledged",
        building="B3",
        definition_key=key,
        value=1.0,
    )
    view, _ = db.write(lambda s: journal.raise_alarm(s, new, at or datetime.now(UTC)))
    assert view.id is not None
    return view.id


def event_alarm(db: Database, key: str) -> int:
    """An event alarm (no definition), as vision raises them."""
    new = NewAlarm(
        key=key, source=key, category="pre-alarm", priority="high", message=key, state="unacknowledged"
    )
    view, _ = db.write(lambda s: journal.raise_alarm(s, new, datetime.now(UTC)))
    assert view.id is not None
    return view.id


def alarms(
    url: str, env: dict[str, str], *args: str, user: str | None = None
) -> subprocess.CompletedProcess[str]:
    extra = ("--user", user) if user is not None else ()
    return wardroom("alarms", *args, *extra, "--database", url, stdin=f"{PASSWORD}\n", env=env)


def audit_actions(db: Database) -> list[str]:
    with db.session() as s:
        return list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# ------------------------------------------------------------------------------ reading


def test_list_json_carries_every_field_in_console_order(db: Database, url: str, env: dict[str, str]) -> None:
    now = datetime.now(UTC)
    fire = raise_alarm(db, "b3.smoke/on", "fire", "fire", now - timedelta(minutes=5))  # oldest, still first
    medium = raise_alarm(db, "b3.temp/high", "fault", "medium", now - timedelta(minutes=1))
    high = raise_alarm(db, "b3.pressure/low", "supervisory", "high", now - timedelta(minutes=2))
    ended = raise_alarm(db, "b3.heat/on", "fire", "fire", now - timedelta(minutes=3))
    db.write(lambda s: journal.move(s, ended, "unacknowledged", "normal", now))

    active = alarms(url, env, "list", "--active", "--json")
    assert active.returncode == 0, active.stderr
    rows = json.loads(active.stdout)
    assert [r["id"] for r in rows] == [fire, high, medium]
    for row in rows:
        assert set(row) >= FIELDS, FIELDS - set(row)
    smoke = rows[0]
    assert (smoke["key"], smoke["source"], smoke["point"], smoke["limit"], smoke["building"]) == (
        "b3.smoke/on",
        "point:b3.smoke",
        "b3.smoke",
        "on",
        "B3",
    )
    assert smoke["value"] is True  # an on/off point's value is true/false
    assert rows[1]["value"] == 1.0
    assert smoke["raised_at"].endswith("+00:00")

    everything = alarms(url, env, "list", "--json")
    assert [r["id"] for r in json.loads(everything.stdout)] == [
        ended,
        fire,
        high,
        medium,
    ]  # fire first, newest first
    text = alarms(url, env, "list")
    assert text.returncode == 0
    lines = text.stdout.strip().splitlines()
    assert len(lines) == 4 and "b3.smoke/on test" in lines[1]


def test_actions_history_and_kpi(db: Database, url: str, env: dict[str, str]) -> None:
    occ = raise_alarm(db, "b3.pressure/low", "supervisory", "high")
    ack = alarms(url, env, "ack", str(occ), "--note", "pump room checked", user="li.wei")
    assert ack.returncode == 0, ack.stderr
    assert "acknowledged by li.wei" in ack.stdout
    note = alarms(url, env, "note", str(occ), "engineer called", user="li.wei")
    assert note.returncode == 0, note.stderr
    shelve = alarms(
        url, env, "shelve", "b3.temp/high", "--minutes", "30", "--reason", "calibration", user="boss"
    )
    assert shelve.returncode == 0, shelve.stderr
    oos = alarms(url, env, "out-of-service", "b3.smoke/on", "--reason", "detector swap", user="boss")
    assert oos.returncode == 0, oos.stderr
    back = alarms(url, env, "return", "b3.smoke/on", user="boss")
    assert back.returncode == 0, back.stderr
    unshelve = alarms(url, env, "unshelve", "b3.temp/high", user="boss")
    assert unshelve.returncode == 0, unshelve.stderr
    silence = alarms(url, env, "silence", user="li.wei")
    assert silence.returncode == 0, silence.stderr

    # site time (Asia/Shanghai) without offset: today's and tomorrow's midnight there
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    period = ("--from", today.isoformat(), "--to", (today + timedelta(days=1)).isoformat())
    history = alarms(url, env, "history", *period, "--json")
    assert history.returncode == 0, history.stderr
    rows = json.loads(history.stdout)
    assert all(set(r) == {"occurrence_id", "at", "from_state", "to_state", "by", "note"} for r in rows)
    assert rows == sorted(rows, key=lambda r: r["at"])
    assert {
        "occurrence_id": occ,
        "from_state": "unacknowledged",
        "to_state": "acknowledged",
        "by": "li.wei",
        "note": "pump room checked",
    }.items() <= next(r for r in rows if r["to_state"] == "acknowledged").items()
    assert [r["to_state"] for r in rows if r["by"] == "boss"] == [
        "shelved",
        "out-of-service",
        "normal",
        "normal",
    ]
    empty = alarms(url, env, "history", "--from", "2001-01-01", "--to", "2001-01-02", "--json")
    assert json.loads(empty.stdout) == []

    kpi = alarms(url, env, "kpi", *period, "--json")
    assert kpi.returncode == 0, kpi.stderr
    figures = json.loads(kpi.stdout)
    assert all(set(r) == {"kpi", "value", "target", "unit"} for r in figures)
    by_name = {r["kpi"]: r for r in figures}
    assert by_name["alarms"]["value"] == 3
    assert by_name["alarms per 10 min (peak)"]["target"] == "≤ 10"
    text = alarms(url, env, "kpi", *period)
    assert text.returncode == 0 and "time in flood" in text.stdout

    alarm_rows = [a for a in audit_actions(db) if a.startswith("alarm.")]
    assert alarm_rows == [
        "alarm.ack",
        "alarm.note",
        "alarm.shelve",
        "alarm.out-of-service",
        "alarm.return",
        "alarm.unshelve",
        "alarm.silence",
    ]


def test_refusals_exit_2_with_the_reason_and_are_audited(db: Database, url: str, env: dict[str, str]) -> None:
    occ = raise_alarm(db, "b3.smoke/on", "fire", "fire")
    shelve = alarms(url, env, "shelve", str(occ), "--minutes", "10", "--reason", "x", user="li.wei")
    assert shelve.returncode == 2
    assert "needs one of: supervisor, administrator" in shelve.stderr
    assert "Traceback" not in shelve.stderr
    too_long = alarms(url, env, "shelve", str(occ), "--minutes", "600", "--reason", "x", user="boss")
    assert too_long.returncode == 2 and "at most 8 hours" in too_long.stderr
    clerk = alarms(url, env, "ack", str(occ), user="clerk")
    assert clerk.returncode == 2
    reset = alarms(url, env, "reset", str(occ), user="li.wei")
    assert reset.returncode == 2 and "condition is still present" in reset.stderr
    unknown = alarms(url, env, "ack", "9999", user="li.wei")
    assert unknown.returncode == 2 and "there is no alarm 9999" in unknown.stderr
    wrong = wardroom(
        "alarms", "ack", str(occ), "--user", "li.wei", "--database", url, stdin="nope\n", env=env
    )
    assert wrong.returncode == 2 and "wrong user name or password" in wrong.stderr
    refused = [a for a in audit_actions(db) if a.endswith("-refused")]
    assert refused == [
        "alarm.shelve-refused",
        "alarm.shelve-refused",
        "alarm.ack-refused",
        "alarm.reset-refused",
        "alarm.ack-refused",
        "alarm.ack-refused",
    ]
    with db.session() as s:
        row = s.get(AlarmOccurrence, occ)
        assert row is not None and row.state == "unacknowledged"


def test_storage_failure_exits_1(tmp_path: Path, env: dict[str, str]) -> None:
    folder = tmp_path / "not-a-file.sqlite3"
    folder.mkdir()
    result = wardroom("alarms", "list", "--database", f"sqlite:///{folder}", env=env)
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr


# ------------------------------------------------------------------------------ the race

PEER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from app.alarms.actions import ActionRefused, AlarmActions
    from app.auth.users import UserService
    from app.storage.database import Database

    url, folder, name, ids = sys.argv[1], Path(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])
    db = Database(url)
    user = UserService(db, 5, 60).get(name)
    actions = AlarmActions(db, position=name)
    other = {"li.wei": "wang.fang", "wang.fang": "li.wei"}[name]
    out = open(folder / f"{name}.jsonl", "w")
    for i, occ in enumerate(ids):
        (folder / f"{i}.{name}").touch()
        deadline = time.monotonic() + 20
        while not (folder / f"{i}.{other}").exists():  # the barrier: both are here, go
            if time.monotonic() > deadline:
                raise SystemExit("peer never arrived")
            time.sleep(0.0002)
        t0 = time.time()
        try:
            actions.acknowledge(user, occ)
            row = {"occ": occ, "ok": True}
        except ActionRefused as exc:
            row = {"occ": occ, "ok": False, "reason": exc.reason}
        row.update(t0=t0, t1=time.time())
        out.write(json.dumps(row) + "\\n")
        out.flush()
    db.close()
    """
)


def test_two_processes_acknowledge_the_same_alarm_at_once_50_times(
    db: Database, url: str, tmp_path: Path
) -> None:
    """Two real processes, released together by a file barrier for each of 50 alarms: exactly one
    acknowledgement each time; the other is told who acknowledged it and when, and audited."""
    ids = [event_alarm(db, f"camera:yard/zone:gate-{n}") for n in range(50)]
    folder = tmp_path / "barrier"
    folder.mkdir()
    started = time.monotonic()
    peers = [
        subprocess.Popen(
            [sys.executable, "-c", PEER, url, str(folder), name, json.dumps(ids)],
            cwd=REPO,
            env={**os.environ, "WARDROOM_HOME": str(tmp_path / "home")},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("li.wei", "wang.fang")
    ]
    for peer in peers:
        _, stderr = peer.communicate(timeout=80)
        assert peer.returncode == 0, stderr
    elapsed = time.monotonic() - started
    results = {
        name: [json.loads(line) for line in (folder / f"{name}.jsonl").read_text().splitlines()]
        for name in ("li.wei", "wang.fang")
    }
    overlapping = 0
    with db.session() as s:
        for i, occ in enumerate(ids):
            a, b = results["li.wei"][i], results["wang.fang"][i]
            assert a["occ"] == b["occ"] == occ
            assert [a["ok"], b["ok"]].count(True) == 1, (a, b)
            winner, loser = ("li.wei", b) if a["ok"] else ("wang.fang", a)
            assert loser["reason"].startswith(f"already acknowledged by {winner} at "), loser
            assert loser["reason"].endswith("(site time)")
            row = s.get(AlarmOccurrence, occ)
            assert row is not None and row.state == "acknowledged"
            assert row.acknowledged_by is not None and row.acknowledged_by.name == winner
            acks = s.scalar(
                select(func.count())
                .select_from(AlarmTransition)
                .where(AlarmTransition.occurrence_id == occ, AlarmTransition.to_state == "acknowledged")
            )
            assert acks == 1
            overlapping += max(a["t0"], b["t0"]) < min(a["t1"], b["t1"])
        audits = list(s.scalars(select(AuditEntry.action).where(AuditEntry.action.like("alarm.ack%"))))
        assert audits.count("alarm.ack") == 50 and audits.count("alarm.ack-refused") == 50
        assert (
            s.scalar(select(func.count()).select_from(OperatorAction).where(OperatorAction.action == "ack"))
            == 50
        )
        assert chain.verify(s).ok
    print(f"race: 50 rounds in {elapsed:.1f} s, {overlapping} with both calls in flight at once")
    assert overlapping >= 25  # the barrier really released them together (most rounds overlap)
    assert elapsed < 90


def test_two_cli_acknowledgements_started_together(db: Database, url: str, env: dict[str, str]) -> None:
    """The literal form, a few times: two ``wardroom alarms ack`` processes started at once."""
    for key, category, priority in (
        ("b3.pressure/low", "supervisory", "high"),
        ("b3.temp/high", "fault", "medium"),
    ):
        occ = raise_alarm(db, key, category, priority)
        procs = [
            subprocess.Popen(
                [*_wardroom_cmd(), "alarms", "ack", str(occ), "--user", name, "--database", url],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=REPO,
                env={**os.environ, **env},
            )
            for name in ("li.wei", "wang.fang")
        ]
        outcomes = [(*p.communicate(f"{PASSWORD}\n", timeout=60), p.returncode) for p in procs]
        codes = sorted(code for _, _, code in outcomes)
        assert codes == [0, 2], outcomes
        loser = next(err for _, err, code in outcomes if code == 2)
        assert "already acknowledged by " in loser
    assert audit_actions(db).count("alarm.ack-refused") == 2


def _wardroom_cmd() -> list[str]:
    import shutil

    exe = shutil.which("wardroom", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "app.cli"]
