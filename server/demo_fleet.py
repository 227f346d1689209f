"""The demo's simulated province: the Tân Hòa office (15 officials in its register, 16 PCs: the
one-stop desk shared, one offline PC for secret documents, a LAN, a scanner, the dedicated data
line, signing certificates, one about to expire) and two neighbouring communes with the gaps real
communes have (an unregistered antivirus beside a disabled Defender, a KMS activation by the
province's host and one by a crack's, malware, old backups, a Windows 7 PC without the agent).
Pure: builds units and reports, sends nothing."""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from agent import __version__
from agent.wire.schema import (
    Antivirus,
    AntivirusProduct,
    Backup,
    BackupSource,
    Certificate,
    Certificates,
    Detection,
    Hardening,
    Hardware,
    Identity,
    InteractiveUser,
    Interface,
    Licence,
    LocalAccount,
    Network,
    Peripheral,
    Program,
    Reachability,
    ReachKind,
    Report,
    Role,
    Software,
    Users,
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
    no_internet, no_dedicated_line, old_hardware, scanner, bkav_defender_off, kaspersky,
    kms_province, kms_crack, malware_active, malware_quarantined, signing_cert, cert_expiring,
    firewall_off, smb1_on, late_updates, remote_access, no_office."""
    user: str = ""
    """The account of the official who uses it (its interactive user)."""


UNITS = [
    DemoUnit("DT", "Tỉnh Đồng Tháp", "province", None, 0),
    DemoUnit("DT-TANHOA", "UBND xã Tân Hòa", "commune", "DT", 0),
    DemoUnit("DT-TANHOA-VP", "Văn phòng HĐND và UBND xã Tân Hòa", "office", "DT-TANHOA", 16),
    DemoUnit("DT-TANLONG", "UBND xã Tân Long", "commune", "DT", 12),
    DemoUnit("DT-TANPHU", "UBND xã Tân Phú", "commune", "DT", 14),
]

OFFICIALS = [  # Tân Hòa's register (danh sách CB,CC): name, position, account on the office PCs
    ("Nguyễn Văn An", "Chủ tịch UBND xã", "an.nv"), ("Trần Thị Bình", "Phó Chủ tịch UBND xã", "binh.tt"),
    ("Lê Văn Cường", "Văn phòng - Thống kê", "cuong.lv"), ("Phạm Thị Dung", "Tài chính - Kế toán", "dung.pt"),
    ("Hoàng Văn Em", "Tư pháp - Hộ tịch", "em.hv"), ("Võ Thị Giang", "Địa chính - Xây dựng", "giang.vt"),
    ("Đặng Văn Hùng", "Văn hóa - Xã hội", "hung.dv"), ("Bùi Thị Lan", "Văn phòng HĐND", "lan.bt"),
    ("Đỗ Văn Minh", "Chỉ huy trưởng Quân sự", "minh.dv"), ("Ngô Thị Nga", "Kế toán ngân sách", "nga.nt"),
    ("Dương Văn Phúc", "Địa chính - Nông nghiệp", "phuc.dv"), ("Lý Thị Quyên", "Tư pháp", "quyen.lt"),
    ("Trịnh Văn Sơn", "Văn hóa - Thông tin", "son.tv"), ("Mai Thị Thu", "Lao động - Thương binh và Xã hội", "thu.mt"),
    ("Phan Thị Uyên", "Công chức Bộ phận một cửa", "uyen.pt"),
]
ONE_STOP_DESK = "tanhoa-pc15"
"""The one-stop desk's PC (bộ phận một cửa): shared, nobody's own computer."""
PROVINCE_KMS = "kms.dongthap.gov.vn"
CRACK_KMS = "kms8.msguides.com"
"""A public KMS host that activation cracks point Windows to."""

# Gaps of the neighbours: Tân Long lacks antivirus on some PCs, runs an unregistered BKAV with
# Defender off, has malware on one PC, keeps old backups, cannot reach the dedicated line, has a
# PC with its firewall off and one with UltraViewer; Tân Phú has fewer PCs than officials, no
# offline PC, an old PC that stopped updating, an unactivated Windows, one activated by the
# province's KMS host and one by a crack's, a quarantined detection and SMB1 left on.
_NEIGHBOUR_GAPS = {
    "DT-TANLONG": [{"no_antivirus"}, {"no_antivirus", "old_backup"}, {"av_off"}, {"old_signatures", "malware_active"},
                   {"old_backup"}, {"no_backup"}, {"bkav_defender_off"}, {"kaspersky"}, {"firewall_off"},
                   {"remote_access"}],
    "DT-TANPHU": [{"not_activated"}, {"old_hardware", "late_updates"}, {"old_hardware", "old_backup"}, {"no_internet"},
                  {"kms_province"}, {"kms_crack"}, {"malware_quarantined"}, {"smb1_on"}, set(), set(), set()],
}
_NO_DEDICATED_LINE = {"DT-TANLONG"}
OLD_BACKUP_DAYS = 185
"""Days since the old backups' last success at the demo's end: past 180 then, under it 20 days before."""


def _machine(unit: str, index: int, prefix: str, subnet: int, gaps: set[str], role: Role = Role.NORMAL,
             user: str = "") -> DemoMachine:
    line = {"no_dedicated_line"} if unit in _NO_DEDICATED_LINE else set()
    return DemoMachine(unit=unit, hostname=f"{prefix}-pc{index:02d}", machine_uid=f"demo-{unit}-{index:02d}",
                       mac=f"02:00:{subnet:02x}:00:00:{index:02x}", ip=f"10.{subnet}.0.{10 + index}", role=role,
                       gaps=frozenset(gaps | line), user=user)


def demo_machines() -> list[DemoMachine]:
    """Tân Hòa's 16 PCs (pc01-pc14 its officials', pc03 with the scanner, pc05's certificate about
    to expire, pc15 the one-stop desk, pc16 offline; Office on pc01-pc15, three more than the
    register's 12 seats) and the neighbours' PCs."""
    machines = []
    for i in range(1, 15):
        gaps = {"signing_cert"} | ({"scanner"} if i == 3 else set()) | ({"cert_expiring"} if i == 5 else set())
        machines.append(_machine("DT-TANHOA-VP", i, "tanhoa", 11, gaps, user=OFFICIALS[i - 1][2]))
    machines.append(_machine("DT-TANHOA-VP", 15, "tanhoa", 11, set(), user=OFFICIALS[14][2]))
    machines.append(_machine("DT-TANHOA-VP", 16, "tanhoa", 11, {"no_office"}, Role.OFFLINE, user="lan.bt"))
    for subnet, (unit, gap_list) in enumerate(_NEIGHBOUR_GAPS.items(), start=12):
        prefix = unit.split("-")[1].lower()
        machines += [_machine(unit, i, prefix, subnet, gaps) for i, gaps in enumerate(gap_list, start=1)]
    return machines


def demo_report(machine: DemoMachine, agent_id: str, sequence: int, now: datetime, rng: random.Random,
                end: datetime | None = None) -> Report:
    """A realistic report of ``machine`` at ``now`` (the offline PC shows no network at all);
    ``end`` is the demo's end, which dates that do not move between reports (the old backups,
    the certificates) are counted back from (default: ``now``)."""
    offline, end = machine.role is Role.OFFLINE, end or now
    return Report(
        role=machine.role,
        identity=Identity(agent_id=agent_id, machine_uid=machine.machine_uid, hostname=machine.hostname,
                          unit_code=machine.unit, os_name="Windows", os_version="10" if offline else "11",
                          os_build="19045" if offline else "22631", boot_time=now - timedelta(hours=rng.randint(1, 60)),
                          agent_version=__version__, sequence=sequence, collected_at=now),
        hardware=_hardware(machine, rng, now),
        antivirus=_antivirus(machine.gaps, now, end, rng),
        licence=_licence(machine.gaps, rng),
        network=Network() if offline else _network(machine, rng),
        backup=_backup(machine.gaps, now, end, rng),
        certificates=_certificates(machine, end),
        software=_software(machine),
        hardening=_hardening(machine.gaps, now, end, offline),
        users=Users(users=[InteractiveUser(name=f"TANHOA\\{machine.user}", signed_in=not offline,
                                           last_use=now - timedelta(minutes=5), source="session")])
        if machine.user else None,
    )


def _hardware(machine: DemoMachine, rng: random.Random, now: datetime) -> Hardware:
    old = "old_hardware" in machine.gaps
    peripherals = [Peripheral(kind="scanner", name="Canon DR-C225 II")] if "scanner" in machine.gaps else []
    return Hardware(manufacturer="HP" if old else "Dell Inc.", model="Compaq 6200 Pro" if old else "OptiPlex 3000",
                    serial=f"DEMO{rng.randrange(10**6):06d}",
                    # ages from the report's time, so the demo's figures are the same whatever year it runs
                    bios_release_date=(now - timedelta(days=13 * 365 if old else 3 * 365 + 200)).date(),
                    cpu_model="Intel(R) Core(TM) i5-12500" if not old else "Intel(R) Core(TM) i3-2120",
                    cpu_cores=6 if not old else 2, ram_bytes=(8 if not old else 2) * 2**30,
                    peripherals=[*peripherals, Peripheral(kind="printer", name="Canon LBP2900")])


def _antivirus(gaps: frozenset[str], now: datetime, end: datetime, rng: random.Random) -> Antivirus:
    if "no_antivirus" in gaps:
        return Antivirus()
    age = rng.uniform(20, 60) if "old_signatures" in gaps else rng.uniform(0.1, 1.5)
    third_party = "BKAV Pro" if "bkav_defender_off" in gaps else \
        "Kaspersky Endpoint Security" if "kaspersky" in gaps else ""
    defender_on = "av_off" not in gaps and not third_party
    products = [AntivirusProduct(name="Windows Defender", vendor="Microsoft", enabled=defender_on,
                                 realtime_on=defender_on, signatures_up_to_date=age < 7,
                                 signatures_date=now - timedelta(days=age), signatures_age_days=round(age, 2),
                                 state_raw="397568" if defender_on else "393472")]
    if third_party:
        products.insert(0, AntivirusProduct(name=third_party, enabled=True, realtime_on=True,
                                            signatures_up_to_date=True, signatures_date=now - timedelta(hours=6),
                                            signatures_age_days=0.25, state_raw="266240"))
    return Antivirus(products=products, detections=_detections(gaps, now, end))


def _detections(gaps: frozenset[str], now: datetime, end: datetime) -> list[Detection]:
    """The demo's detections happen hours before its end: the last round reports them."""
    found = []
    if "malware_active" in gaps:
        found.append(Detection(threat="Trojan:Win32/Wacatac.B!ml", path=r"C:\Users\Public\Downloads\hoadon_dientu.exe",
                               detected_at=end - timedelta(hours=2), action="detected"))
    if "malware_quarantined" in gaps:
        found.append(Detection(threat="HackTool:Win32/AutoKMS", path=r"C:\Windows\AutoKMS\AutoKMS.exe",
                               detected_at=end - timedelta(hours=5), action="quarantined"))
    return [d for d in found if d.detected_at is not None and d.detected_at <= now]


def _licence(gaps: frozenset[str], rng: random.Random) -> Licence:
    key = f"{rng.randrange(16**5):05X}"
    if "not_activated" in gaps:
        return Licence(os_activated=False, os_licence_status="notification", os_partial_key=key)
    kms = PROVINCE_KMS if "kms_province" in gaps else CRACK_KMS if "kms_crack" in gaps else ""
    if kms:
        return Licence(os_activated=True, os_licence_status="licensed", os_partial_key="W269N"[-5:],
                       os_product="Windows(R), Professional edition", os_licence_channel="Volume:GVLK",
                       kms_host=kms, kms_host_discovered=False)
    return Licence(os_activated=True, os_licence_status="licensed", os_partial_key=key, os_licence_channel="OEM:DM")


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


def _backup(gaps: frozenset[str], now: datetime, end: datetime, rng: random.Random) -> Backup:
    if "no_backup" in gaps:
        return Backup()
    last = end - timedelta(days=OLD_BACKUP_DAYS) if "old_backup" in gaps else now - timedelta(days=rng.uniform(1, 60))
    return Backup(sources=[BackupSource(kind="folder", location=r"D:\SaoLuu", last_success=last,
                                        size_bytes=rng.randint(2, 40) * 2**30)])


def _certificates(machine: DemoMachine, end: datetime) -> Certificates | None:
    if "signing_cert" not in machine.gaps:
        return None
    official = next((name for name, _, account in OFFICIALS if account == machine.user), machine.user)
    left = timedelta(days=20 if "cert_expiring" in machine.gaps else 300)
    return Certificates(certificates=[Certificate(
        subject=f"CN={official.upper()}, O=UBND xã Tân Hòa, L=Đồng Tháp, C=VN",
        issuer="CN=VNPT Certification Authority, OU=VNPT-CA Trust Network, O=VNPT Group, C=VN",
        serial=f"5402{zlib.crc32(machine.hostname.encode()):010d}", not_before=end - timedelta(days=700),
        not_after=end + left, store="CurrentUser\\My", key_usage=["digitalSignature", "nonRepudiation"])])


OFFICE = Program(name="Microsoft Office Standard 2019", version="16.0.10827.20181", publisher="Microsoft Corporation",
                 installed_on=None)
_COMMON = [Program(name="Google Chrome", version="131.0.6778.86", publisher="Google LLC"),
           Program(name="UniKey 4.6 RC2", version="4.6", publisher="Pham Kim Long"),
           Program(name="Foxit PDF Reader", version="2024.3.0.26795", publisher="Foxit Software Inc."),
           Program(name="7-Zip 24.08 (x64)", version="24.08", publisher="Igor Pavlov")]


def _software(machine: DemoMachine) -> Software:
    """What an office PC has installed: the browser, Vietnamese typing, PDF; Office (the register's
    Tân Hòa entry counts it); Zalo on the networked PCs; VNPT-CA's token manager beside a signing
    certificate; UltraViewer where the gap says so. The offline PC has nothing that talks to a network."""
    offline = machine.role is Role.OFFLINE
    programs = [*_COMMON]
    if "no_office" not in machine.gaps:
        programs.append(OFFICE)
    if not offline:
        programs.append(Program(name="Zalo", version="24.11.1", publisher="VNG Corporation"))
    if "signing_cert" in machine.gaps:
        programs.append(Program(name="VNPT-CA Token Manager", version="2.0.5", publisher="VNPT"))
    if "remote_access" in machine.gaps:
        programs.append(Program(name="UltraViewer version 6.6.105", version="6.6.105", publisher="DucFabulous"))
    return Software(programs=sorted(programs, key=lambda p: p.name.lower()))


def _hardening(gaps: frozenset[str], now: datetime, end: datetime, offline: bool) -> Hardening:
    """Firewall on, updated within the month, screen lock at 10 minutes, autorun off, SMB1 off,
    one enabled administrator; the gaps say where not (the late updates stopped 70 days before
    the demo's end: 50 at the first round, so their alert escalates)."""
    updated = end - timedelta(days=70) if "late_updates" in gaps else now - timedelta(days=6)
    profiles = ("domain", "private", "public")
    return Hardening(
        firewall_enabled={p: not ("firewall_off" in gaps and p != "domain") for p in profiles},
        last_os_update=updated, screen_lock_timeout_s=600, autorun_disabled=True, smb1_enabled="smb1_on" in gaps,
        disk_encrypted=offline,
        local_accounts=[LocalAccount(name="Administrator", enabled=False, admin=True),
                        LocalAccount(name="canbo", enabled=True, admin=True, last_logon=now - timedelta(hours=3))])
