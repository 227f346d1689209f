"""The demo's simulated province: the Tân Hòa office (16 officials, 16 PCs, one offline PC for
secret documents, a LAN, a scanner, the dedicated data line) and two neighbouring communes with
the gaps real communes have. Pure: builds units and reports, sends nothing."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from agent import __version__
from agent.wire.schema import (
    Antivirus,
    AntivirusProduct,
    Backup,
    BackupSource,
    Hardware,
    Identity,
    Interface,
    Licence,
    Network,
    Peripheral,
    Reachability,
    ReachKind,
    Report,
    Role,
)


@dataclass(frozen=True)
class DemoUnit:
    code: str
    name: str
    kind: str
    parent: str | None
    staff: int


@dataclass(frozen=True)
class DemoMachine:
    """One simulated PC and how its report departs from a healthy one."""

    unit: str
    hostname: str
    machine_uid: str
    mac: str
    ip: str
    role: Role = Role.NORMAL
    gaps: frozenset[str] = field(default_factory=frozenset)
    """Any of: no_antivirus, av_off, old_signatures, not_activated, old_backup, no_backup,
    no_internet, no_dedicated_line, old_hardware, scanner."""


UNITS = [
    DemoUnit("DT", "Tỉnh Đồng Tháp", "province", None, 0),
    DemoUnit("DT-TANHOA", "UBND xã Tân Hòa", "commune", "DT", 0),
    DemoUnit("DT-TANHOA-VP", "Văn phòng HĐND và UBND xã Tân Hòa", "office", "DT-TANHOA", 16),
    DemoUnit("DT-TANLONG", "UBND xã Tân Long", "commune", "DT", 12),
    DemoUnit("DT-TANPHU", "UBND xã Tân Phú", "commune", "DT", 14),
]

# Gaps of the neighbours: Tân Long lacks antivirus on some PCs, keeps old backups and cannot
# reach the dedicated line; Tân Phú has fewer PCs than officials, no offline PC, an old PC and
# an unactivated Windows.
_NEIGHBOUR_GAPS = {
    "DT-TANLONG": [{"no_antivirus"}, {"no_antivirus", "old_backup"}, {"av_off"}, {"old_signatures"},
                   {"old_backup"}, {"no_backup"}, set(), set(), set(), set()],
    "DT-TANPHU": [{"not_activated"}, {"old_hardware"}, {"old_hardware", "old_backup"}, {"no_internet"},
                  set(), set(), set(), set(), set(), set(), set()],
}
_NO_DEDICATED_LINE = {"DT-TANLONG"}


def _machine(unit: str, index: int, prefix: str, subnet: int, gaps: set[str], role: Role = Role.NORMAL) -> DemoMachine:
    line = {"no_dedicated_line"} if unit in _NO_DEDICATED_LINE else set()
    return DemoMachine(unit=unit, hostname=f"{prefix}-pc{index:02d}", machine_uid=f"demo-{unit}-{index:02d}",
                       mac=f"02:00:{subnet:02x}:00:00:{index:02x}", ip=f"10.{subnet}.0.{10 + index}", role=role,
                       gaps=frozenset(gaps | line))


def demo_machines() -> list[DemoMachine]:
    """Tân Hòa's 16 PCs (pc16 offline, pc03 with the scanner) and the neighbours' PCs."""
    machines = [_machine("DT-TANHOA-VP", i, "tanhoa", 11, {"scanner"} if i == 3 else set()) for i in range(1, 16)]
    machines.append(_machine("DT-TANHOA-VP", 16, "tanhoa", 11, set(), Role.OFFLINE))
    for subnet, (unit, gap_list) in enumerate(_NEIGHBOUR_GAPS.items(), start=12):
        prefix = unit.split("-")[1].lower()
        machines += [_machine(unit, i, prefix, subnet, gaps) for i, gaps in enumerate(gap_list, start=1)]
    return machines


def demo_report(machine: DemoMachine, agent_id: str, sequence: int, now: datetime, rng: random.Random) -> Report:
    """A realistic report of ``machine`` at ``now`` (the offline PC shows no network at all)."""
    offline = machine.role is Role.OFFLINE
    return Report(
        role=machine.role,
        identity=Identity(agent_id=agent_id, machine_uid=machine.machine_uid, hostname=machine.hostname,
                          unit_code=machine.unit, os_name="Windows", os_version="10" if offline else "11",
                          os_build="19045" if offline else "22631", boot_time=now - timedelta(hours=rng.randint(1, 60)),
                          agent_version=__version__, sequence=sequence, collected_at=now),
        hardware=_hardware(machine, rng),
        antivirus=_antivirus(machine.gaps, now, rng),
        licence=Licence(os_activated="not_activated" not in machine.gaps,
                        os_licence_status="notification" if "not_activated" in machine.gaps else "licensed",
                        os_partial_key=f"{rng.randrange(16**5):05X}"),
        network=Network() if offline else _network(machine, rng),
        backup=_backup(machine.gaps, now, rng),
    )


def _hardware(machine: DemoMachine, rng: random.Random) -> Hardware:
    old = "old_hardware" in machine.gaps
    peripherals = [Peripheral(kind="scanner", name="Canon DR-C225 II")] if "scanner" in machine.gaps else []
    return Hardware(manufacturer="HP" if old else "Dell Inc.", model="Compaq 6200 Pro" if old else "OptiPlex 3000",
                    serial=f"DEMO{rng.randrange(10**6):06d}",
                    bios_release_date=date(2013, 5, 2) if old else date(2023, 3, 14),
                    cpu_model="Intel(R) Core(TM) i5-12500" if not old else "Intel(R) Core(TM) i3-2120",
                    cpu_cores=6 if not old else 2, ram_bytes=(8 if not old else 2) * 2**30,
                    peripherals=[*peripherals, Peripheral(kind="printer", name="Canon LBP2900")])


def _antivirus(gaps: frozenset[str], now: datetime, rng: random.Random) -> Antivirus:
    if "no_antivirus" in gaps:
        return Antivirus()
    age = rng.uniform(20, 60) if "old_signatures" in gaps else rng.uniform(0.1, 1.5)
    enabled = "av_off" not in gaps
    product = AntivirusProduct(name="Windows Defender", vendor="Microsoft", enabled=enabled, realtime_on=enabled,
                               signatures_up_to_date=age < 7, signatures_date=now - timedelta(days=age),
                               signatures_age_days=round(age, 2), state_raw="397568" if enabled else "393472")
    return Antivirus(products=[product])


def _network(machine: DemoMachine, rng: random.Random) -> Network:
    gateway = machine.ip.rsplit(".", 1)[0] + ".1"
    checks = [
        Reachability(target=gateway, kind=ReachKind.GATEWAY, method="icmp", reachable=True,
                     latency_ms=round(rng.uniform(0.3, 2), 2)),
        _reach("1.1.1.1:443", ReachKind.INTERNET, "no_internet" not in machine.gaps, rng),
        _reach("10.0.0.10:443", ReachKind.DEDICATED_LINE, "no_dedicated_line" not in machine.gaps, rng),
    ]
    nic = Interface(name="Ethernet", mac=machine.mac, addresses=[machine.ip], is_up=True, carrier=True,
                    wireless=False, speed_mbps=1000, dhcp=True)
    return Network(interfaces=[nic], default_gateway=gateway, dns_servers=[gateway], reachability=checks)


def _reach(target: str, kind: ReachKind, ok: bool, rng: random.Random) -> Reachability:
    return Reachability(target=target, kind=kind, method="tcp", reachable=ok,
                        latency_ms=round(rng.uniform(5, 40), 1) if ok else None,
                        error="" if ok else "timed out after 3.0 s")


def _backup(gaps: frozenset[str], now: datetime, rng: random.Random) -> Backup:
    if "no_backup" in gaps:
        return Backup()
    age = rng.uniform(120, 300) if "old_backup" in gaps else rng.uniform(1, 60)
    return Backup(sources=[BackupSource(kind="folder", location=r"D:\SaoLuu", last_success=now - timedelta(days=age),
                                        size_bytes=rng.randint(2, 40) * 2**30)])
