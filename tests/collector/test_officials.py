"""The officials register and "computers per official" on both backends: the list imported as
offices keep it (XLSX, CSV in UTF-8 or Windows-1258, semicolons, title rows), officials matched to
machines by assignment or by the account the agent reports, shared machines and the offline PC
counted as nobody's, and a unit without a register counted by its staff number, saying so."""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from agent.wire.schema import InteractiveUser, Role, Users, encode_report
from canhgac.cli import main
from collector.errors import InvalidInput
from collector.models.audit import AuditEntry
from collector.models.machines import Machine, MachineUsage
from collector.officials_file import OfficialInput, parse_officials
from collector.store.machines import set_machine_usage
from collector.store.officials import assign_machine, list_officials, machine_users, normalise_account
from collector.store.readiness_report import explain, readiness_table
from collector.store.scope import EVERYTHING
from tests.api_world import World
from tests.factories import T0, make_report, signed

HEADER = ["STT", "Họ và tên", "Chức vụ", "Tài khoản"]
PEOPLE = [["1", "Nguyễn Văn An", "Chủ tịch UBND", "an"], ["2", "Trần Thị Bình", "Văn phòng - Thống kê", "binh"],
          ["3", "Lê Văn Cường", "Công chức một cửa", ""]]


def xlsx_bytes(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["DANH SÁCH CÁN BỘ, CÔNG CHỨC XÃ A"])  # the title rows offices keep above the header
    sheet.append([])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[str]], delimiter: str, encoding: str) -> bytes:
    text = "\r\n".join(delimiter.join(row) for row in [["Danh sách cán bộ"], *rows])
    return windows_1258(text) if encoding == "cp1258" else text.encode(encoding)


def windows_1258(text: str) -> bytes:
    """Text as Windows-1258 holds it: letters it has precomposed (â, ơ, ư...) with the tone as a
    combining mark (Python's codec does not decompose by itself)."""
    out = []
    for char in text:
        try:
            out.append(char.encode("cp1258"))
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = unicodedata.normalize("NFD", char)
        for mark in marks:
            composed = unicodedata.normalize("NFC", base + mark)
            if len(composed) == 1 and composed.encode("cp1258", errors="ignore"):
                base, marks = composed, [m for m in marks if m != mark]
                break
        out.append((base + "".join(marks)).encode("cp1258"))
    return b"".join(out)


EXPECTED = [OfficialInput("Nguyễn Văn An", "Chủ tịch UBND", "an"),
            OfficialInput("Trần Thị Bình", "Văn phòng - Thống kê", "binh"),
            OfficialInput("Lê Văn Cường", "Công chức một cửa", "")]


@pytest.mark.parametrize(("name", "data"), [
    ("ds.xlsx", xlsx_bytes([HEADER, *PEOPLE])),
    ("ds.csv", csv_bytes([HEADER, *PEOPLE], ",", "utf-8-sig")),
    ("ds.csv", csv_bytes([HEADER, *PEOPLE], ";", "utf-8")),
    ("ds.csv", csv_bytes([HEADER, *PEOPLE], ";", "cp1258")),  # Excel's "CSV" on a Vietnamese Windows
])
def test_the_list_is_read_as_offices_keep_it(name: str, data: bytes) -> None:
    assert parse_officials(data, name) == EXPECTED


@pytest.mark.parametrize(("data", "code"), [
    (csv_bytes([["STT", "Chức vụ"], ["1", "Chủ tịch"]], ",", "utf-8"), "no_header"),
    (csv_bytes([HEADER], ",", "utf-8"), "no_officials"),
    (b"PK\x03\x04 not a workbook", "bad_workbook"),
])
def test_an_unreadable_list_says_why(data: bytes, code: str) -> None:
    with pytest.raises(InvalidInput) as failure:
        parse_officials(data, "ds.xlsx" if data.startswith(b"PK") else "ds.csv")
    assert failure.value.code == code


@pytest.mark.parametrize(("raw", "account"), [("XA\\An", "an"), (".\\an", "an"), ("an@xa.gov.vn", "an"),
                                              (" AN ", "an")])
def test_accounts_are_matched_without_domain_or_case(raw: str, account: str) -> None:
    assert normalise_account(raw) == account


def _machine(world: World, uid: str, hostname: str, user: str | None, role: Role = Role.NORMAL) -> int:
    agent = world.enroll("XA", machine_uid=uid, hostname=hostname)
    report = make_report(agent["agent_id"], 1, machine_uid=uid, hostname=hostname)
    report.role = role
    if user is not None:
        report.users = Users(users=[InteractiveUser(name=f"XA\\{user}", signed_in=True, last_use=T0, source="session")])
    body = encode_report(report)
    response = world.client.post("/api/v1/reports", content=body, headers=signed(agent["agent_id"], agent["key"], body))
    assert response.status_code == 201, response.text
    return int(agent["machine_id"])


def _import(world: World, db_url: str, tmp_path: Path, rows: list[list[str]], *extra: str) -> str:
    path = tmp_path / "danh-sach.xlsx"
    path.write_bytes(xlsx_bytes([HEADER, *rows]))
    result = CliRunner().invoke(main, ["officials", "import", str(path), "--unit", "XA", "--db", db_url, *extra])
    assert result.exit_code == 0, result.output
    return result.output


def test_computers_per_official_counts_officials_with_a_working_machine_of_their_own(
        world: World, db_url: str, tmp_path: Path) -> None:
    with world.db.session() as session:
        before = readiness_table(session, EVERYTHING, "XA", T0).unit.figures["computers_per_official"]
    assert (before.n, before.d) == (0, 21)  # XA 16 + XA-VP 5 by staff number, no machine yet
    an_pc = _machine(world, "uid-an", "xa-pc01", "an")  # An's by the account the agent reports
    shared = _machine(world, "uid-1c", "xa-motcua", "cuong")  # the one-stop desk: shared
    _machine(world, "uid-off", "xa-mat", None, Role.OFFLINE)  # the offline PC: nobody's computer
    output = _import(world, db_url, tmp_path, PEOPLE)
    assert "3 thêm / added" in output
    with world.db.session() as session:
        set_machine_usage(session, EVERYTHING, shared, MachineUsage.SHARED, T0, "cntt")
        officials = {o.name: o for o in list_officials(session, EVERYTHING, "XA")}
        # Cường has no account in the list; he works at the one-stop desk, assigned to him: shared all the same
        assign_machine(session, EVERYTHING, officials["Lê Văn Cường"].id, shared, T0, "cntt")
        assert [u.official for u in machine_users(session, an_pc)] == ["Nguyễn Văn An"]
        table = readiness_table(session, EVERYTHING, "XA", T0)
        missing = explain(session, EVERYTHING, "XA", "computers_per_official", T0).missing
    # XA's register: An has xa-pc01; Bình has no machine; Cường works at the shared desk. XA-VP
    # (no register) still counts by its staff number: 0 of its 5.
    figure = table.unit.figures["computers_per_official"]
    assert (figure.n, figure.d) == (1, 3 + 5) and table.unit.fallback_units == 1 and table.unit.registered_units == 1
    reasons = {(i.kind, i.name): i.reason_vi for i in missing}
    assert reasons == {
        ("official", "Trần Thị Bình"): "chưa được giao máy; không máy nào có tài khoản binh",
        ("official", "Lê Văn Cường"): "xa-motcua là máy dùng chung, không phải máy riêng",
        ("unit", "XA-VP"): "0 máy đang dùng / 5 cán bộ theo số biên chế (chưa có danh sách): thiếu 5"}
    with world.db.session() as session:  # an officer assigns Bình a machine: counted
        binh_pc = _machine(world, "uid-b", "xa-pc02", None)
        assign_machine(session, EVERYTHING, officials["Trần Thị Bình"].id, binh_pc, T0, "cntt")
        after = readiness_table(session, EVERYTHING, "XA", T0).unit.figures["computers_per_official"]
        actions = list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert (after.n, after.d) == (2, 8)
    assert "officials_imported" in actions and "machine_usage_set" in actions and "machine_assigned" in actions


def test_reimporting_the_same_list_changes_nothing_and_missing_officials_retire_only_when_asked(
        world: World, db_url: str, tmp_path: Path) -> None:
    _import(world, db_url, tmp_path, PEOPLE)
    again = _import(world, db_url, tmp_path, PEOPLE)
    assert "0 thêm / added, 0 sửa / updated, 3 giữ nguyên / unchanged" in again
    kept = _import(world, db_url, tmp_path, PEOPLE[:2])
    assert "0 nghỉ / retired" in kept
    with world.db.session() as session:
        assert len(list_officials(session, EVERYTHING, "XA")) == 3
    _import(world, db_url, tmp_path, [["1", "Nguyễn Văn An", "Chủ tịch UBND xã", "an"], PEOPLE[1]], "--retire-missing")
    with world.db.session() as session:
        rows = list_officials(session, EVERYTHING, "XA", include_retired=True)
    assert {(r.name, r.position, r.retired_at is not None) for r in rows} == {
        ("Nguyễn Văn An", "Chủ tịch UBND xã", False), ("Trần Thị Bình", "Văn phòng - Thống kê", False),
        ("Lê Văn Cường", "Công chức một cửa", True)}


def test_the_cli_lists_edits_retires_and_assigns(world: World, db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    _import(world, db_url, tmp_path, PEOPLE)
    machine = _machine(world, "uid-x", "xa-pc09", None)
    with world.db.session() as session:
        ids = {o.name: o.id for o in list_officials(session, EVERYTHING, "XA")}
    db = ["--db", db_url]
    assert runner.invoke(main, ["officials", "edit", str(ids["Lê Văn Cường"]), "--account", "XA\\Cuong", *db]
                         ).exit_code == 0
    assigned = runner.invoke(main, ["officials", "assign", str(ids["Lê Văn Cường"]), "--machine", str(machine), *db])
    assert assigned.exit_code == 0 and "xa-pc09" in assigned.output
    assert runner.invoke(main, ["officials", "retire", str(ids["Trần Thị Bình"]), *db]).exit_code == 0
    listed = runner.invoke(main, ["officials", "list", "--unit", "XA", *db])
    assert "Lê Văn Cường" in listed.output and "cuong" in listed.output and "Trần Thị Bình" not in listed.output
    assert "Trần Thị Bình" in runner.invoke(main, ["officials", "list", "--all", *db]).output
    refused = runner.invoke(main, ["officials", "assign", str(ids["Trần Thị Bình"]), "--machine", str(machine), *db])
    assert refused.exit_code == 1 and "retired" in refused.output
    with world.db.session() as session:
        assert session.scalar(select(Machine.usage).where(Machine.id == machine)) == MachineUsage.PERSONAL


def test_many_machines_users_are_made_those_of_their_reports_rewriting_only_what_differs(world: World) -> None:
    from collector.store.officials import record_machine_users, sync_machine_users

    an_pc, binh_pc, cuong_pc = (_machine(world, f"uid-{u}", f"xa-{u}", u) for u in ("an", "binh", "cuong"))
    later = [InteractiveUser(name="XA\\binh", signed_in=False, last_use=T0, source="profile"),
             InteractiveUser(name="binh@xa.gov.vn", signed_in=True, last_use=None, source="session"),
             InteractiveUser(name="XA\\dung", last_use=T0, source="profile")]
    with world.db.session() as session:
        as_stored = [InteractiveUser(name="XA\\an", signed_in=True, last_use=T0, source="session")]
        assert sync_machine_users(session, {an_pc: as_stored, binh_pc: later, cuong_pc: []}) == 2
        synced = {m: machine_users(session, m) for m in (an_pc, binh_pc, cuong_pc)}
        for machine_id, users in ((an_pc, as_stored), (binh_pc, later), (cuong_pc, [])):
            record_machine_users(session, machine_id, users)  # what one machine at a time leaves
        assert {m: machine_users(session, m) for m in (an_pc, binh_pc, cuong_pc)} == synced
        assert sync_machine_users(session, {an_pc: as_stored, binh_pc: later, cuong_pc: []}) == 0
    assert [(u.account, u.signed_in) for u in synced[binh_pc]] == [("binh", True), ("dung", False)]
    assert synced[cuong_pc] == []
