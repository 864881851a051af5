"""Keyboard layouts: which character each physical key types, with and without Shift, and which
finger presses it. Pure data used to validate lesson text, draw the on-screen keyboard and the
heatmap. Key positions follow the ANSI board; `code` is the browser's `KeyboardEvent.code`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

# Physical key codes per row, left to right.
_CODES = (
    ("Backquote", *(f"Digit{d}" for d in "1234567890"), "Minus", "Equal"),
    (*(f"Key{c}" for c in "QWERTYUIOP"), "BracketLeft", "BracketRight", "Backslash"),
    (*(f"Key{c}" for c in "ASDFGHJKL"), "Semicolon", "Quote"),
    (*(f"Key{c}" for c in "ZXCVBNM"), "Comma", "Period", "Slash"),
)

# Finger per physical key (same for every layout on the same board).
_FINGERS = (
    ("l5", "l5", "l4", "l3", "l2", "l2", "r2", "r2", "r3", "r4", "r5", "r5", "r5"),
    ("l5", "l4", "l3", "l2", "l2", "r2", "r2", "r3", "r4", "r5", "r5", "r5", "r5"),
    ("l5", "l4", "l3", "l2", "l2", "r2", "r2", "r3", "r4", "r5", "r5"),
    ("l5", "l4", "l3", "l2", "l2", "r2", "r2", "r3", "r4", "r5"),
)

FINGER_NAMES = {
    "l5": _("left little finger"),
    "l4": _("left ring finger"),
    "l3": _("left middle finger"),
    "l2": _("left index finger"),
    "r2": _("right index finger"),
    "r3": _("right middle finger"),
    "r4": _("right ring finger"),
    "r5": _("right little finger"),
    "thumb": _("thumb"),
}


@dataclass(frozen=True)
class Key:
    code: str
    base: str
    shifted: str
    finger: str
    row: int
    col: int


@dataclass(frozen=True)
class Layout:
    slug: str
    label: str
    rows: tuple[tuple[Key, ...], ...]

    @cached_property
    def chars(self) -> dict[str, tuple[Key, bool]]:
        """Each typeable character → (key, needs Shift)."""
        found: dict[str, tuple[Key, bool]] = {}
        for row in self.rows:
            for key in row:
                found.setdefault(key.base, (key, False))
                found.setdefault(key.shifted, (key, True))
        return found

    @cached_property
    def typeable(self) -> frozenset[str]:
        return frozenset(self.chars) | {" ", "\n"}

    def untypeable(self, text: str) -> list[str]:
        """The distinct characters of `text` this layout cannot type, in order of appearance."""
        return list(dict.fromkeys(ch for ch in text if ch not in self.typeable))

    def as_json(self) -> dict[str, object]:
        return {
            "slug": self.slug,
            "label": self.label,
            "rows": [
                [
                    {"code": k.code, "base": k.base, "shifted": k.shifted, "finger": k.finger}
                    for k in row
                ]
                for row in self.rows
            ],
        }


def _layout(slug: str, label: str, rows: tuple[tuple[str, str], ...]) -> Layout:
    built = []
    for r, (base, shifted) in enumerate(rows):
        assert len(base) == len(shifted) == len(_CODES[r]), (slug, r)
        built.append(
            tuple(
                Key(code=_CODES[r][c], base=b, shifted=s, finger=_FINGERS[r][c], row=r, col=c)
                for c, (b, s) in enumerate(zip(base, shifted, strict=True))
            )
        )
    return Layout(slug=slug, label=label, rows=tuple(built))


LAYOUTS: dict[str, Layout] = {
    layout.slug: layout
    for layout in (
        _layout(
            "qwerty",
            gettext_noop("QWERTY (US)"),
            (
                ("`1234567890-=", "~!@#$%^&*()_+"),
                ("qwertyuiop[]\\", "QWERTYUIOP{}|"),
                ("asdfghjkl;'", 'ASDFGHJKL:"'),
                ("zxcvbnm,./", "ZXCVBNM<>?"),
            ),
        ),
        _layout(
            "dvorak",
            gettext_noop("Dvorak"),
            (
                ("`1234567890[]", "~!@#$%^&*(){}"),
                ("',.pyfgcrl/=\\", '"<>PYFGCRL?+|'),
                ("aoeuidhtns-", "AOEUIDHTNS_"),
                (";qjkxbmwvz", ":QJKXBMWVZ"),
            ),
        ),
        _layout(
            "colemak",
            gettext_noop("Colemak"),
            (
                ("`1234567890-=", "~!@#$%^&*()_+"),
                ("qwfpgjluy;[]\\", "QWFPGJLUY:{}|"),
                ("arstdhneio'", 'ARSTDHNEIO"'),
                ("zxcvbkm,./", "ZXCVBKM<>?"),
            ),
        ),
        _layout(
            "jcuken",
            gettext_noop("ЙЦУКЕН (Russian)"),
            (
                ("ё1234567890-=", 'Ё!"№;%:?*()_+'),
                ("йцукенгшщзхъ\\", "ЙЦУКЕНГШЩЗХЪ/"),
                ("фывапролджэ", "ФЫВАПРОЛДЖЭ"),
                ("ячсмитьбю.", "ЯЧСМИТЬБЮ,"),
            ),
        ),
    )
}

# Shown translated (forms, get_layout_display); Layout.label stays the English name.
LAYOUT_CHOICES = [(layout.slug, _(layout.label)) for layout in LAYOUTS.values()]
