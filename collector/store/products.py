"""Installed product names per machine (collector.models.products) and installs against seats.

``record_machine_products`` keeps a machine's names equal to those of its current report,
writing only the difference (a PC's program list rarely changes between two reports).
``licence_installs`` counts, for register entries, the machines of each entry's subtree (within a
person's scope) that name a product matching its pattern: the pattern is matched in Python
(rules.facts.matches_any, the same case-insensitive shell match the rules use) against the
distinct names, and the machines are counted in SQL from the (product, unit, machine) index for the
units of the entry's subtree: a commune's entry reads its commune's rows only.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections.abc import Iterable, Sequence

import msgspec
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from agent.wire.schema import Report
from collector.models.products import NAME_MAX, MachineProduct, ProductName
from collector.models.units import Unit
from collector.store.scope import Scope, path_range
from collector.store.shared_rows import shared_rows
from rules.licences import LicenceTerm


class _Named(msgspec.Struct):
    name: str = ""


class _Products(msgspec.Struct):
    products: list[_Named] = []


class _Programs(msgspec.Struct):
    programs: list[_Named] = []


class _NamesOnly(msgspec.Struct):
    antivirus: _Products | None = None
    software: _Programs | None = None


_NAMES_ONLY = msgspec.json.Decoder(_NamesOnly)


def product_names(report: Report | _NamesOnly) -> set[str]:
    """The antivirus product and program names a report lists (trimmed, cut to NAME_MAX, no blanks)."""
    names = [p.name for p in report.antivirus.products] if report.antivirus else []
    names += [p.name for p in report.software.programs] if report.software else []
    return {cut for name in names if (cut := name.strip()[:NAME_MAX])}


def stored_product_names(state_json: str) -> set[str]:
    """The same names read from a stored report without decoding the rest of it."""
    return product_names(_NAMES_ONLY.decode(state_json))


def names_digest(names: Iterable[str]) -> str:
    """What machines.products_digest holds for these names (order and repeats do not count)."""
    return hashlib.sha256("\n".join(sorted(set(names))).encode()).hexdigest()


def record_machine_products(session: Session, machine_id: int, unit_id: int, names: set[str]) -> None:
    """Make the machine's stored names ``names`` (in unit ``unit_id``): delete the gone, add the
    new, and move the kept ones when the machine's unit changed. The caller writes their digest
    (:func:`names_digest`) to machines.products_digest: store_report does, with the state it writes.
    Core statements built once: this runs on ingest's path, for each report whose names changed."""
    current = {name: (name_id, unit) for name, name_id, unit in session.execute(_NAMES_OF, {"machine_id": machine_id})}
    gone = [current[name][0] for name in current.keys() - names]
    if gone:
        session.execute(_DELETE_NAMES, {"machine_id": machine_id, "product_ids": gone})
    if any(unit != unit_id for _, unit in current.values()):
        session.execute(_MOVE_NAMES, {"machine_id": machine_id, "unit_id": unit_id})
    new = names - current.keys()
    if new:
        ids = name_ids(session, new)
        session.execute(_MACHINE_PRODUCTS.insert(),
                        [{"machine_id": machine_id, "product_id": ids[n], "unit_id": unit_id} for n in new])


_MACHINE_PRODUCTS, _PRODUCT_NAMES = MachineProduct.__table__, ProductName.__table__
_NAMES_OF = (select(_PRODUCT_NAMES.c.name, _PRODUCT_NAMES.c.id, _MACHINE_PRODUCTS.c.unit_id)
             .join(_MACHINE_PRODUCTS, _MACHINE_PRODUCTS.c.product_id == _PRODUCT_NAMES.c.id)
             .where(_MACHINE_PRODUCTS.c.machine_id == bindparam("machine_id")))
_DELETE_NAMES = delete(_MACHINE_PRODUCTS).where(_MACHINE_PRODUCTS.c.machine_id == bindparam("machine_id"),
                                                _MACHINE_PRODUCTS.c.product_id.in_(bindparam("product_ids",
                                                                                             expanding=True)))
_MOVE_NAMES = (update(_MACHINE_PRODUCTS).where(_MACHINE_PRODUCTS.c.machine_id == bindparam("machine_id"))
               .values(unit_id=bindparam("unit_id")))


def name_ids(session: Session, names: Iterable[str]) -> dict[str, int]:
    """Ids of ``names`` in product_names, adding the missing ones as shared rows
    (collector.store.shared_rows; safe against a concurrent add)."""
    wanted = sorted(set(names))
    ids: dict[str, int] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        ids.update(session.execute(_NAME_IDS, {"names": chunk}).all())  # type: ignore[arg-type]
        missing = [n for n in chunk if n not in ids]
        if missing:
            builder = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
            with shared_rows(session) as rows:
                rows.execute(builder(ProductName).on_conflict_do_nothing(index_elements=["name"]),
                             [{"name": n} for n in missing])
                ids.update(rows.execute(_NAME_IDS, {"names": missing}).all())  # type: ignore[arg-type]
    return ids


_NAME_IDS = (select(_PRODUCT_NAMES.c.name, _PRODUCT_NAMES.c.id)
             .where(_PRODUCT_NAMES.c.name.in_(bindparam("names", expanding=True))))


def matching_names(names: Iterable[tuple[int, str]], pattern: str) -> list[int]:
    """Ids of the names that match ``pattern`` as rules.facts.matches_any does (case-insensitive
    shell pattern over the whole name); ``names`` are (id, name) with the names lower-cased."""
    compiled = re.compile(fnmatch.translate(pattern.lower()))
    return [name_id for name_id, name in names if compiled.match(name)]


def subtree_within(path: str, scope: Scope) -> str | None:
    """The part of ``path``'s subtree inside ``scope``, as a path prefix; None when they do not meet."""
    if scope.unit_path is None or path.startswith(scope.unit_path):
        return path
    return scope.unit_path if scope.unit_path.startswith(path) else None


def licence_installs(session: Session, scope: Scope, terms: Sequence[LicenceTerm]) -> dict[int, int]:
    """For each entry: machines in scope and in the entry's subtree whose current report names a
    product matching its pattern."""
    if not terms:
        return {}
    names = [(name_id, name.lower()) for name_id, name in session.execute(select(ProductName.id, ProductName.name))]
    counts: dict[int, int] = {}
    matched: dict[str, list[int]] = {}  # many entries share a pattern (each commune's "Kaspersky*")
    for term in terms:
        ids = matched.get(term.pattern)
        if ids is None:
            ids = matched[term.pattern] = matching_names(names, term.pattern)
        prefix = subtree_within(term.unit_path, scope)
        if not ids or prefix is None:
            counts[term.id] = 0
            continue
        low, high = path_range(prefix)
        units = select(Unit.id).where(Unit.path >= low, Unit.path < high)
        counts[term.id] = session.scalar(
            select(func.count(func.distinct(MachineProduct.machine_id))).where(
                MachineProduct.product_id.in_(bindparam("ids", ids, expanding=True, literal_execute=True)),
                MachineProduct.unit_id.in_(units.scalar_subquery()))) or 0
    return counts


def licence_install_machines(session: Session, terms: Sequence[LicenceTerm]) -> dict[int, list[int]]:
    """For each entry: the ids of the machines of its subtree whose current report names a
    product matching its pattern (what its seats are given to, in id order)."""
    if not terms:
        return {}
    names = [(name_id, name.lower()) for name_id, name in session.execute(select(ProductName.id, ProductName.name))]
    found: dict[int, list[int]] = {}
    matched: dict[str, list[int]] = {}
    for term in terms:
        ids = matched.get(term.pattern)
        if ids is None:
            ids = matched[term.pattern] = matching_names(names, term.pattern)
        if not ids:
            found[term.id] = []
            continue
        low, high = path_range(term.unit_path)
        units = select(Unit.id).where(Unit.path >= low, Unit.path < high)
        found[term.id] = list(session.scalars(
            select(MachineProduct.machine_id).distinct().where(
                MachineProduct.product_id.in_(bindparam("ids", ids, expanding=True, literal_execute=True)),
                MachineProduct.unit_id.in_(units.scalar_subquery()))
            .order_by(MachineProduct.machine_id)))
    return found
