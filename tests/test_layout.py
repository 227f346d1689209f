"""The layout's promises, checked on the code's own imports (lazy ones inside functions included):

- the agent imports nothing of the others; outside ``agent/`` only its wire contract (``agent.wire``)
  and the package's version (``agent``) are imported;
- rules -> agent's wire at most; collector -> rules, agent's wire; server -> collector, rules, agent's
  wire; the CLI (``canhgac``) is the only importer of ``server``;
- ``collector/store`` is the only place that writes SQL, and no ORM class leaves ``collector``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("agent", "collector", "server", "rules", "canhgac")
MAY_IMPORT = {
    "agent": {"agent"},
    "rules": {"rules", "agent.wire"},
    "collector": {"collector", "rules", "agent.wire"},
    "server": {"server", "collector", "rules", "agent.wire"},
    "canhgac": set(PACKAGES),
}
SQL_WRITERS = ("collector/store/", "collector/models/", "collector/migrations/", "collector/db.py",
               "collector/migrate.py")
SQL_BUILDERS = {"select", "insert", "update", "delete", "text", "func", "case", "and_", "or_", "exists"}


def modules() -> Iterator[tuple[str, Path, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "migrations/versions" not in relative:
                yield relative, path, ast.parse(path.read_text(encoding="utf-8"))


def first_party_imports(tree: ast.Module) -> Iterator[tuple[str, list[str]]]:
    """(module, names) of every absolute import of a first-party package, at any depth."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] in PACKAGES:
                yield node.module, [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in PACKAGES:
                    yield alias.name, []


def allowed(importer: str, module: str) -> bool:
    if module == "agent" and importer != "agent":
        return True  # the package's __version__, nothing else lives in agent/__init__.py
    return any(module == prefix or module.startswith(prefix + ".") for prefix in MAY_IMPORT[importer])


def test_every_package_imports_only_what_the_layout_allows() -> None:
    wrong = [f"{relative}: {module}" for relative, _path, tree in modules()
             for module, _names in first_party_imports(tree)
             if not allowed(relative.split("/")[0], module)]
    assert wrong == []


def test_only_the_cli_imports_the_server() -> None:
    importers = {relative for relative, _path, tree in modules() for module, _names in first_party_imports(tree)
                 if module.split(".")[0] == "server" and not relative.startswith(("server/", "canhgac/"))}
    assert importers == set()


def test_only_the_store_builds_sql() -> None:
    builders = [f"{relative}: {', '.join(sorted(set(names) & SQL_BUILDERS))}" for relative, _path, tree in modules()
                for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
                and node.module.split(".")[0] == "sqlalchemy"
                for names in [[alias.name for alias in node.names]]
                if set(names) & SQL_BUILDERS and not relative.startswith(SQL_WRITERS)]
    assert builders == []


def orm_classes() -> set[str]:
    found = set()
    for path in (ROOT / "collector" / "models").glob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) and any(getattr(base, "id", "") == "Base" for base in node.bases):
                found.add(node.name)
    return found


def test_no_orm_class_leaves_the_collector() -> None:
    orm = orm_classes()
    assert {"Unit", "Machine", "Alert", "LicenceEntry"} <= orm
    leaks = [f"{relative}: {name}" for relative, _path, tree in modules() if not relative.startswith("collector/")
             for module, names in first_party_imports(tree) if module.startswith("collector.") for name in names
             if name in orm]
    assert leaks == []


@pytest.mark.parametrize("area", ["units", "machines", "people", "alerts", "licences", "lan", "snmp", "links",
                                  "readiness", "officials", "incidents"])
def test_an_area_is_found_by_its_name(area: str) -> None:
    """One shape per domain area: its tables and its store carry its name."""
    assert (ROOT / "collector" / "models" / f"{area}.py").is_file()
    assert (ROOT / "collector" / "store" / f"{area}.py").is_file()


def test_class_names_are_unique_across_packages() -> None:
    seen: dict[str, str] = {}
    doubled = []
    for relative, _path, tree in modules():
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                if node.name in seen:
                    doubled.append(f"{node.name}: {seen[node.name]} and {relative}")
                seen.setdefault(node.name, relative)
    assert doubled == []
