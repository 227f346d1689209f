"""One term for one thing: the words an official reads for canhgac's own nouns, in Vietnamese and
English, with the synonyms that are not used and why this term was chosen.

The dashboard's catalogs (server/web/locale), its templates, the command line, the exports and
the rule packs' texts all say these words; tests/test_glossary.py scans them for the rejected
synonyms. It lives in ``rules`` because every part that shows words (server, the CLI, the rule
packs' evidence and reasons) may import ``rules`` and ``rules`` imports none of them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    vi: str
    en: str
    rejected: tuple[str, ...]
    """Vietnamese synonyms not to be used for this thing (matched case-insensitively)."""
    why: str


TERMS = {
    "agent": Term(
        "phần mềm giám sát", "agent", ("tác tử",),
        "An official knows what monitoring software is; 'tác tử' (a calque of 'agent') is a word of "
        "computer-science textbooks that the officers who install it do not use. The menu already said it."),
    "antivirus": Term(
        "phần mềm phòng chống mã độc", "antivirus", ("diệt virus", "diệt vi-rút", "diệt vi rút"),
        "'Phòng chống mã độc' is the term of the government's texts and targets (Directive 14/CT-TTg of "
        "2018 on anti-malware capacity; the ministry's 2020 target 'giải pháp phòng chống mã độc tập trung', "
        "shared/reference/policy.md) and covers what the products do (trojans, ransomware), not only viruses; "
        "'phần mềm diệt virus có bản quyền' survives in some yearly reports, which the indicator cites as "
        "its source but does not say."),
    "licence": Term(
        "bản quyền", "licence", ("giấy phép",),
        "The dashboard's menu, the register's page and the readiness indicators say 'bản quyền' (as in "
        "'phần mềm có bản quyền', the phrase of the decrees on licensed software); 'giấy phép' is a permit "
        "in Vietnamese administration (giấy phép xây dựng, giấy phép kinh doanh) and confused officers."),
    "licence_register": Term(
        "sổ bản quyền", "licence register", ("sổ giấy phép",),
        "The register of bought licences, named after the licence term above."),
}


def term(key: str, lang: str = "vi") -> str:
    """The word for ``key`` in ``lang`` ("vi" or "en"); KeyError for a key that is not a term."""
    found = TERMS[key]
    return found.en if lang == "en" else found.vi


def rejected_synonyms() -> dict[str, str]:
    """Each rejected synonym (lower case) and the term key to say instead."""
    return {synonym.lower(): key for key, found in TERMS.items() for synonym in found.rejected}
