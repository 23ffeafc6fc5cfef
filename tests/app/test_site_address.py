"""The address grammar: golden cases for every form, refusals that name the input, type fit."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.site.address import Address, parse_address, register_count, type_fit_error

TYPES = ("bool", "int16", "uint16", "int32", "uint32", "float32")

MODBUS_GOLDEN = [
    ("co:0", Address("co:0", "co", None, 0, None, "bit")),
    ("co:5", Address("co:5", "co", None, 5, None, "bit")),
    ("di:65535", Address("di:65535", "di", None, 65535, None, "bit")),
    ("ir:3", Address("ir:3", "ir", None, 3, None, "word")),
    ("hr:100", Address("hr:100", "hr", None, 100, None, "word")),
    ("hr:65535", Address("hr:65535", "hr", None, 65535, None, "word")),
    ("hr:100.0", Address("hr:100.0", "hr", None, 100, 0, "bit")),
    ("hr:100.15", Address("hr:100.15", "hr", None, 100, 15, "bit")),
    ("ir:7.3", Address("ir:7.3", "ir", None, 7, 3, "bit")),
]

S7_GOLDEN = [
    ("db1.dbx0.0", Address("db1.dbx0.0", "db", 1, 0, 0, "bit")),
    ("db10.dbx4.7", Address("db10.dbx4.7", "db", 10, 4, 7, "bit")),
    ("db1.dbw2", Address("db1.dbw2", "db", 1, 2, None, "word")),
    ("db65535.dbd100", Address("db65535.dbd100", "db", 65535, 100, None, "dword")),
    ("m10.1", Address("m10.1", "m", None, 10, 1, "bit")),
    ("mw20", Address("mw20", "m", None, 20, None, "word")),
    ("md24", Address("md24", "m", None, 24, None, "dword")),
    ("i0.0", Address("i0.0", "i", None, 0, 0, "bit")),
    ("iw64", Address("iw64", "i", None, 64, None, "word")),
    ("id8", Address("id8", "i", None, 8, None, "dword")),
    ("q1.7", Address("q1.7", "q", None, 1, 7, "bit")),
    ("qw2", Address("qw2", "q", None, 2, None, "word")),
    ("qd4", Address("qd4", "q", None, 4, None, "dword")),
]


@pytest.mark.parametrize(("text", "expected"), MODBUS_GOLDEN)
@pytest.mark.parametrize("protocol", ["modbus-tcp", "modbus-rtu"])
def test_modbus_golden(text: str, expected: Address, protocol: str) -> None:
    assert parse_address(text, protocol) == expected


@pytest.mark.parametrize(("text", "expected"), S7_GOLDEN)
def test_s7_golden(text: str, expected: Address) -> None:
    assert parse_address(text, "s7") == expected


@pytest.mark.parametrize(
    ("text", "protocol", "words"),
    [
        ("hr:65536", "modbus-tcp", "out of range 0-65535"),
        ("hr:1.16", "modbus-tcp", "bit 16 is out of range 0-15"),
        ("co:1.2", "modbus-tcp", "have no bit number; write co:1"),
        ("di:3.0", "modbus-rtu", "have no bit number"),
        ("HR:100", "modbus-tcp", 'must be lower case: write "hr:100"'),
        ("hr100", "modbus-tcp", "is not a Modbus address"),
        ("hr:-1", "modbus-tcp", "is not a Modbus address"),
        ("hr:", "modbus-tcp", "is not a Modbus address"),
        (" hr:1", "modbus-tcp", "spaces"),
        ("", "modbus-tcp", "empty"),
        ("4x00001", "modbus-tcp", "is not a Modbus address"),
        ("db1.dbx0.0", "modbus-tcp", "is an S7 address but the PLC speaks modbus-tcp"),
        ("mw2", "modbus-rtu", "is an S7 address"),
        ("hr:100", "s7", "is a Modbus address but the PLC speaks s7"),
        ("db1.dbx0", "s7", "needs a bit number 0-7"),
        ("db1.dbx0.8", "s7", "bit 8 is out of range 0-7"),
        ("db1.dbw0.1", "s7", "only bit addresses take a .bit suffix"),
        ("db0.dbw0", "s7", "data block number 0 is out of range 1-65535"),
        ("db1.dbb0", "s7", "single byte"),
        ("mb3", "s7", "single byte"),
        ("m10", "s7", "needs a bit number"),
        ("db1.dbd65533", "s7", "runs past byte 65535"),
        ("x1.0", "s7", "is not an S7 address"),
        ("hr:1", "profinet", 'unknown protocol "profinet"'),
        ("hr:１", "modbus-tcp", "is not a Modbus address"),  # a full-width digit is not a digit here
    ],
)
def test_refusals_name_the_input(text: str, protocol: str, words: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_address(text, protocol)
    message = str(caught.value)
    assert f'"{text}"' in message
    assert words in message


@pytest.mark.parametrize(
    ("text", "protocol", "fits"),
    [
        ("co:5", "modbus-tcp", {"bool"}),
        ("di:0", "modbus-tcp", {"bool"}),
        ("hr:1.4", "modbus-tcp", {"bool"}),
        ("hr:100", "modbus-tcp", {"int16", "uint16", "int32", "uint32", "float32"}),
        ("ir:65534", "modbus-tcp", {"int16", "uint16", "int32", "uint32", "float32"}),
        ("ir:65535", "modbus-tcp", {"int16", "uint16"}),
        ("db1.dbx0.0", "s7", {"bool"}),
        ("m0.0", "s7", {"bool"}),
        ("db1.dbw0", "s7", {"int16", "uint16"}),
        ("qw0", "s7", {"int16", "uint16"}),
        ("db1.dbd0", "s7", {"int32", "uint32", "float32"}),
        ("md4", "s7", {"int32", "uint32", "float32"}),
    ],
)
def test_type_fit(text: str, protocol: str, fits: set[str]) -> None:
    address = parse_address(text, protocol)
    for type_ in TYPES:
        error = type_fit_error(address, type_)
        if type_ in fits:
            assert error is None, error
        else:
            assert error is not None
            assert f"type {type_} does not fit address {text}" in error


def test_type_fit_messages_say_what_to_use() -> None:
    coil = parse_address("co:5", "modbus-tcp")
    assert type_fit_error(coil, "float32") == (
        'type float32 does not fit address co:5 (coils hold single bits; use type = "bool")'
    )
    register = parse_address("hr:100", "modbus-tcp")
    assert "hr:100.b with b = 0-15" in (type_fit_error(register, "bool") or "")
    word = parse_address("db1.dbw4", "s7")
    assert "db1.dbx4.0" in (type_fit_error(word, "bool") or "")
    assert "use int16 or uint16" in (type_fit_error(word, "float32") or "")
    assert "unknown type" in (type_fit_error(word, "uint61") or "")


def test_read_only_areas() -> None:
    assert parse_address("di:0", "modbus-tcp").read_only
    assert parse_address("ir:0", "modbus-tcp").read_only
    assert parse_address("iw0", "s7").read_only
    assert not parse_address("hr:0", "modbus-tcp").read_only
    assert not parse_address("qw0", "s7").read_only


def test_register_count() -> None:
    assert [register_count(t) for t in TYPES] == [1, 1, 1, 2, 2, 2]
    with pytest.raises(ValueError, match="uint61"):
        register_count("uint61")


_ADDRESSISH = st.from_regex(
    r"(co|di|ir|hr|HR|db|m|i|q|x)?[:.]?(db[xbwd])?[0-9]{0,7}(\.[0-9]{0,3})?[a-z ]?", fullmatch=True
)


@settings(max_examples=400, deadline=None)
@given(
    text=st.one_of(st.text(max_size=20), _ADDRESSISH),
    protocol=st.sampled_from(["modbus-tcp", "modbus-rtu", "s7"]),
)
def test_any_text_gives_an_address_or_a_value_error_naming_it(text: str, protocol: str) -> None:
    try:
        address = parse_address(text, protocol)
    except ValueError as exc:
        assert json.dumps(text, ensure_ascii=False) in str(exc)
        return
    assert address.text == text
    assert 0 <= address.index <= 65535
    assert address.bit is None or 0 <= address.bit <= 15
    assert (address.db is not None) == (address.area == "db")
    for type_ in TYPES:
        error = type_fit_error(address, type_)
        assert error is None or text in error
