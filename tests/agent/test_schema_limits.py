"""Every field the collector reads from an agent is bounded (agent/wire/bounds.py), so that a field
added later cannot let an unbounded string, integer or list through; the OpenAPI document publishes
the same limits."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec
import msgspec.inspect as mi
import pytest

from agent.wire.schema import EnrollRequest, Report


def unbounded(node: mi.Type, where: str, seen: set[type]) -> Iterator[str]:
    """Paths of the str/int/float/list/dict fields under ``node`` that lack a bound."""
    if isinstance(node, mi.UnionType):
        for member in node.types:
            yield from unbounded(member, where, seen)
    elif isinstance(node, mi.StructType):
        if node.cls in seen:
            return
        seen.add(node.cls)
        for field in node.fields:
            yield from unbounded(field.type, f"{node.cls.__name__}.{field.name}", seen)
    elif isinstance(node, mi.StrType):
        if node.max_length is None or node.pattern is None:
            yield f"{where}: str without max_length or the no-NUL pattern"
    elif isinstance(node, mi.IntType | mi.FloatType):
        if node.ge is None or node.le is None:
            yield f"{where}: number without ge and le"
    elif isinstance(node, mi.DateTimeType):
        if node.tz is not True:
            yield f"{where}: datetime without a time zone"
    elif isinstance(node, mi.ListType):
        if node.max_length is None:
            yield f"{where}: list without max_length"
        yield from unbounded(node.item_type, f"{where}[]", seen)
    elif isinstance(node, mi.DictType):
        if node.max_length is None:
            yield f"{where}: dict without max_length"
        yield from unbounded(node.key_type, f"{where}{{key}}", seen)
        yield from unbounded(node.value_type, f"{where}{{}}", seen)


@pytest.mark.parametrize("struct", [Report, EnrollRequest])
def test_every_field_an_agent_sends_is_bounded(struct: type) -> None:
    assert list(unbounded(mi.type_info(struct), struct.__name__, set())) == []


def test_the_walk_finds_an_unbounded_field() -> None:
    class Later(msgspec.Struct):
        note: str
        count: int
        items: list[str]

    assert len(list(unbounded(mi.type_info(Later), "Later", set()))) == 4  # note, count, items, items[]
