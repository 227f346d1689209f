"""Every field the collector reads from an agent is bounded (agent/wire/bounds.py), so that a field
added later cannot let an unbounded string, integer or list through; the OpenAPI document publishes
the same limits."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec
import msgspec.inspect as mi
import pytest

from agent.wire.bounds import NO_NUL
from agent.wire.fit import fit_report
from agent.wire.schema import EnrollRequest, Program, Report, Software, decode_report, encode_report
from tests.factories import make_report


def unbounded(node: mi.Type, where: str, seen: set[type]) -> Iterator[str]:
    """Paths of the str/int/float/list/dict fields under ``node`` that lack a bound."""
    if isinstance(node, mi.Metadata) and isinstance(node.type, mi.StrType):
        # The no-NUL rule checked on the whole body (agent.wire.bounds.ListedName), published here.
        if node.type.max_length is None or (node.extra_json_schema or {}).get("extra", {}).get("pattern") != NO_NUL:
            yield f"{where}: str without max_length or the no-NUL pattern"
    elif isinstance(node, mi.UnionType):
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


def _with_programs(*programs: Program) -> bytes:
    return encode_report(msgspec.structs.replace(make_report("a" * 32, 1), software=Software(programs=list(programs))))


@pytest.mark.parametrize("program", [Program(name="Zalo\x00"), Program(name="Zalo", version="\x001"),
                                     Program(name="Zalo", publisher="VNG\x00")])
def test_a_nul_in_a_program_is_refused_with_its_place(program: Program) -> None:
    with pytest.raises(msgspec.ValidationError, match=r"U\+0000 \(NUL\) - at `\$\.software\.programs\[1\]\."):
        decode_report(_with_programs(Program(name="Word"), program))


def test_the_text_backslash_u0000_is_no_nul() -> None:
    body = _with_programs(Program(name="C:\\u0000 tool"))  # JSON "C:\\u0000 tool": a backslash, then "u0000"
    assert b"\\\\u0000" in body
    assert decode_report(body).software.programs[0].name == "C:\\u0000 tool"  # type: ignore[union-attr]


def test_fitting_takes_a_nul_out_of_a_program_name() -> None:
    fitted, cut = fit_report(msgspec.json.decode(_with_programs(Program(name="Za\x00lo")), type=Report))
    assert fitted.software.programs[0].name == "Zalo" and cut == ["report.software.programs[].name"]  # type: ignore[union-attr]
