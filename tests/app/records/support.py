"""A real SQLite (or PostgreSQL) database with a synced site, users of every role, and generators of
realistic resident files for the records tests."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from argon2 import PasswordHasher

from app.auth.users import UserService
from app.records.access import Viewer
from app.records.fields import id_check_digit
from app.site.loader import load_site
from app.site.sync import sync_site
from app.storage.database import Database

PASSWORD = "long-enough-pw"
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
SITE = """
[site]
name = "Records test ward"
timezone = "Asia/Shanghai"

[[building]]
id = "B1"
name = "Building 1"

[[building]]
id = "B2"
name = "二号楼"

[records]
tags = [ { id = "hearing", label = "听力障碍" } ]
working_age = [16, 60]
visit_interval_days = 7
"""
OFFICER = Viewer("officer", "duty-officer")
CLERK = Viewer("clerk", "records-clerk")
BOSS = Viewer("boss", "supervisor")
ADMIN = Viewer("admin", "administrator")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"


def write_site(folder: Path) -> Path:
    path = folder / "ward.toml"
    path.write_text(SITE, encoding="utf-8")
    return path


@contextmanager
def ward_db(folder: Path, url: str | None = None) -> Iterator[Database]:
    """A migrated database (SQLite file in ``folder`` unless ``url``) with the site synced and users."""
    db = Database(url or f"sqlite:///{folder / 'records.sqlite3'}")
    try:
        db.upgrade()
        sync_site(db, load_site(write_site(folder)))
        users = UserService(db, hasher=FAST)
        for viewer in (OFFICER, CLERK, BOSS, ADMIN):
            users.add(viewer.name, viewer.role, PASSWORD)
        yield db
    finally:
        db.close()


def id_number(birth: date, seq: int, region: str = "330106") -> str:
    first17 = f"{region}{birth:%Y%m%d}{seq % 1000:03d}"
    return first17 + id_check_digit(first17)


def resident_rows(count: int, seed: int = 7) -> list[dict[str, str]]:
    """``count`` good resident rows (Chinese headers), every one a different person."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        birth = date(1930, 1, 1) + timedelta(days=(i * 7) % 30000)
        name = SURNAMES[rng.randrange(len(SURNAMES))] + "".join(
            rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))
        )
        building = "B1" if i % 2 else "二号楼"
        unit = f"{1 + (i // 4) % 30}-{101 + i % 400}"
        rows.append(
            {
                "姓名": name,
                "性别": rng.choice(("男", "女", "M", "F", "male", "female")),
                "出生日期": rng.choice(
                    (
                        f"{birth:%Y-%m-%d}",
                        f"{birth.year}/{birth.month}/{birth.day}",
                        f"{birth.year}年{birth.month}月{birth.day}日",
                    )
                ),
                "身份证号": id_number(birth, i // 30000 * 7 + i % 997) if i % 5 else "",
                "联系电话": f"13{rng.randrange(10**9):09d}",
                "楼栋": building,
                "房号": unit,
                "户号": f"H{i // 3:05d}-{building}-{unit}",
                "户籍类型": rng.choice(("户籍", "流动", "registered", "migrant")),
                "入住日期": "2015-06-01",
                "标签": rng.choice(("", "", "独居", "行动不便；慢性病", "lives-alone;mobility", "听力障碍")),
            }
        )
    return rows


def csv_text(rows: list[dict[str, str]]) -> str:
    headers = list(rows[0])
    lines = [",".join(headers)] + [",".join(r[h] for h in headers) for r in rows]
    return "\n".join(lines) + "\n"
