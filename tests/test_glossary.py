"""One term for one thing (rules/glossary.py): no page, catalog, command, export or rule text says a
rejected synonym, and the command line takes its words from the glossary."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from canhgac.cli import main
from rules.glossary import TERMS, rejected_synonyms, term

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ["server/**/*.py", "server/**/*.html", "canhgac/**/*.py", "collector/**/*.py", "rules/**/*.py",
           "rules/**/*.yaml", "agent/**/*.py", "README.md"]
MSGSTR = re.compile(r'^msgstr "(.*)"$', re.MULTILINE)


def shown_texts() -> list[tuple[Path, str]]:
    """Every file that holds words people read (the Vietnamese catalog: its translations only)."""
    files = {path for pattern in SCANNED for path in ROOT.glob(pattern)} - {ROOT / "rules" / "glossary.py"}
    texts = [(path, path.read_text(encoding="utf-8")) for path in sorted(files)]
    catalog = ROOT / "server/web/locale/vi/LC_MESSAGES/messages.po"
    return [*texts, (catalog, "\n".join(MSGSTR.findall(catalog.read_text(encoding="utf-8"))))]


def test_the_scan_covers_the_places_people_read() -> None:
    names = {path.relative_to(ROOT).as_posix() for path, _ in shown_texts()}
    assert {"server/web/templates/machine.html", "canhgac/licences_commands.py", "rules/packs/readiness.yaml",
            "server/readiness_export.py", "server/web/locale/vi/LC_MESSAGES/messages.po"} <= names


@pytest.mark.parametrize("synonym", sorted(rejected_synonyms()))
def test_no_text_says_a_rejected_synonym(synonym: str) -> None:
    instead = term(rejected_synonyms()[synonym])
    found = [f"{path.relative_to(ROOT)}:{text[:m.start()].count(chr(10)) + 1}"
             for path, text in shown_texts() for m in re.finditer(re.escape(synonym), text, re.IGNORECASE)]
    assert not found, f"say {instead!r}, not {synonym!r}: {found}"


def test_each_term_says_why_and_rejects_something_else() -> None:
    for key, found in TERMS.items():
        assert found.vi and found.en and found.why, key
        assert all(synonym.lower() not in found.vi.lower() for synonym in found.rejected), key


def test_the_catalog_and_the_command_line_use_the_glossary_words() -> None:
    catalog = (ROOT / "server/web/locale/vi/LC_MESSAGES/messages.po").read_text(encoding="utf-8")
    assert f'msgid "Licences"\nmsgstr "{term("licence").capitalize()}"' in catalog
    assert term("agent").capitalize() in catalog
    assert term("licence_register") in CliRunner().invoke(main, ["--help"]).output
    assert term("licence_register") in CliRunner().invoke(main, ["licences", "--help"]).output
