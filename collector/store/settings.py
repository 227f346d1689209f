"""Agent settings per unit: set and unset them (audited), read a unit's own and effective ones,
and what each agent gets (signed with its key) with its enrollment answer and acknowledgements.

A machine's effective settings are its unit's chain, root first, each unit's own values over its
parent's; their version is the largest version on the chain. Versions come from one counter for
every unit, so any change on the chain gives a larger one; a move or a merge, which changes a
chain, takes a new version for the unit that moved or received machines (:func:`touch_settings`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from agent.wire.settings import SETTING_KEYS, SettingsError, SignedSettings, check_settings, sign_settings
from collector.errors import InvalidInput
from collector.models.machines import Machine
from collector.models.settings import UnitSettings
from collector.models.units import Unit
from collector.store.audit import AuditAction, record_audit
from collector.store.scope import EVERYTHING, Scope
from collector.store.units import get_unit, path_ids


@dataclass(frozen=True)
class EffectiveSettings:
    version: int
    """0: no unit of the chain has settings."""
    values: dict[str, Any]
    origin: dict[str, str]
    """Per key, the code of the unit whose value applies."""


def _next_version(session: Session) -> int:
    return int(session.scalar(select(func.max(UnitSettings.version))) or 0) + 1


def set_unit_settings(session: Session, code: str, values: dict[str, Any], unset: list[str], now: datetime,
                      actor: str, scope: Scope = EVERYTHING) -> EffectiveSettings:
    """Set ``values`` and remove ``unset`` keys of the unit's own settings; the unit's effective
    settings after. InvalidInput naming a bad key or value (nothing changed then)."""
    unit = get_unit(session, code, scope)
    if not unit.live:
        raise InvalidInput(f"unit {code} ended on {unit.ended_on}: set its survivor's settings", code="unit_ended")
    try:
        check_settings(values)
    except SettingsError as exc:
        raise InvalidInput(str(exc), code="invalid_setting") from None
    unknown = [key for key in unset if key not in SETTING_KEYS]
    if unknown:
        raise InvalidInput(f"{unknown[0]}: not an agent setting (settings: {', '.join(SETTING_KEYS)})",
                           code="invalid_setting")
    row = session.get(UnitSettings, unit.id)
    own = json.loads(row.values_json) if row else {}
    own = {k: v for k, v in {**own, **values}.items() if k not in unset}
    version = _next_version(session)
    if row is None:
        session.add(UnitSettings(unit_id=unit.id, values_json=json.dumps(own, ensure_ascii=False), version=version,
                                 updated_at=now, updated_by=actor))
    else:
        row.values_json, row.version, row.updated_at, row.updated_by = (
            json.dumps(own, ensure_ascii=False), version, now, actor)
    session.flush()
    changes = [f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in values.items()] + [f"-{k}" for k in unset]
    record_audit(session, actor, AuditAction.UNIT_SETTINGS_CHANGED, now, f"unit:{unit.code}", unit.id,
                 f"version {version}: {'; '.join(changes)}")
    return effective_settings(session, unit.path)


def touch_settings(session: Session, unit_id: int, now: datetime, actor: str) -> int:
    """A new version for the unit (its values unchanged, created empty when it has none): its chain
    changed (a move, a merge), so its agents must be told again."""
    version = _next_version(session)
    row = session.get(UnitSettings, unit_id)
    if row is None:
        session.add(UnitSettings(unit_id=unit_id, values_json="{}", version=version, updated_at=now, updated_by=actor))
    else:
        row.version, row.updated_at = version, now
    session.flush()
    return version


def unit_settings_of(session: Session, unit_id: int) -> tuple[int, dict[str, Any]]:
    """(version, own values) of a unit; (0, {}) when it has none."""
    row = session.get(UnitSettings, unit_id)
    return (row.version, json.loads(row.values_json)) if row else (0, {})


def own_settings(session: Session, unit_id: int) -> dict[str, Any]:
    row = session.get(UnitSettings, unit_id)
    return json.loads(row.values_json) if row else {}


def effective_settings(session: Session, unit_path: str) -> EffectiveSettings:
    """The settings of the unit at ``unit_path`` with its ancestors' (the nearer unit's value wins)."""
    ids = path_ids(unit_path)
    session.flush()  # settings changed in this session count, as an ORM select would flush them
    rows = {unit_id: (code, values_json, version) for unit_id, code, values_json, version
            in session.connection().execute(_SETTINGS_ON_PATH, {"ids": ids})}
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    version = 0
    for unit_id in ids:
        if unit_id in rows:
            code, values_json, row_version = rows[unit_id]
            for key, value in json.loads(values_json).items():
                values[key], origin[key] = value, code
            version = max(version, row_version)
    return EffectiveSettings(version, values, origin)


_UNITS, _UNIT_SETTINGS = Unit.__table__, UnitSettings.__table__
_SETTINGS_ON_PATH = (select(_UNITS.c.id, _UNITS.c.code, _UNIT_SETTINGS.c.values_json, _UNIT_SETTINGS.c.version)
                     .join(_UNIT_SETTINGS, _UNIT_SETTINGS.c.unit_id == _UNITS.c.id)
                     .where(_UNITS.c.id.in_(bindparam("ids", expanding=True))))
"""Built once in Core on the tables: ingest reads it for every batch (an ORM select built per call
cost about 1 ms of Python a batch, bench/ingest_work.py)."""


def machine_settings(session: Session, machine_id: int, key: str, now: datetime) -> SignedSettings | None:
    """The machine's effective settings signed with the agent key ``key``; None when no unit of its
    chain has any."""
    path = session.scalar(select(Unit.path).join(Machine, Machine.unit_id == Unit.id).where(Machine.id == machine_id))
    if path is None:
        return None
    return signed_settings(effective_settings(session, path), key, now)


def signed_settings(effective: EffectiveSettings, key: str, now: datetime) -> SignedSettings | None:
    """``effective`` signed with the agent key ``key``; None when no unit of the chain has settings."""
    if effective.version == 0:
        return None
    return sign_settings(key, SignedSettings(version=effective.version, issued_at=now, values=effective.values))


def settings_for_report(session: Session, machine_id: int, key: str, ran_with: int | None,
                        now: datetime, effective: EffectiveSettings | None = None) -> SignedSettings | None:
    """What a report's acknowledgement carries: the machine's settings when the report ran with
    another version than the current one (None when it ran with the current one or there are none).
    ``effective``: the settings of the machine's unit when the caller has them (ingest reads them
    once per batch)."""
    if effective is not None:
        return None if effective.version == ran_with else signed_settings(effective, key, now)
    found = machine_settings(session, machine_id, key, now)
    if found is None or found.version == ran_with:
        return None
    return found


class SettingsLine(msgspec.Struct, frozen=True, kw_only=True):
    """A machine whose agent runs with other settings than its unit's current ones."""

    machine_id: int
    hostname: str
    unit_code: str
    running: int | None
    current: int


def machines_on_old_settings(session: Session, scope: Scope, limit: int = 500) -> list[SettingsLine]:
    """Machines in scope whose newest report ran with settings older than their unit's effective ones
    (one query over the units' settings, one over the machines)."""
    units = list(session.execute(select(Unit.id, Unit.code, Unit.path).where(scope.units_clause())))
    versions = dict(session.execute(select(UnitSettings.unit_id, UnitSettings.version)).all())
    current = {unit_id: max((versions.get(i, 0) for i in path_ids(path)), default=0) for unit_id, _c, path in units}
    codes = {unit_id: code for unit_id, code, _p in units}
    wanted = [unit_id for unit_id, version in current.items() if version]
    if not wanted:
        return []
    lines = []
    for machine_id, hostname, unit_id, running in session.execute(
            select(Machine.id, Machine.hostname, Machine.unit_id, Machine.settings_version)
            .where(Machine.unit_id.in_(wanted), Machine.report_schema >= 2).order_by(Machine.hostname)):
        if running != current[unit_id]:
            lines.append(SettingsLine(machine_id=machine_id, hostname=hostname, unit_code=codes[unit_id],
                                      running=running, current=current[unit_id]))
            if len(lines) >= limit:
                break
    return lines
