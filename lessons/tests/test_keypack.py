"""Packed keystroke batches: the codec round-trips exactly and refuses what it cannot keep, and
the model field makes the packing invisible to everything that reads or writes batches."""

from __future__ import annotations

import json
import random

import pytest
from django.core import serializers
from django.db import connection

from lessons import keypack
from lessons.keypack import pack, unpack
from lessons.models import KeystrokeBatch, PracticeSession

from .conftest import typed_keys


def random_keys(rng: random.Random, n: int) -> list[list]:
    alphabet = "asdf jkl;ЙЦУКЕНйцукен\n\tß€😀中" + "".join(map(chr, range(0x20, 0x7F)))
    keys, pos, t = [], rng.randrange(0, 100_000), rng.randrange(0, 86_400_000)
    for _ in range(n):
        pos = max(0, pos + rng.choice([1, 1, 1, 0, -1, -3, 200, -20_000, 70_000]))
        t += rng.choice([0, 1, 150, 199, 250, 16_383, 16_384, 3_600_000])
        keys.append([pos, rng.choice(alphabet), t])
    return keys


@pytest.mark.parametrize(
    "keys",
    [
        [],
        [[0, "a", 0]],
        [[0, "\n", 0], [1, "Й", 5], [2, "Ц", 5], [3, "у", 200]],
        typed_keys("ЙЦУКЕН фыва\nolдж 😀 中文 "),
        [[5, "a", 100], [4, "b", 150], [0, "c", 151]],  # pos going backwards
        [[0, "x", 86_400_000], [99_999, "y", 86_400_000]],  # large t, big jumps
        [[2**40, "z", 2**40], [0, "z", 2**41]],  # far beyond the tables
        [[0, "\x00", 0], [0, "\x7f", 1], [0, "\x80", 2], [0, "\U0010ffff", 3]],
        [[i, "ab"[i % 2], i * 127] for i in range(20_000)],
    ],
    ids=[
        "empty",
        "one",
        "cyrillic-and-enter",
        "typed-text",
        "backwards",
        "large-t",
        "huge",
        "edge-code-points",
        "long",
    ],
)
def test_packing_round_trips_exactly(keys):
    data = pack(keys)
    assert data[0] == keypack.VERSION
    assert unpack(data) == keys
    assert all(type(key) is list for key in unpack(data))


@pytest.mark.parametrize("seed", range(200))
def test_random_batches_round_trip(seed):
    rng = random.Random(seed)
    keys = random_keys(rng, rng.choice([1, 2, 20, 20, 137, 1_000]))
    assert unpack(pack(keys)) == keys
    assert unpack(memoryview(pack(keys))) == keys


def test_a_typical_batch_takes_a_few_bytes_a_key():
    text = "The quick brown fox jumps over the lazy dog. " * 3
    keys = [[pos + 1_000, ch, 600_000 + 180 * pos] for pos, ch in enumerate(text[:20])]
    # The first key carries its absolute pos (2 bytes) and t (3); then pos 1 byte, t 2 bytes,
    # character 1 byte (2 for Cyrillic).
    assert len(pack(keys)) <= 1 + 5 + 20 * 4
    cyrillic = [[pos, ch, 180 * pos] for pos, ch in enumerate("съешь же ещё этих мя")]
    assert len(pack(cyrillic)) <= 1 + 20 * 5


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ([[0, "ab", 0]], "exactly one character"),
        ([[0, "", 0]], "exactly one character"),
        ([[0, 7, 0]], "exactly one character"),
        ([[0, "\ud800", 0]], "not a valid character"),
        ([[0, "a", 10], [1, "b", 9]], "must not decrease"),
        ([[0, "a", -1]], "must not be negative"),
        ([[True, "a", 0]], "integers"),
        ([[0, "a", 1.0]], "integers"),
        ([[0, "a"]], r"\[pos, typed, t\]"),
        ([[0, "a", 0, 1]], r"\[pos, typed, t\]"),
        ([5], r"\[pos, typed, t\]"),
    ],
)
def test_what_would_not_come_back_exactly_is_refused(keys, message):
    with pytest.raises(ValueError, match=message):
        pack(keys)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "unknown format version"),
        (b"\x02\x02\x00a", "unknown format version"),
        (b"\x01\x02\x00", "corrupt"),  # a key cut short
        (b"\x01\x02\x00\xd0", "corrupt"),  # a character cut short
        (b"\x01\x02\x00\xff\xfe", "corrupt"),  # not UTF-8
        (b"\x01\x02\x00\xed\xa0\x80", "invalid character"),  # an encoded surrogate
        (b"\x01" + b"\x80" * 12 + b"\x00\x00a", "corrupt"),  # a runaway varint
    ],
)
def test_bytes_that_are_not_a_batch_are_refused(data, message):
    with pytest.raises(ValueError, match=message):
        unpack(data)


@pytest.mark.django_db
def test_the_field_stores_bytes_and_reads_back_the_widgets_lists(lesson1):
    session = PracticeSession.objects.create(text=lesson1.text, target_wpm=30)
    keys = typed_keys("ЙЦУ\nab")
    KeystrokeBatch.objects.create(session=session, seq=0, keys=keys)
    KeystrokeBatch.objects.bulk_create([KeystrokeBatch(session=session, seq=1, keys=keys[:2])])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT keys FROM {KeystrokeBatch._meta.db_table} WHERE seq = 0")
        raw = cursor.fetchone()[0]
    assert bytes(raw) == pack(keys)
    stored = KeystrokeBatch.objects.get(session=session, seq=0)
    assert stored.keys == keys
    assert isinstance(stored.keys[0], list)
    assert list(session.batches.order_by("seq").values_list("seq", "keys")) == [
        (0, keys),
        (1, keys[:2]),
    ]


@pytest.mark.django_db
def test_batches_survive_dumpdata_and_loaddata_as_readable_json(lesson1):
    session = PracticeSession.objects.create(text=lesson1.text, target_wpm=30)
    keys = [[0, "Й", 0], [1, "\n", 180]]
    KeystrokeBatch.objects.create(session=session, seq=0, keys=keys)
    dumped = serializers.serialize("json", KeystrokeBatch.objects.all())
    assert json.loads(json.loads(dumped)[0]["fields"]["keys"]) == keys
    KeystrokeBatch.objects.all().delete()
    for obj in serializers.deserialize("json", dumped):
        obj.save()
    assert KeystrokeBatch.objects.get().keys == keys
