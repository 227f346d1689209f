"""A report cut to the wire's bounds before it is numbered and spooled, so that what a PC reads
(a program name of 300 characters, a NUL in a registry value, more interfaces than the bound) makes
the report a little shorter instead of making the collector refuse it whole.

Strings lose their NUL characters and are cut to their length, lists and maps to their count,
numbers are clamped into their range (agent/wire/bounds.py): what was cut is named in the result.
"""

from __future__ import annotations

from typing import Any

import msgspec
import msgspec.inspect as mi

from agent.wire.schema import Report


def fit_report(report: Report) -> tuple[Report, list[str]]:
    """``report`` within every bound of the schema, and the paths of the fields that were cut
    ([] and the same report when nothing was)."""
    cut: list[str] = []
    data = _fit(msgspec.to_builtins(report), mi.type_info(Report), "report", cut)
    if not cut:
        return report, []
    return msgspec.json.decode(msgspec.json.encode(data), type=Report), cut


def _fit(value: Any, node: mi.Type, where: str, cut: list[str]) -> Any:
    if isinstance(node, mi.Metadata):  # a bound published beside the type (agent.wire.bounds.ListedName)
        return _fit(value, node.type, where, cut)
    if isinstance(node, mi.UnionType):
        return _fit(value, _member_for(value, node), where, cut)
    if isinstance(node, mi.StructType) and isinstance(value, dict):
        types = {field.encode_name: field.type for field in node.fields}
        return {key: _fit(item, types[key], f"{where}.{key}", cut) if key in types else item
                for key, item in value.items()}
    if isinstance(node, mi.StrType) and isinstance(value, str):
        return _fit_text(value, node.max_length, where, cut)
    if isinstance(node, mi.IntType | mi.FloatType) and isinstance(value, int | float) and not isinstance(value, bool):
        return _clamp(value, node.ge, node.le, where, cut)
    if isinstance(node, mi.ListType) and isinstance(value, list):
        kept = _cut_count(value, node.max_length, where, cut)
        return [_fit(item, node.item_type, f"{where}[]", cut) for item in kept]
    if isinstance(node, mi.DictType) and isinstance(value, dict):
        pairs = _cut_count(list(value.items()), node.max_length, where, cut)
        return {_fit(key, node.key_type, f"{where}{{key}}", cut): _fit(item, node.value_type, f"{where}{{}}", cut)
                for key, item in pairs}
    return value


def _member_for(value: Any, union: mi.UnionType) -> mi.Type:
    wanted: tuple[type[mi.Type], ...] = {
        str: (mi.StrType,), int: (mi.IntType, mi.FloatType), float: (mi.FloatType,), list: (mi.ListType,),
        dict: (mi.StructType, mi.DictType)}.get(type(value), ())
    return next((member for member in union.types if isinstance(member, wanted)), mi.AnyType())


def _fit_text(value: str, max_length: int | None, where: str, cut: list[str]) -> str:
    fitted = value.replace("\x00", "")
    if max_length is not None:
        fitted = fitted[:max_length]
    if fitted != value:
        cut.append(where)
    return fitted


def _clamp(value: float, low: float | None, high: float | None, where: str, cut: list[str]) -> float:
    fitted = value
    if low is not None and fitted < low:
        fitted = type(value)(low)
    if high is not None and fitted > high:
        fitted = type(value)(high)
    if fitted != value:
        cut.append(where)
    return fitted


def _cut_count(items: list[Any], max_length: int | None, where: str, cut: list[str]) -> list[Any]:
    if max_length is not None and len(items) > max_length:
        cut.append(where)
        return items[:max_length]
    return items
