"""Keystroke batches as compact bytes, and the model field that stores them.

Format (version 1): one version byte, then for every key
  - the change of `pos` from the previous key (the first from 0), zigzag-encoded, as a varint;
  - the change of `t` from the previous key (the first from 0; `t` never decreases), as a varint;
  - the typed character (one code point, "\\n" for Enter) as UTF-8.
Varints are little-endian base 128 (7 bits a byte, the high bit set on all but the last byte).
A typical 20-key batch is about 70 bytes, 3-4 bytes a key, against ~44 as jsonb.

Both directions avoid Python loops over bytes: values up to 2**14 (what a keystroke's change of
`pos` and `t` nearly always is) come from precomputed tables, one regular expression splits a
batch into its keys, the characters are decoded in one call and the running sums are
`itertools.accumulate`.
"""

from __future__ import annotations

import json
import operator
import re
from itertools import accumulate, chain
from typing import Any

from django.db import models

VERSION = 1
_HEADER = bytes([VERSION])
_TABLE_SIZE = 1 << 14  # every value that fits in two varint bytes


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _decode_varint(token: bytes) -> int:
    value = 0
    for shift, byte in enumerate(token):
        value |= (byte & 0x7F) << (7 * shift)
    return value


def _zigzag(delta: int) -> int:
    return delta << 1 if delta >= 0 else (-delta << 1) - 1


def _unzigzag(value: int) -> int:
    return (value >> 1) ^ -(value & 1)


class _EncodeDelta(dict[int, bytes]):
    """Change of `t` → varint bytes; values beyond the table are encoded when met."""

    def __missing__(self, delta: int) -> bytes:
        if delta < 0:
            raise ValueError("t must not decrease within a batch")
        return _encode_varint(delta)


class _EncodeSigned(dict[int, bytes]):
    """Change of `pos` → zigzag varint bytes."""

    def __missing__(self, delta: int) -> bytes:
        return _encode_varint(_zigzag(delta))


class _DecodeDelta(dict[bytes, int]):
    def __missing__(self, token: bytes) -> int:
        return _decode_varint(token)


class _DecodeSigned(dict[bytes, int]):
    def __missing__(self, token: bytes) -> int:
        return _unzigzag(_decode_varint(token))


class _EncodeChar(dict[str, bytes]):
    def __missing__(self, typed: str) -> bytes:
        if not isinstance(typed, str) or len(typed) != 1:
            raise ValueError(f"typed must be exactly one character, not {typed!r}")
        try:
            encoded = typed.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(f"typed {typed!r} is not a valid character") from exc
        if len(self) < 4096:  # learners type a few dozen distinct characters
            self[typed] = encoded
        return encoded


_ENCODE_T, _ENCODE_POS = _EncodeDelta(), _EncodeSigned()
_DECODE_T, _DECODE_POS = _DecodeDelta(), _DecodeSigned()
for _value in range(_TABLE_SIZE):
    _token = _encode_varint(_value)
    _ENCODE_T[_value] = _token
    _DECODE_T[_token] = _value
    _ENCODE_POS[_unzigzag(_value)] = _token
    _DECODE_POS[_token] = _unzigzag(_value)
_ENCODE_CHAR = _EncodeChar()

_VARINT = rb"[\x80-\xff]{0,9}[\x00-\x7f]"
_CHAR = rb"[\x00-\x7f]|[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
_KEY = re.compile(rb"(%s)(%s)(%s)" % (_VARINT, _VARINT, _CHAR))


def pack(keys: Any) -> bytes:
    """[[pos, typed, t], ...] → bytes. Raises ValueError for anything that would not come back
    exactly: a pos or t that is not an int (bools are not), a negative t, t decreasing, typed
    not exactly one character."""
    if not keys:
        return _HEADER
    try:
        positions = [key[0] for key in keys]
        typed = [key[1] for key in keys]
        times = [key[2] for key in keys]
    except (TypeError, IndexError, KeyError) as exc:
        raise ValueError("keys must be [pos, typed, t] items") from exc
    if any(len(key) != 3 for key in keys):
        raise ValueError("keys must be [pos, typed, t] items")
    if {*map(type, positions), *map(type, times)} != {int}:
        raise ValueError("pos and t must be integers")
    if times[0] < 0:
        raise ValueError("t must not be negative")
    body = chain.from_iterable(
        zip(
            map(_ENCODE_POS.__getitem__, map(operator.sub, positions, [0, *positions])),
            map(_ENCODE_T.__getitem__, map(operator.sub, times, [0, *times])),
            map(_ENCODE_CHAR.__getitem__, typed),
            strict=True,
        )
    )
    try:
        return _HEADER + b"".join(body)
    except TypeError as exc:  # an unhashable "typed"
        raise ValueError("typed must be exactly one character") from exc


def unpack(data: bytes | memoryview) -> list[list[Any]]:
    """bytes → [[pos, typed, t], ...] (lists, as the widget sends them). Raises ValueError for
    bytes that are not a batch in a known format."""
    data = bytes(data)
    if not data or data[0] != VERSION:
        raise ValueError("not a packed keystroke batch (unknown format version)")
    parts = _KEY.findall(data, 1)
    if not parts:
        if len(data) > 1:
            raise ValueError("packed keystroke batch is corrupt")
        return []
    pos_tokens, t_tokens, char_tokens = zip(*parts, strict=True)
    characters = b"".join(char_tokens)
    # findall skips what does not match: every byte must belong to a key.
    if sum(map(len, pos_tokens)) + sum(map(len, t_tokens)) + len(characters) != len(data) - 1:
        raise ValueError("packed keystroke batch is corrupt")
    try:
        chars = characters.decode("utf-8")  # strict: no surrogates, no overlong forms
    except UnicodeDecodeError as exc:
        raise ValueError("packed keystroke batch holds an invalid character") from exc
    return [
        [pos, typed, t]
        for pos, typed, t in zip(
            accumulate(map(_DECODE_POS.__getitem__, pos_tokens)),
            chars,
            accumulate(map(_DECODE_T.__getitem__, t_tokens)),
            strict=True,
        )
    ]


class PackedKeysField(models.BinaryField):
    """A batch's keys as `pack` bytes (bytea on PostgreSQL, BLOB on SQLite) whose Python value
    is the [[pos, typed, t], ...] list: saving packs it, loading unpacks it, so the ORM, raw
    inserts through `get_db_prep_save` and `values_list` all deal in the widget's lists."""

    description = "Keystrokes [[pos, typed, t], ...] stored packed"
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return pack(value)
        return super().get_prep_value(value)

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if isinstance(value, list | tuple):
            value = pack(value)
        return super().get_db_prep_value(value, connection, prepared)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        return unpack(value)

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, list):
            return value
        if isinstance(value, tuple):
            return [list(key) for key in value]
        if isinstance(value, str):  # serialized by value_to_string (dumpdata/loaddata)
            return json.loads(value)
        return unpack(value)

    def value_to_string(self, obj: Any) -> str:
        value = self.value_from_object(obj)
        if isinstance(value, bytes | memoryview):
            value = unpack(value)
        return json.dumps(value, ensure_ascii=False)
