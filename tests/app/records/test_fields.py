"""Values as a clerk types them: ID numbers, masks, dates, genders, tags, pinyin keys."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.records.fields import (
    FieldError,
    id_birth_date,
    id_check_digit,
    id_gender,
    mask_id_number,
    mask_phone,
    parse_date,
    parse_gender,
    parse_id_number,
    parse_registration,
)
from app.records.names import name_keys, name_parts, search_key
from app.records.residents import parse_tags
from app.records.settings import RecordsRules


def test_known_id_number_and_its_check_digit() -> None:
    assert id_check_digit("11010519491231002") == "X"  # the standard's own example
    assert parse_id_number(" 11010519491231002x ") == "11010519491231002X"
    assert id_birth_date("11010519491231002X") == date(1949, 12, 31)
    assert id_gender("11010519491231002X") == "F"
    with pytest.raises(FieldError, match="check digit"):
        parse_id_number("110105194912310021")
    with pytest.raises(FieldError, match="18"):
        parse_id_number("1101051949123100")
    with pytest.raises(FieldError, match="birth date"):
        first17 = "11010519491331002"
        parse_id_number(first17 + id_check_digit(first17))


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31)),
    st.integers(min_value=0, max_value=999),
    st.integers(min_value=0, max_value=16),
)
def test_every_valid_number_passes_and_every_single_digit_slip_is_caught(
    birth: date, seq: int, where: int
) -> None:
    first17 = f"330106{birth:%Y%m%d}{seq:03d}"
    number = first17 + id_check_digit(first17)
    assert parse_id_number(number) == number
    assert id_birth_date(number) == birth
    masked = mask_id_number(number)
    assert masked == number[:3] + "*" * 11 + number[-4:] and len(masked) == 18
    slipped = number[:where] + str((int(number[where]) + 1) % 10) + number[where + 1 :]
    with pytest.raises(FieldError):
        parse_id_number(slipped)


def test_masks_dates_genders_registrations() -> None:
    assert mask_id_number("330106199001011234") == "330***********1234"
    assert mask_phone("13812345678") == "138****5678" and mask_phone("") == ""
    for text in ("2024-05-01", "2024/5/1", "2024年5月1日", "2024.5.1", 45413):
        assert parse_date(text) == date(2024, 5, 1)
    assert parse_date("") is None and parse_date(None) is None
    with pytest.raises(FieldError, match="not a date"):
        parse_date("2024-02-30")
    assert [parse_gender(g) for g in ("男", "female", "M", "f", "")] == ["M", "F", "M", "F", None]
    with pytest.raises(FieldError):
        parse_gender("X")
    assert [parse_registration(r) for r in ("户籍", "流动", "migrant", "")] == [
        "registered",
        "migrant",
        "migrant",
        "registered",
    ]


def test_tags_in_english_or_chinese_and_the_sites_own() -> None:
    rules = RecordsRules(tags={"lives-alone": "独居", "mobility": "行动不便", "hearing": "听力障碍"})
    assert parse_tags("独居；行动不便;hearing", rules) == {"lives-alone", "mobility", "hearing"}
    with pytest.raises(FieldError, match="unknown tag '低保'"):
        parse_tags("低保", rules)


def test_pinyin_keys_and_name_parts() -> None:
    assert name_keys("张伟") == ("zhangwei", "zw")
    assert name_keys("欧阳娜娜") == ("ouyangnana", "oynn")
    assert name_parts("张伟华") == {"张", "伟", "华", "张伟", "伟华", "张伟华"}
    assert search_key(" ZW ") == "zw" and search_key("张") is None and search_key("z1") is None
