"""The Russian translation is complete: every string marked for translation in the templates,
the Python code and the widget's JavaScript has a Russian text (none missing, none fuzzy), plural
entries have Russian's three forms, and the compiled catalogues the site reads match the .po
files.

When this fails after new strings were added: run `make messages`, translate the entries listed
in locale/ru/LC_MESSAGES/*.po (and remove their "fuzzy" flags), then `make messages` again."""

from __future__ import annotations

import ast
import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "locale" / "ru" / "LC_MESSAGES"
DOMAINS = ("django", "djangojs")
# Russian's plural rule (as in Django's own catalogues, where 0 is "many").
PLURAL_FORMS = (
    "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
    "(n%100<10 || n%100>=20) ? 1 : 2);"
)
# What makemessages reads, and the folders it must skip (the Makefile's MESSAGES_IGNORE).
SOURCE_SUFFIXES = {".py", ".html", ".txt", ".js"}
SKIPPED = {".venv", "node_modules", "var", "bench", "tests", "test-results", ".git", ".mypy_cache"}
VENDORED = ROOT / "static" / "vendor"

needs_gettext = pytest.mark.skipif(
    shutil.which("msgfmt") is None or shutil.which("xgettext") is None,
    reason="GNU gettext is not installed (apt-get install gettext)",
)


def parse_po(path: Path) -> list[dict]:
    """The entries of a .po file: msgid, msgid_plural, msgstr forms, flags and locations."""
    entries: list[dict] = []
    entry: dict | None = None
    field: tuple = ()
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            if entry is not None and entry["msgid"] is not None:
                entries.append(entry)
            entry, field = None, ()
            continue
        if entry is None:
            entry = {"msgid": None, "plural": None, "ctx": None, "strs": {}, "flags": set()}
            entry["where"] = []
        if line.startswith("#,"):
            entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#:"):
            entry["where"] += line[2:].split()
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            text = _unquote(line)
            if field[0] == "msgstr":
                entry["strs"][field[1]] += text
            else:
                entry[field[0]] += text
        else:
            keyword, _, value = line.partition(" ")
            if keyword == "msgctxt":
                field = ("ctx",)
            elif keyword == "msgid":
                field = ("msgid",)
            elif keyword == "msgid_plural":
                field = ("plural",)
            else:  # msgstr or msgstr[n]
                index = int(keyword[7:-1]) if "[" in keyword else 0
                field = ("msgstr", index)
                entry["strs"][index] = _unquote(value)
                continue
            entry[field[0]] = _unquote(value)
    return entries


def _unquote(quoted: str) -> str:
    # A .po string's escapes (\n, \t, \", \\) are Python's.
    text = ast.literal_eval(quoted)
    assert isinstance(text, str)
    return text


def untranslated(entries: list[dict]) -> list[str]:
    """One line per entry that lacks Russian: where it is used and its English."""
    missing = []
    for entry in entries:
        if not entry["msgid"]:
            continue  # the header
        forms = [entry["strs"].get(i, "") for i in range(3 if entry["plural"] else 1)]
        if "fuzzy" in entry["flags"] or not all(forms):
            state = "fuzzy" if "fuzzy" in entry["flags"] else "untranslated"
            where = ", ".join(sorted(set(entry["where"]))) or "?"
            missing.append(f"  [{state}] {where}: {entry['msgid']!r}")
    return missing


def compiled_catalogue(path: Path) -> gettext.GNUTranslations:
    with path.open("rb") as mo:
        return gettext.GNUTranslations(mo)


def copy_sources(destination: Path) -> None:
    """The files makemessages reads, and the current catalogues, into `destination`."""
    for folder, subfolders, files in os.walk(ROOT):
        here = Path(folder)
        subfolders[:] = [
            name
            for name in subfolders
            if name not in SKIPPED and here / name != VENDORED and not name.startswith(".")
        ]
        relative = here.relative_to(ROOT)
        for name in files:
            if Path(name).suffix in SOURCE_SUFFIXES or relative.parts[:1] == ("locale",):
                target = destination / relative / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(here / name, target)


@needs_gettext
def test_every_marked_string_has_a_russian_translation(tmp_path):
    """makemessages over a copy of the sources: what the lead's `make messages` would add."""
    copy = tmp_path / "project"
    copy_sources(copy)
    # The copy's own settings, so its LOCALE_PATHS (and so the .po files written) are the copy's.
    env = {**os.environ, "VAR_DIR": str(tmp_path / "var")}
    ignore = [f"--ignore={name}" for name in (*SKIPPED, "static/vendor")]
    for domain in DOMAINS:
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "makemessages",
                "--locale=ru",
                f"--domain={domain}",
                "--add-location=file",
                *ignore,
            ],
            cwd=copy,
            env=env,
            check=True,
            capture_output=True,
        )
    missing = []
    for domain in DOMAINS:
        po = copy / "locale" / "ru" / "LC_MESSAGES" / f"{domain}.po"
        missing += [f"{domain}.po:{line}" for line in untranslated(parse_po(po))]
    assert not missing, (
        f"{len(missing)} string(s) have no Russian translation "
        "(run `make messages`, translate them in locale/ru/LC_MESSAGES, run it again):\n"
        + "\n".join(missing)
    )


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_committed_catalogue_is_complete(domain):
    missing = untranslated(parse_po(LOCALE / f"{domain}.po"))
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_catalogue_has_russians_three_plural_forms(domain):
    header = compiled_catalogue(LOCALE / f"{domain}.mo").info()
    assert header["plural-forms"] == PLURAL_FORMS
    for entry in parse_po(LOCALE / f"{domain}.po"):
        if entry["plural"]:
            assert sorted(entry["strs"]) == [0, 1, 2], entry["msgid"]


def test_plural_forms_follow_russian_grammar():
    with translation.override("ru"):
        lessons = {
            n: translation.ngettext("%(counter)s lesson", "%(counter)s lessons", n) % {"counter": n}
            for n in (1, 2, 5, 11, 12, 21, 22, 25, 111)
        }
    assert lessons == {
        1: "1 урок",
        2: "2 урока",
        5: "5 уроков",
        11: "11 уроков",
        12: "12 уроков",
        21: "21 урок",
        22: "22 урока",
        25: "25 уроков",
        111: "111 уроков",
    }


@needs_gettext
@pytest.mark.parametrize("domain", DOMAINS)
def test_the_po_file_is_valid_and_compiled(domain, tmp_path):
    """Placeholders match the English (msgfmt --check), and the committed .mo is this .po
    compiled: a translation edited without `make messages` would not reach the site."""
    compiled = tmp_path / f"{domain}.mo"
    subprocess.run(
        ["msgfmt", "--check", "-o", str(compiled), str(LOCALE / f"{domain}.po")],
        check=True,
        capture_output=True,
    )
    fresh = compiled_catalogue(compiled)
    committed = compiled_catalogue(LOCALE / f"{domain}.mo")
    assert committed._catalog == fresh._catalog  # type: ignore[attr-defined]
