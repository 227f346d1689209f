"""A machine's stored state (``machines.state_json``) read back as a :class:`Report`, for the scan.

The report was decoded strictly, bounds and all (agent/wire/bounds.py), when it arrived; its
stored state is that report encoded again. Checking the bounds once more costs most of reading
it back (each string is matched against a regular expression: about 50 of the 60 µs a 3 KB
report takes), so the scan reads stored states with the same Structs minus the bounds:
subclasses of each report type with the same fields, types and defaults, without their
``msgspec.Meta`` limits. Unknown fields and wrong types are still refused; what decodes is an
instance of the report types (``isinstance(state, Report)``), never a plain dict.
"""

from __future__ import annotations

import types
import typing
from functools import cache
from typing import Annotated, Any

import msgspec

from agent.wire.schema import Report


def decode_state(state_json: str | bytes) -> Report:
    """The stored report; msgspec.DecodeError (ValidationError included) when it does not decode."""
    return _decoder().decode(state_json)


@cache
def _decoder() -> msgspec.json.Decoder[Report]:
    return msgspec.json.Decoder(_unbounded(Report))


@cache
def _unbounded(struct: type[msgspec.Struct]) -> Any:
    """``struct`` again, with every field's type unbounded (:func:`_without_limits`)."""
    hints = typing.get_type_hints(struct, include_extras=True)
    fields = [_field(info, _without_limits(hints[info.name])) for info in msgspec.structs.fields(struct)]
    config = struct.__struct_config__
    return msgspec.defstruct(struct.__name__, fields, bases=(struct,), module=__name__, kw_only=True,
                             forbid_unknown_fields=config.forbid_unknown_fields, frozen=config.frozen)


def _field(info: msgspec.structs.FieldInfo, hint: Any) -> tuple[Any, ...]:
    if info.default is not msgspec.NODEFAULT:
        return info.name, hint, info.default
    if info.default_factory is not msgspec.NODEFAULT:
        return info.name, hint, msgspec.field(default_factory=info.default_factory)
    return info.name, hint


def _without_limits(hint: Any) -> Any:
    """The type ``hint`` names, its ``Annotated`` limits dropped at every level (lists, dicts,
    unions, nested Structs)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Annotated:
        return _without_limits(args[0])
    if isinstance(hint, type) and issubclass(hint, msgspec.Struct):
        return _unbounded(hint)
    if origin in (typing.Union, types.UnionType):
        return typing.Union[tuple(_without_limits(arg) for arg in args)]  # noqa: UP007 - built from a tuple
    if origin in (list, dict, tuple, set, frozenset):
        return origin[tuple(_without_limits(arg) for arg in args)]
    return hint
