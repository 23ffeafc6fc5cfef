"""Golden and property tests of the decoder: exact words/bytes in, exact values out."""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.fieldbus import codec

# (type, word order, registers as a PLC sends them, raw value)
GOLDEN_REGISTERS = [
    ("uint16", "big", [0x0000], 0),
    ("uint16", "big", [0xFFFF], 65535),
    ("uint16", "little", [0x1234], 0x1234),  # word order is irrelevant for one register
    ("int16", "big", [0xFFFF], -1),
    ("int16", "big", [0x8000], -32768),
    ("int16", "big", [0x7FFF], 32767),
    ("uint32", "big", [0x0001, 0x0002], 0x00010002),
    ("uint32", "little", [0x0002, 0x0001], 0x00010002),
    ("uint32", "big", [0xFFFF, 0xFFFF], 4294967295),
    ("int32", "big", [0xFFFF, 0xFFFE], -2),
    ("int32", "little", [0xFFFE, 0xFFFF], -2),
    ("int32", "big", [0x8000, 0x0000], -(2**31)),
    ("float32", "big", [0x3F80, 0x0000], 1.0),
    ("float32", "little", [0x0000, 0x3F80], 1.0),
    ("float32", "big", [0xC2F6, 0xE979], struct.unpack(">f", bytes.fromhex("c2f6e979"))[0]),  # -123.456
    ("float32", "little", [0xE979, 0xC2F6], struct.unpack(">f", bytes.fromhex("c2f6e979"))[0]),
]


@pytest.mark.parametrize(("type_", "order", "words", "expected"), GOLDEN_REGISTERS)
def test_registers_golden(type_: str, order: str, words: list[int], expected: float) -> None:
    assert codec.decode_registers(words, type_, order) == expected
    assert codec.encode_registers(expected, type_, order) == words


def test_float_golden_value() -> None:
    assert codec.decode_registers([0xC2F6, 0xE979], "float32", "big") == pytest.approx(-123.456, abs=1e-4)


@pytest.mark.parametrize("bit", range(16))
def test_bit_in_register(bit: int) -> None:
    word = 1 << bit
    for b in range(16):
        assert codec.decode_registers([word], "bool", "big", b) is (b == bit)
    assert codec.decode_registers([0xFFFF ^ word], "bool", "big", bit) is False


# S7: big-endian bytes
GOLDEN_BYTES = [
    ("int16", bytes.fromhex("fffe"), -2),
    ("uint16", bytes.fromhex("fffe"), 65534),
    ("int32", bytes.fromhex("fffffffe"), -2),
    ("uint32", bytes.fromhex("00010002"), 65538),
    ("float32", bytes.fromhex("3f800000"), 1.0),
    ("float32", bytes.fromhex("c2f6e979"), struct.unpack(">f", bytes.fromhex("c2f6e979"))[0]),
]


@pytest.mark.parametrize(("type_", "data", "expected"), GOLDEN_BYTES)
def test_bytes_golden(type_: str, data: bytes, expected: float) -> None:
    assert codec.decode_bytes(data, type_) == expected
    assert codec.encode_bytes(expected, type_) == data


def test_s7_bit_in_byte() -> None:
    assert [codec.decode_bytes(b"\x05", "bool", b) for b in range(8)] == [
        True,
        False,
        True,
        False,
        False,
        False,
        False,
        False,
    ]


def test_engineering_scaling_and_writes() -> None:
    assert codec.to_engineering(420, 0.001, 0.0) == pytest.approx(0.42)
    assert codec.to_engineering(-5, 0.5, 10.0) == pytest.approx(7.5)
    assert codec.to_engineering(True, 0.5, 10.0) is True
    assert codec.to_raw(0.42, "uint16", 0.001, 0.0) == 420
    assert codec.to_raw(7.5, "int16", 0.5, 10.0) == -5
    assert codec.to_raw(1, "bool", 1.0, 0.0) is True
    with pytest.raises(ValueError, match=r"^70\.0 cannot be written as uint16"):
        codec.to_raw(70.0, "uint16", 0.001, 0.0)  # 70000 does not fit
    with pytest.raises(ValueError, match="maybe"):
        codec.to_raw("maybe", "bool", 1.0, 0.0)  # type: ignore[arg-type]


def test_refusals_name_the_input() -> None:
    with pytest.raises(ValueError, match="70000"):
        codec.decode_registers([70000], "uint16")
    with pytest.raises(ValueError, match=r"\[1\]"):
        codec.decode_registers([1], "float32")
    with pytest.raises(ValueError, match="7f c0 00 00"):
        codec.decode_bytes(bytes.fromhex("7fc00000"), "float32")  # NaN is not a measurement
    with pytest.raises(ValueError, match="int64"):
        codec.decode_registers([1, 2, 3, 4], "int64")


WORDS = st.lists(st.integers(min_value=-10, max_value=70000), min_size=0, max_size=3)


@settings(max_examples=400, deadline=None)
@given(
    words=WORDS,
    type_=st.sampled_from(codec.TYPES),
    order=st.sampled_from(["big", "little"]),
    bit=st.one_of(st.none(), st.integers(min_value=-2, max_value=17)),
)
def test_decode_registers_value_or_named_error(
    words: list[int], type_: str, order: str, bit: int | None
) -> None:
    try:
        value = codec.decode_registers(words, type_, order, bit)
    except ValueError as exc:
        # the message must name the input itself: naming only the type or a bare number that may
        # occur anywhere in the text ("1") would not tell an operator which data was refused
        assert str(words) in str(exc)
        return
    assert isinstance(value, bool | int | float)
    if isinstance(value, float):
        assert math.isfinite(value)
    if type_ != "bool":  # round trip
        assert codec.encode_registers(value, type_, order) == words


@settings(max_examples=400, deadline=None)
@given(
    data=st.binary(max_size=5),
    type_=st.sampled_from(codec.TYPES),
    bit=st.one_of(st.none(), st.integers(min_value=-1, max_value=9)),
)
def test_decode_bytes_value_or_named_error(data: bytes, type_: str, bit: int | None) -> None:
    try:
        value = codec.decode_bytes(data, type_, bit)
    except ValueError as exc:
        assert f"[{data.hex(' ')}]" in str(exc)
        return
    assert isinstance(value, bool | int | float)
    if type_ != "bool":
        assert codec.encode_bytes(value, type_) == data


@settings(max_examples=400, deadline=None)
@given(
    value=st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(min_value=-(2**40), max_value=2**40),
        st.booleans(),
    ),
    type_=st.sampled_from(codec.TYPES),
    scale=st.sampled_from([0.0, 0.001, 1.0, -2.5, 1e-30]),
    offset=st.sampled_from([0.0, 10.0, -1e6]),
)
def test_to_raw_value_or_error_naming_the_value(
    value: float | bool, type_: str, scale: float, offset: float
) -> None:
    """A write names the engineering value the operator typed, not only the raw number."""
    try:
        raw = codec.to_raw(value, type_, scale, offset)
    except ValueError as exc:
        assert str(exc).startswith(repr(value))
        return
    assert isinstance(raw, bool | int | float)
    if type_ != "bool":
        codec.encode_registers(raw, type_)  # whatever to_raw accepts can be encoded
