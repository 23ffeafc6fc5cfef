"""The point address grammar of the site file, parsed once into a typed ``Address``.

Installers type these strings by hand from PLC documentation, so the parser is strict (lower case, no
spaces, no leading ``+``) and every refusal says what was wrong and shows a valid example: a wrong
address that slipped through would read the wrong register of a fire panel without anyone noticing.

Modbus (``modbus-tcp``, ``modbus-rtu``), N is the 0-based protocol address 0-65535:

=============  ==========================================  =========  ======================
form           meaning                                     size       types
=============  ==========================================  =========  ======================
``co:N``       coil                                        bit        bool
``di:N``       discrete input (read-only)                  bit        bool
``hr:N``       holding register (32-bit types use N, N+1)  word       all but bool
``ir:N``       input register (read-only), as ``hr``       word       all but bool
``hr:N.b``     bit b (0-15, 0 = least significant)         bit        bool
``ir:N.b``     bit b of an input register                  bit        bool
=============  ==========================================  =========  ======================

S7 (``s7``), B is a byte offset, b a bit 0-7, D a data block number 1-65535:

==========================  ===============================  =====  ============================
form                        meaning                          size   types
==========================  ===============================  =====  ============================
``dbD.dbxB.b``              bit of a data block              bit    bool
``dbD.dbwB``                16-bit word of a data block      word   int16, uint16
``dbD.dbdB``                32-bit double word               dword  int32, uint32, float32
``mB.b`` ``mwB`` ``mdB``    flag (marker) area, same sizes
``iB.b`` ``iwB`` ``idB``    process inputs (read-only)
``qB.b`` ``qwB`` ``qdB``    process outputs
==========================  ===============================  =====  ============================

Byte-sized forms (``dbD.dbbB``, ``mbB``, ``ibB``, ``qbB``) are recognised only to refuse them with a
hint: the site file has no 8-bit type, so such an address could never hold a point.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal, cast

Area = Literal["co", "di", "ir", "hr", "db", "m", "i", "q"]
Size = Literal["bit", "word", "dword", "byte"]

MODBUS_PROTOCOLS: frozenset[str] = frozenset({"modbus-tcp", "modbus-rtu"})
S7_PROTOCOLS: frozenset[str] = frozenset({"s7"})
MAX_MODBUS_INDEX = 65535
MAX_S7_BYTE = 65535
MAX_DB = 65535

_REGISTER_COUNT: dict[str, int] = {
    "bool": 1,
    "int16": 1,
    "uint16": 1,
    "int32": 2,
    "uint32": 2,
    "float32": 2,
}
_WORD_TYPES = ("int16", "uint16")
_DWORD_TYPES = ("int32", "uint32", "float32")

_MODBUS_RE = re.compile(r"(co|di|ir|hr):([0-9]{1,6})(?:\.([0-9]{1,3}))?")
_S7_DB_RE = re.compile(r"db([0-9]{1,6})\.db([xbwd])([0-9]{1,6})(?:\.([0-9]{1,3}))?")
_S7_AREA_RE = re.compile(r"([miq])([bwd]?)([0-9]{1,6})(?:\.([0-9]{1,3}))?")

_MODBUS_EXAMPLES = "hr:100, ir:3, co:5, di:0 or hr:100.3"
_S7_EXAMPLES = "db1.dbx0.0, db1.dbw2, db1.dbd4, m10.1, mw20, iw0 or q0.0"

_AREA_WORDS: dict[str, str] = {
    "co": "coils hold single bits",
    "di": "discrete inputs hold single bits",
    "hr": "a holding register holds 16 bits",
    "ir": "an input register holds 16 bits",
    "db": "data block",
    "m": "flag area",
    "i": "input area",
    "q": "output area",
}


def _q(value: object) -> str:
    """Quote like TOML does (double quotes), so messages echo what the installer typed."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)


@dataclass(frozen=True)
class Address:
    """One parsed point address.

    ``index`` is the 0-based register/coil address for Modbus and the byte offset for S7; ``db`` is
    the data block number (S7 ``db`` area only); ``bit`` is set for single-bit addresses inside a
    register or byte.
    """

    text: str
    area: Area
    db: int | None
    index: int
    bit: int | None
    size: Size

    @property
    def is_modbus(self) -> bool:
        return self.area in ("co", "di", "ir", "hr")

    @property
    def read_only(self) -> bool:
        """Areas a master cannot write: discrete inputs, input registers, S7 process inputs."""
        return self.area in ("di", "ir", "i")


def register_count(type_: str) -> int:
    """16-bit registers (Modbus) a value of ``type_`` spans: 32-bit types take N and N+1."""
    try:
        return _REGISTER_COUNT[type_]
    except KeyError:
        allowed = ", ".join(_REGISTER_COUNT)
        raise ValueError(f"unknown point type {_q(type_)}; expected one of {allowed}") from None


def _number(text: str, digits: str, what: str, low: int, high: int) -> int:
    value = int(digits)
    if not low <= value <= high:
        raise ValueError(f"address {_q(text)}: {what} {value} is out of range {low}-{high}")
    return value


def _parse_modbus(text: str) -> Address:
    match = _MODBUS_RE.fullmatch(text)
    if match is None:
        raise ValueError(f"address {_q(text)} is not a Modbus address; expected e.g. {_MODBUS_EXAMPLES}")
    area_text, index_text, bit_text = match.groups()
    area = cast(Area, area_text)  # the regex admits only the four Modbus areas
    index = _number(text, index_text, "register address", 0, MAX_MODBUS_INDEX)
    if bit_text is None:
        size: Size = "bit" if area in ("co", "di") else "word"
        return Address(text, area, None, index, None, size)
    if area in ("co", "di"):
        raise ValueError(
            f"address {_q(text)}: {_AREA_WORDS[area]} and have no bit number; write {area}:{index}"
        )
    bit = _number(text, bit_text, "bit", 0, 15)
    return Address(text, area, None, index, bit, "bit")


def _s7_shape(
    text: str, letter: str, bit_text: str | None, offset: int, example: str
) -> tuple[Size, int | None]:
    """Check the size letter against the bit part; letter is ``x``/``''`` (bit), ``b``, ``w`` or ``d``."""
    if letter in ("x", ""):
        if bit_text is None:
            raise ValueError(f"address {_q(text)} needs a bit number 0-7, e.g. {example}")
        return "bit", _number(text, bit_text, "bit", 0, 7)
    if bit_text is not None:
        raise ValueError(f"address {_q(text)}: only bit addresses take a .bit suffix; e.g. {example}")
    if letter == "b":
        raise ValueError(
            f"address {_q(text)} is a single byte, and no point type is 8 bits; "
            "use a word (dbw, mw, iw, qw) or a bit (dbx, m, i, q with .bit)"
        )
    size: Size = "word" if letter == "w" else "dword"
    last = offset + (1 if size == "word" else 3)
    if last > MAX_S7_BYTE:
        raise ValueError(f"address {_q(text)} runs past byte {MAX_S7_BYTE}")
    return size, None


def _parse_s7(text: str) -> Address:
    db_match = _S7_DB_RE.fullmatch(text)
    if db_match is not None:
        db_text, letter, offset_text, bit_text = db_match.groups()
        db = _number(text, db_text, "data block number", 1, MAX_DB)
        offset = _number(text, offset_text, "byte offset", 0, MAX_S7_BYTE)
        size, bit = _s7_shape(text, letter, bit_text, offset, f"db{db}.dbx{offset}.0")
        return Address(text, "db", db, offset, bit, size)
    area_match = _S7_AREA_RE.fullmatch(text)
    if area_match is not None:
        area_text, letter, offset_text, bit_text = area_match.groups()
        area = cast(Area, area_text)  # the regex admits only m, i and q
        offset = _number(text, offset_text, "byte offset", 0, MAX_S7_BYTE)
        size, bit = _s7_shape(text, letter, bit_text, offset, f"{area}{offset}.0")
        return Address(text, area, None, offset, bit, size)
    raise ValueError(f"address {_q(text)} is not an S7 address; expected e.g. {_S7_EXAMPLES}")


def _looks_modbus(text: str) -> bool:
    return re.match(r"(co|di|ir|hr):", text) is not None


def parse_address(text: str, protocol: str) -> Address:
    """Parse ``text`` for a PLC speaking ``protocol``; ValueError (naming ``text``) when it is not valid.

    A Modbus address on an S7 PLC (or the reverse) is refused here rather than later, because it is a
    sure sign that a point was attached to the wrong PLC.
    """
    if not isinstance(text, str):
        raise ValueError(f"address {_q(text)} must be text")
    if text != text.strip() or not text:
        raise ValueError(f"address {_q(text)} must not be empty or have spaces around it")
    if text != text.lower():
        raise ValueError(f"address {_q(text)} must be lower case: write {_q(text.lower())}")
    if protocol in MODBUS_PROTOCOLS:
        if _S7_DB_RE.fullmatch(text) or _S7_AREA_RE.fullmatch(text):
            raise ValueError(
                f"address {_q(text)} is an S7 address but the PLC speaks {protocol}; "
                f"Modbus addresses look like {_MODBUS_EXAMPLES}"
            )
        return _parse_modbus(text)
    if protocol in S7_PROTOCOLS:
        if _looks_modbus(text):
            raise ValueError(
                f"address {_q(text)} is a Modbus address but the PLC speaks s7; "
                f"S7 addresses look like {_S7_EXAMPLES}"
            )
        return _parse_s7(text)
    raise ValueError(
        f"address {_q(text)}: unknown protocol {_q(protocol)}; expected modbus-tcp, modbus-rtu or s7"
    )


def type_fit_error(address: Address, type_: str) -> str | None:
    """Plain-words reason why a value of ``type_`` cannot live at ``address``, or None when it fits."""
    if type_ not in _REGISTER_COUNT:
        return f"unknown type {_q(type_)}; expected one of {', '.join(_REGISTER_COUNT)}"
    text = address.text
    if address.size == "bit":
        if type_ == "bool":
            return None
        if address.area in ("co", "di"):
            why = _AREA_WORDS[address.area]
        elif address.is_modbus:
            why = f"{text} is one bit of register {address.area}:{address.index}"
        else:
            why = f"{text} is a single bit"
        return f'type {type_} does not fit address {text} ({why}; use type = "bool")'
    if address.is_modbus:
        if type_ == "bool":
            return (
                f"type bool does not fit address {text} ({_AREA_WORDS[address.area]}; "
                f"for one bit of it write {address.area}:{address.index}.b with b = 0-15)"
            )
        if register_count(type_) == 2 and address.index + 1 > MAX_MODBUS_INDEX:
            return (
                f"type {type_} does not fit address {text} (a 32-bit value takes registers "
                f"{address.index} and {address.index + 1}, but the last register is {MAX_MODBUS_INDEX})"
            )
        return None
    if type_ == "bool":
        if address.area == "db":
            bit_form = f"db{address.db}.dbx{address.index}.0"
        else:
            bit_form = f"{address.area}{address.index}.0"
        return (
            f"type bool does not fit address {text} (a {address.size} of the "
            f"{_AREA_WORDS[address.area]}; for one bit write e.g. {bit_form})"
        )
    wanted = _WORD_TYPES if address.size == "word" else _DWORD_TYPES
    if type_ not in wanted:
        bits = "16-bit word" if address.size == "word" else "32-bit double word"
        return f"type {type_} does not fit address {text} (a {bits}; use {' or '.join(wanted)})"
    return None
