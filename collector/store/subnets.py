"""What the scheduled scan sweeps (saved LAN subnets, one unit each) and the LAN devices a person
declared known (not "unknown devices" any more)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.wire.schema import normalise_mac
from collector.errors import InvalidInput
from collector.models.lan import KnownLanDevice, LanSubnet
from collector.store.units import get_unit


def save_subnet(session: Session, subnet: str, unit_code: str, iface: str, max_prefix: int,
                now: datetime) -> LanSubnet:
    """Keep ``subnet`` (already checked) for every scan; saving it again updates unit and interface."""
    unit = get_unit(session, unit_code)
    row = session.scalar(select(LanSubnet).where(LanSubnet.subnet == subnet))
    if row is None:
        row = LanSubnet(subnet=subnet, created_at=now)
        session.add(row)
    row.unit_id, row.iface, row.max_prefix = unit.id, iface, max_prefix
    session.flush()
    return row


def declare_known(session: Session, mac: str, note: str, now: datetime) -> KnownLanDevice:
    """Mark a MAC as a known device (idempotent; the note is replaced)."""
    normalised = normalise_mac(mac)
    if not normalised:
        raise InvalidInput(f"{mac!r} is not a MAC address", code="invalid_mac")
    row = session.scalar(select(KnownLanDevice).where(KnownLanDevice.mac == normalised))
    if row is None:
        row = KnownLanDevice(mac=normalised, declared_at=now)
        session.add(row)
    row.note = note
    session.flush()
    return row
