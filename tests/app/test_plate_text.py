"""The one plate normaliser and matcher (vision reads and records imports both go through it)."""

from __future__ import annotations

import pytest

from app.plate_text import confusable_variants, confusions, match_plate, normalise_plate, plate_kind


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("京A·12345", "京A12345"),
        ("京a 12345", "京A12345"),
        (" 沪B-D12345 ", "沪BD12345"),
        ("粤Ｂ１２３４５", "粤B12345"),  # full-width letters and digits
        ("浙A.8888学", "浙A8888学"),
    ],
)
def test_normalise_folds_case_width_spaces_and_separators(raw: str, normal: str) -> None:
    assert normalise_plate(raw) == normal


def test_plate_kinds() -> None:
    assert plate_kind("京A12345") == "blue"
    assert plate_kind("沪AD12345") == "green"
    assert plate_kind("京A1234") is None  # too short
    assert plate_kind("XA12345") is None  # no province
    assert plate_kind("京A12O45") is None  # O is not used on mainland plates


def test_one_confusion_is_forgiven_two_are_not() -> None:
    assert confusions("京A12045", "京A12D45") == 1
    assert confusions("京A18045", "京A1BD45") == 2
    assert confusions("京A12345", "京A12346") is None
    registered = {1: "京A12D45", 2: "沪B88888"}
    found = match_plate("京A12045", registered)
    assert found is not None and found.key == 1 and not found.exact
    assert match_plate("京A1BD45".replace("B", "8").replace("D", "0"), registered) is None
    assert match_plate("沪B88888", registered) == match_plate("沪B88888", list(registered.items()))


def test_exact_wins_and_two_near_plates_are_ambiguous() -> None:
    registered = {1: "京A12345", 2: "京A1234S", 3: "京A1Z345"}
    exact = match_plate("京A12345", registered)
    assert exact is not None and exact.key == 1 and exact.exact
    # "京A12S45" is near neither; "京AI2345" is one away from 1 only.
    near = match_plate("京AI2345", registered)
    assert near is not None and near.key == 1
    assert match_plate("京A1Z34S", {2: "京A1234S", 3: "京A1Z345"}) is None  # one from each: ambiguous


def test_variants_are_exactly_one_confusion_away() -> None:
    variants = confusable_variants("京A1D85")
    assert set(variants) == {"京AID85", "京A1085", "京A1DB5", "京A1D8S"}
    assert all(confusions(v, "京A1D85") == 1 for v in variants)
