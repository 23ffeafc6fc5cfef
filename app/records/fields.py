"""Parsing, validating and masking the values a records clerk types or imports.

Pure functions (no database), so the importer, the edit dialogs and the CLI judge a value the same
way and say the same words about it. Each parser raises :class:`FieldError` with a sentence a duty
officer understands.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

ID_WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
EXCEL_EPOCH = date(1899, 12, 30)  # serial day 0 of Excel's 1900 date system (after its leap-year bug)


class FieldError(ValueError):
    """A value that cannot be stored; the message says why in plain words."""


def id_check_digit(first17: str) -> str:
    """The national ID number's check character (GB 11643, ISO 7064 MOD 11-2) for its first 17 digits."""
    total = sum(int(ch) * w for ch, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def parse_id_number(text: str) -> str:
    """An 18-character national ID number, upper-case ``X``; refuses a wrong length, digit or date."""
    value = text.strip().upper().replace(" ", "")
    if len(value) != 18:
        raise FieldError(f"the ID number has {len(value)} characters; it must have 18")
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise FieldError("the ID number must be 17 digits followed by a digit or X")
    if id_check_digit(value[:17]) != value[17]:
        raise FieldError("the ID number's check digit is wrong (a typing mistake?)")
    try:
        datetime.strptime(value[6:14], "%Y%m%d")
    except ValueError as exc:
        raise FieldError("the ID number holds no valid birth date") from exc
    return value


def id_birth_date(id_number: str) -> date:
    """The birth date written inside a valid ID number."""
    return datetime.strptime(id_number[6:14], "%Y%m%d").date()


def id_gender(id_number: str) -> str:
    """``M`` or ``F`` from the ID number's 17th digit (odd: male)."""
    return "M" if int(id_number[16]) % 2 else "F"


def mask_id_number(value: str | None) -> str:
    """``330***********1234``: the region's first three digits and the last four, nothing between."""
    if not value:
        return ""
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(value: str | None) -> str:
    """``138****5678``: enough to recognise a number you know, not enough to call a stranger."""
    if not value:
        return ""
    digits = value.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    keep_head = 3 if len(digits) >= 8 else 0
    return digits[:keep_head] + "*" * (len(digits) - keep_head - 4) + digits[-4:]


_GENDERS = {"男": "M", "male": "M", "m": "M", "女": "F", "female": "F", "f": "F"}


def parse_gender(text: str) -> str | None:
    value = text.strip().lower()
    if not value:
        return None
    try:
        return _GENDERS[value]
    except KeyError:
        raise FieldError(f"gender {text.strip()!r} is not 男/女, male/female or M/F") from None


_REGISTRATIONS = {"registered": "registered", "户籍": "registered", "migrant": "migrant", "流动": "migrant"}


def parse_registration(text: str) -> str:
    value = text.strip().lower()
    if not value:
        return "registered"
    try:
        return _REGISTRATIONS[value]
    except KeyError:
        raise FieldError(f"registration {text.strip()!r} is not registered/户籍 or migrant/流动") from None


_DATE_FORMS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
)


def parse_date(value: object, *, what: str = "date") -> date | None:
    """A date from text (``2024-05-01``, ``2024/5/1``, ``2024年5月1日``) or an Excel cell (a date, a
    datetime, or Excel's serial day number); None when empty."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2_958_466:
            return EXCEL_EPOCH + timedelta(days=int(value))
        raise FieldError(f"the {what} {value!r} is not a date")
    text = str(value).strip()
    if not text:
        return None
    text = text.split(" ")[0].split("T")[0] if re.match(r"^\d{4}-\d", text) else text
    for form in _DATE_FORMS:
        match = form.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            try:
                return date(year, month, day)
            except ValueError:
                break
    raise FieldError(f"the {what} {text!r} is not a date (write 2024-05-01, 2024/5/1 or 2024年5月1日)")


_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{2,30}$")


def parse_phone(text: str) -> str:
    value = text.strip()
    if not value:
        return ""
    if not _PHONE.match(value):
        raise FieldError(f"the phone number {value!r} has characters other than digits, spaces and '-'")
    return value


def age_on(birth: date | None, today: date) -> int | None:
    """Whole years of age on ``today``."""
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def cell_text(value: object) -> str:
    """A spreadsheet cell as text: integral numbers without ``.0`` (phone numbers, unit numbers)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()
