"""Raw PLC data <-> values, for every point type of the site-file contract.

Pure functions with no I/O, so the exact bytes a PLC sends can be checked by golden and property
tests. Every refusal is a ``ValueError`` whose message names the offending input: a poller turns it
into a point quality with a readable reason instead of crashing, and nothing else may escape.

Modbus: a register is a big-endian 16-bit word (the protocol says so); only the order of the two
registers of a 32-bit value varies between PLCs (``word_order``: ``"big"`` = the first register holds
the high word). Coils and discrete inputs arrive as bools already unpacked (pymodbus does the
LSB-first byte unpacking; a golden test pins that). S7 is big-endian throughout, byte addressed.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from typing import Literal

Raw = int | float | bool
WordOrderName = Literal["big", "little"]

TYPES: tuple[str, ...] = ("bool", "int16", "uint16", "int32", "uint32", "float32")
_STRUCT: dict[str, str] = {"int16": "h", "uint16": "H", "int32": "i", "uint32": "I", "float32": "f"}
_WORDS: dict[str, int] = {"bool": 1, "int16": 1, "uint16": 1, "int32": 2, "uint32": 2, "float32": 2}
_BYTES: dict[str, int] = {"bool": 1, "int16": 2, "uint16": 2, "int32": 4, "uint32": 4, "float32": 4}
INT_LIMITS: dict[str, tuple[int, int]] = {
    "int16": (-(2**15), 2**15 - 1),
    "uint16": (0, 2**16 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1),
}
FLOAT32_MAX = 3.4028234663852886e38  # largest finite float32 (the simulators clamp to it)


def _check_type(type_: str) -> None:
    if type_ not in _WORDS:
        raise ValueError(f"unknown point type {type_!r}; expected one of {', '.join(TYPES)}")


def word_count(type_: str) -> int:
    """Registers a value of ``type_`` occupies on Modbus (a bool in a register takes that register)."""
    _check_type(type_)
    return _WORDS[type_]


def byte_count(type_: str) -> int:
    """Bytes a value of ``type_`` occupies on S7 (a bool is read as the byte holding its bit)."""
    _check_type(type_)
    return _BYTES[type_]


def _check_order(word_order: str) -> None:
    if word_order not in ("big", "little"):
        raise ValueError(f"word order {word_order!r} must be 'big' or 'little'")


def _check_bit(bit: int | None, top: int, what: str) -> None:
    if bit is not None and (isinstance(bit, bool) or not isinstance(bit, int) or not 0 <= bit <= top):
        raise ValueError(f"bit {bit!r} of {what} must be 0-{top}")


def _finite(value: float, type_: str, source: object) -> float:
    """A NaN or infinity from a PLC is not a measurement: refuse it, naming the data it came from."""
    if not math.isfinite(value):
        raise ValueError(f"{type_} data {source} holds {value}, not a measurement")
    return value


def _unpack(data: bytes, type_: str, source: object) -> Raw:
    (value,) = struct.unpack(">" + _STRUCT[type_], data)
    if type_ == "float32":
        return _finite(float(value), type_, source)
    return int(value)


def decode_registers(
    words: Sequence[int], type_: str, word_order: str = "big", bit: int | None = None
) -> Raw:
    """The raw value held in ``words`` (the point's own registers, first one first).

    ``bit`` selects one bit of the first register for ``hr:N.b`` / ``ir:N.b`` (0 = least significant).
    A bool without a bit reads the whole register as nonzero/zero (a PLC "word flag").
    """
    _check_type(type_)
    _check_order(word_order)
    needed = _WORDS[type_]
    if len(words) != needed:
        raise ValueError(f"{type_} needs {needed} register(s), got {list(words)!r}")
    for word in words:
        if isinstance(word, bool) or not isinstance(word, int) or not 0 <= word <= 0xFFFF:
            raise ValueError(f"register contents {list(words)!r} are not 16-bit words")
    _check_bit(bit, 15, f"register {list(words)!r}")
    if type_ == "bool":
        return bool((words[0] >> bit) & 1) if bit is not None else words[0] != 0
    ordered = list(words) if word_order == "big" or needed == 1 else list(reversed(words))
    data = b"".join(w.to_bytes(2, "big") for w in ordered)
    return _unpack(data, type_, list(words))


def decode_bits(bits: Sequence[bool], type_: str) -> bool:
    """A coil or discrete input: exactly one bool."""
    if type_ != "bool":
        raise ValueError(f"a coil or discrete input holds a bool, not {type_!r} (data {list(bits)!r})")
    if len(bits) != 1 or not isinstance(bits[0], bool | int):
        raise ValueError(f"coil data {list(bits)!r} is not one bit")
    return bool(bits[0])


def decode_bytes(data: bytes, type_: str, bit: int | None = None) -> Raw:
    """An S7 value from the point's own bytes (big-endian; a bool is bit ``bit`` of one byte)."""
    _check_type(type_)
    raw = bytes(data)
    shown = f"bytes [{raw.hex(' ')}]"
    needed = _BYTES[type_]
    if len(raw) != needed:
        raise ValueError(f"{type_} needs {needed} byte(s), got {shown}")
    if type_ == "bool":
        _check_bit(bit, 7, shown)
        return bool((raw[0] >> bit) & 1) if bit is not None else raw[0] != 0
    return _unpack(raw, type_, shown)


def _integral(value: Raw, type_: str) -> int:
    """``value`` rounded to an integer of ``type_``; refusals name ``value`` as given (not rounded)."""
    number = value
    if isinstance(number, float):
        if not math.isfinite(number):
            raise ValueError(f"{value!r} cannot be written as {type_}")
        number = round(number)
    lo, hi = INT_LIMITS[type_]
    if not lo <= int(number) <= hi:
        raise ValueError(f"{value!r} is outside the {type_} range {lo}..{hi}")
    return int(number)


def _pack(value: Raw, type_: str) -> bytes:
    if type_ == "float32":
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"{value!r} cannot be written as float32")
        if abs(number) > FLOAT32_MAX:
            raise ValueError(f"{value!r} is outside the float32 range")
        return struct.pack(">f", number)
    return struct.pack(">" + _STRUCT[type_], _integral(value, type_))


def encode_registers(value: Raw, type_: str, word_order: str = "big") -> list[int]:
    """Registers that hold raw ``value`` (inverse of :func:`decode_registers`, bit types excluded)."""
    _check_type(type_)
    _check_order(word_order)
    if type_ == "bool":
        raise ValueError(f"bool {value!r} is written as a coil or a register bit, not as registers")
    data = _pack(value, type_)
    words = [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
    return words if word_order == "big" else list(reversed(words))


def encode_bytes(value: Raw, type_: str) -> bytes:
    """S7 bytes that hold raw ``value`` (bit types are written one bit at a time, not here)."""
    _check_type(type_)
    if type_ == "bool":
        raise ValueError(f"bool {value!r} is written as a single bit, not as bytes")
    return _pack(value, type_)


def to_engineering(raw: Raw, scale: float, offset: float) -> float | bool:
    """Engineering value = raw * scale + offset; bools stay bools (scaling a contact is meaningless)."""
    if isinstance(raw, bool):
        return raw
    return float(raw) * scale + offset


def to_raw(value: float | bool, type_: str, scale: float, offset: float) -> Raw:
    """The raw value to write for engineering ``value``; ValueError if the type cannot hold it.

    The refusal names ``value`` as the caller gave it: the raw number after scaling alone would not
    tell an operator which of their inputs was wrong.
    """
    _check_type(type_)
    if type_ == "bool":
        if isinstance(value, bool) or value in (0, 1):
            return bool(value)
        raise ValueError(f"{value!r} is not a bool (write 0/1 or true/false)")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{value!r} is not a finite number")
    if scale == 0:
        raise ValueError(f"{value!r} cannot be written: the point's scale is 0")
    raw = (float(value) - offset) / scale
    try:
        if type_ == "float32":
            _pack(raw, type_)
            return raw
        return _integral(raw, type_)
    except ValueError as exc:
        raise ValueError(f"{value!r} cannot be written as {type_} (raw value {exc})") from None
