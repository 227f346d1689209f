"""Every section and field of the report schema has a label translated in every language (so a new
schema field cannot reach the machine page unlabelled), and the machine page shows labels, words
and local formats instead of schema keys."""

from __future__ import annotations

from datetime import UTC, date, datetime

import msgspec
import msgspec.inspect as mi
import pytest

from agent.wire.schema import (
    Antivirus,
    AntivirusProduct,
    Backup,
    BackupSource,
    Certificate,
    Certificates,
    Detection,
    Disk,
    Evidence,
    Hardening,
    Hardware,
    Identity,
    InteractiveUser,
    Interface,
    Licence,
    LocalAccount,
    Network,
    ProbeError,
    Program,
    Reachability,
    Report,
    Section,
    Software,
    Transport,
    Users,
)
from server.web import i18n
from server.web.labels import FIELDS, SECTIONS, VALUES
from server.web.report_view import label_key, report_sections, size
from tests.api_world import World
from tests.factories import signed
from tests.web.conftest import sign_in
from tests.web.test_i18n import catalog

AT = datetime(2026, 6, 30, 20, 5, tzinfo=UTC)  # 01/07/2026 03:05 in Vietnam


def schema_structs() -> dict[type[msgspec.Struct], mi.StructType]:
    """Every Struct reachable from Report, found by walking the types (not a list kept by hand)."""
    found: dict[type[msgspec.Struct], mi.StructType] = {}

    def walk(info: mi.Type) -> None:
        if isinstance(info, mi.StructType):
            if info.cls not in found:
                found[info.cls] = info
                for f in info.fields:
                    walk(f.type)
        elif isinstance(info, mi.UnionType):
            for member in info.types:
                walk(member)
        elif isinstance(info, mi.DictType):
            walk(info.key_type)
            walk(info.value_type)
        elif isinstance(info, mi.CollectionType):
            walk(info.item_type)

    walk(mi.type_info(Report))
    return found


def schema_fields() -> list[tuple[type[msgspec.Struct], str]]:
    return [(cls, f.name) for cls, info in schema_structs().items() if cls is not Report for f in info.fields]


def test_the_walk_finds_nested_items() -> None:
    structs = schema_structs()
    assert {Disk, AntivirusProduct, Detection, Reachability, Evidence, LocalAccount, ProbeError} <= structs.keys()
    assert len(schema_fields()) > 100


def test_every_schema_field_has_a_label() -> None:
    unlabelled = [f"{cls.__name__}.{name}" for cls, name in schema_fields() if label_key(cls, name) is None]
    assert unlabelled == [], "add them to server/web/labels.py FIELDS, then pybabel extract/update -N and translate"


def test_every_report_section_has_a_title() -> None:
    sections = [f.name for f in msgspec.structs.fields(Report)
                if any(isinstance(t, mi.StructType) and issubclass(t.cls, Section)
                       for t in getattr(mi.type_info(f.type), "types", [mi.type_info(f.type)]))]
    assert "identity" in sections and set(sections) - SECTIONS.keys() == set()


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_label_is_translated(lang: str) -> None:
    translated = catalog(lang)
    messages = {FIELDS[key] for cls, name in schema_fields() if (key := label_key(cls, name))}
    messages |= set(SECTIONS.values()) | set(VALUES.values())
    assert sorted(m for m in messages if not translated.get(m)) == []


def full_report() -> Report:
    return Report(
        identity=Identity(agent_id="a-1", machine_uid="uid-1", hostname="ketoan-01", collected_at=AT, sequence=7),
        hardware=Hardware(manufacturer="Dell Inc.", ram_bytes=8 * 2**30, bios_release_date=date(2019, 3, 5),
                          disks=[Disk(device="C:", total_bytes=500 * 10**9, free_bytes=300 * 2**20,
                                      health="unhealthy")],
                          errors=[ProbeError(what="serial", reason="access denied")]),
        antivirus=Antivirus(products=[AntivirusProduct(name="Windows Defender", enabled=True, realtime_on=None,
                                                       signatures_age_days=3.25, signatures_date=AT)],
                            detections=[Detection(threat="EICAR", detected_at=AT, action="quarantined")]),
        licence=Licence(os_activated=False, os_licence_status="notification"),
        network=Network(interfaces=[Interface(name="Ethernet", is_up=True, speed_mbps=1000)],
                        reachability=[Reachability(target="10.0.0.1", kind="gateway", method="icmp", reachable=True,
                                                   latency_ms=1.5)],
                        reachability_status={"dedicated_line": "not configured"},
                        evidence=[Evidence(kind="wifi_profile", detail="Cafe-WiFi", seen_at=AT)]),
        backup=Backup(sources=[BackupSource(kind="folder", location="D:\\Backup", last_success=AT, size_bytes=2**30)]),
        certificates=Certificates(certificates=[Certificate(subject="CN=Nguyễn Văn A", not_after=AT)]),
        software=Software(programs=[Program(name=f"Program {i}") for i in range(20)]),
        hardening=Hardening(firewall_enabled={"public": False}, screen_lock_timeout_s=600, smb1_enabled=None,
                            local_accounts=[LocalAccount(name="Administrator", enabled=False, admin=True)]),
        users=Users(users=[InteractiveUser(name="XA\\nam", signed_in=True, last_use=AT, source="profile")]),
    )


def rows_of(lang: str) -> dict[str, dict[str, object]]:
    return {s.key: {"title": s.title, "errors": s.errors, **{r.key: r for r in s.rows}}
            for s in report_sections(full_report(), lang)}


def test_sections_come_in_order_with_their_titles() -> None:
    sections = report_sections(full_report(), "vi")
    assert [s.key for s in sections] == list(SECTIONS)
    assert sections[2].title == "Phòng chống mã độc" and sections[1].errors == [("serial", "bị từ chối quyền truy cập")]


@pytest.mark.parametrize(("lang", "section", "field", "text"), [
    ("vi", "identity", "collected_at", "01/07/2026 03:05"),
    ("vi", "identity", "sequence", "7"),
    ("vi", "hardware", "ram_bytes", "8 GB"),
    ("vi", "hardware", "bios_release_date", "05/03/2019"),
    ("vi", "hardware", "manufacturer", "Dell Inc."),
    ("vi", "hardware", "model", "—"),
    ("vi", "licence", "os_activated", "Không"),
    ("en", "licence", "os_activated", "No"),
    ("vi", "licence", "os_licence_status", "chế độ nhắc nhở (chưa kích hoạt)"),
    ("vi", "licence", "antivirus_licence_expired", "không đọc được"),
    ("en", "licence", "antivirus_licence_expired", "not readable"),
    ("vi", "hardening", "screen_lock_timeout_s", "10 phút"),
    ("en", "hardening", "screen_lock_timeout_s", "10 minutes"),
])
def test_values_read_the_local_way(lang: str, section: str, field: str, text: str) -> None:
    assert rows_of(lang)[section][field].text == text  # type: ignore[attr-defined]


def test_lists_become_labelled_tables_and_mappings_labelled_pairs() -> None:
    vi = rows_of("vi")
    products = vi["antivirus"]["products"].table  # type: ignore[attr-defined]
    assert products.columns[:3] == ["Tên", "Đang bật", "Bảo vệ thời gian thực"]
    assert products.rows[0][:3] == ["Windows Defender", "Có", "không đọc được"]
    assert "3,2 ngày" in products.rows[0] or "3,3 ngày" in products.rows[0]
    disks = vi["hardware"]["disks"].table  # type: ignore[attr-defined]
    assert disks.rows[0] == ["C:", "465,7 GB", "300 MB", "sắp hỏng"]  # empty columns (model, media...) left out
    reach = vi["network"]["reachability"].table  # type: ignore[attr-defined]
    assert "Cổng mạng LAN" in reach.rows[0] and "1,5 ms" in reach.rows[0]
    assert vi["network"]["reachability_status"].pairs == [("Đường truyền số liệu chuyên dùng", "chưa cấu hình")]  # type: ignore[attr-defined]
    assert vi["hardening"]["firewall_enabled"].pairs == [("mạng công cộng (public)", "Không")]  # type: ignore[attr-defined]
    assert vi["software"]["programs"].folded and not vi["hardening"]["local_accounts"].folded  # type: ignore[attr-defined]


class Future(Section):
    brand_new_reading: str = ""


class FutureReport(Report, kw_only=True):
    """A later schema: a section and a field this dashboard has no label for yet."""

    future: Future | None = None


def test_an_unknown_field_shows_under_its_key() -> None:
    report = FutureReport(identity=Identity(collected_at=AT), future=Future(brand_new_reading="42"))
    sections = {s.key: s for s in report_sections(report, "vi")}
    assert sections["future"].title == "future"
    assert [(r.label, r.text) for r in sections["future"].rows] == [("brand_new_reading", "42")]


@pytest.mark.parametrize(("value", "lang", "shown"), [
    (8 * 2**30, "vi", "8 GB"), (int(465.76 * 2**30), "en", "465.8 GB"), (300 * 2**20, "vi", "300 MB"),
    (512, "vi", "512 B"),
])
def test_sizes(value: int, lang: str, shown: str) -> None:
    assert size(value, lang) == shown


def test_the_machine_page_shows_labels_not_schema_keys(web: World) -> None:
    creds = web.enroll("XA")
    report = full_report()
    report.identity.agent_id, report.identity.sequence = creds["agent_id"], 1
    body = msgspec.json.encode(report)
    assert web.client.post("/api/v1/reports", content=body,
                           headers=signed(creds["agent_id"], creds["key"], body)).status_code == 201
    sign_in(web.client, "admin")
    page = web.client.get(f"/machines/{creds['machine_id']}").text
    assert "Tuổi mẫu nhận diện" in page and "Bản quyền phần mềm phòng chống mã độc đã hết hạn" in page
    assert "serial" in page and "bị từ chối quyền truy cập" in page  # the probe's error, in words
    for raw in ("signatures_age_days", "os_licence_status", "ram_bytes", "firewall_enabled", "True", "None"):
        assert f">{raw}<" not in page, raw
    english = web.client.get(f"/machines/{creds['machine_id']}", params={"lang": "en"}).text
    assert "Signature age" in english and "Real-time protection" in english and ">Yes<" in english


@pytest.mark.parametrize(("transport", "warned"), [("http", True), ("https", False), (None, False)])
def test_the_machine_page_says_when_the_agent_reports_unencrypted(web: World, transport: str | None,
                                                                  warned: bool) -> None:
    creds = web.enroll("XA")
    report = full_report()
    report.identity.agent_id, report.identity.sequence = creds["agent_id"], 1
    report.identity.transport = Transport(transport) if transport else None
    body = msgspec.json.encode(report)
    assert web.client.post("/api/v1/reports", content=body,
                           headers=signed(creds["agent_id"], creds["key"], body)).status_code == 201
    sign_in(web.client, "admin")
    page = web.client.get(f"/machines/{creds['machine_id']}").text
    assert ("gửi báo cáo không mã hóa (HTTP)" in page) is warned
    if transport:
        assert ("không mã hóa (HTTP)" if warned else "có mã hóa (HTTPS)") in page
