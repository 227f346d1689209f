"""`canhgac import`'s library: offline enrollment and report files, verified and stored once;
tampered, foreign and replayed files refused without changing anything (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner

from agent.wire import clock
from agent.wire.media import OfflineEnrollment, seal_enrollment, seal_report
from agent.wire.schema import Role, encode_report
from agent.wire.signing import new_key
from canhgac.cli import main
from collector.intake.importer import Verdict, import_files
from collector.store.enrollment import list_enrollment_tokens, revoke_enrollment_token
from tests.api_world import World
from tests.factories import T0, make_report, report_body, signed


class OfflinePC:
    """An offline PC as its files describe it: its own agent id and key, sealed by a token."""

    def __init__(self, token: str, machine_uid: str = "uid-secret", hostname: str = "may-mat") -> None:
        self.agent_id, self.key, self.token = uuid.uuid4().hex, new_key(), token
        self.machine_uid, self.hostname = machine_uid, hostname

    def enrollment(self) -> bytes:
        return seal_enrollment(self.token, self.key, OfflineEnrollment(
            agent_id=self.agent_id, nonce="", wrapped_key="", machine_uid=self.machine_uid,
            hostname=self.hostname, role=Role.OFFLINE, macs=["00:11:22:33:44:55"], created_at=T0))

    def report(self, sequence: int, **identity: object) -> bytes:
        fields = {"machine_uid": self.machine_uid, "hostname": self.hostname, **identity}
        report = msgspec.structs.replace(make_report(self.agent_id, sequence, **fields), role=Role.OFFLINE)
        body = encode_report(report)
        return seal_report(self.agent_id, self.key, body, int((T0 - timedelta(days=20)).timestamp()))


def files(tmp_path: Path, **contents: bytes) -> list[Path]:
    paths = []
    for name, data in contents.items():
        path = tmp_path / f"{name}.json"
        path.write_bytes(data)
        paths.append(path)
    return paths


def run_import(world: World, paths: list[Path]) -> list[tuple[Verdict, str]]:
    return [(r.verdict, r.code) for r in import_files(world.db, paths, world.clock(), world.rules)]


def stored_sequences(world: World, agent_id: str) -> list[int]:
    from sqlalchemy import text

    with world.db.session() as session:
        rows = session.execute(text("SELECT sequence FROM reports WHERE agent_id = :a ORDER BY sequence"),
                               {"a": agent_id})
        return [row[0] for row in rows]


def test_an_enrollment_then_reports_weeks_old_are_stored_once(world: World, tmp_path: Path) -> None:
    pc = OfflinePC(world.tokens["XA-VP"])
    paths = files(tmp_path, enroll=pc.enrollment(), r1=pc.report(1), r2=pc.report(2))
    assert run_import(world, paths) == [(Verdict.IMPORTED, "enrolled"), (Verdict.IMPORTED, "stored"),
                                        (Verdict.IMPORTED, "stored")]
    assert stored_sequences(world, pc.agent_id) == [1, 2]
    machine = world.client.get("/api/v1/machines", headers=world.as_person("admin")).json()["items"][0]
    assert (machine["hostname"], machine["unit_code"], machine["role"]) == ("may-mat", "XA-VP", "offline")


def test_reports_listed_before_their_enrollment_still_land(world: World, tmp_path: Path) -> None:
    pc = OfflinePC(world.tokens["XA"])
    paths = files(tmp_path, r2=pc.report(2), r1=pc.report(1), enroll=pc.enrollment())
    assert [v for v, _ in run_import(world, paths)] == [Verdict.IMPORTED] * 3
    assert stored_sequences(world, pc.agent_id) == [1, 2]


def test_importing_the_same_files_again_is_refused_as_a_replay_and_changes_nothing(world: World,
                                                                                   tmp_path: Path) -> None:
    pc = OfflinePC(world.tokens["XA"])
    paths = files(tmp_path, enroll=pc.enrollment(), r1=pc.report(1))
    run_import(world, paths)
    results = import_files(world.db, paths, world.clock(), world.rules)
    assert [(r.verdict, r.code) for r in results] == [(Verdict.REPLAYED, "already_enrolled"),
                                                      (Verdict.REPLAYED, "duplicate")]
    assert "already" in results[0].english and "đã được nhập" in results[1].vietnamese
    assert world.count("agents") == 1 and stored_sequences(world, pc.agent_id) == [1]


def test_an_older_sequence_than_the_newest_seen_is_stored_as_history(world: World, tmp_path: Path) -> None:
    pc = OfflinePC(world.tokens["XA"])
    run_import(world, files(tmp_path, enroll=pc.enrollment(), r5=pc.report(5)))
    assert run_import(world, files(tmp_path, r3=pc.report(3))) == [(Verdict.IMPORTED, "stored")]
    detail = world.client.get("/api/v1/machines", headers=world.as_person("admin")).json()["items"][0]
    assert detail["report_sequence"] == 5 and stored_sequences(world, pc.agent_id) == [3, 5]


def test_the_same_sequence_with_other_content_is_refused(world: World, tmp_path: Path) -> None:
    pc = OfflinePC(world.tokens["XA"])
    run_import(world, files(tmp_path, enroll=pc.enrollment(), r1=pc.report(1)))
    other = pc.report(1, os_version="10")
    assert run_import(world, files(tmp_path, again=other)) == [(Verdict.TAMPERED, "sequence_conflict")]


def tamper(data: bytes, old: bytes, new: bytes) -> bytes:
    assert old in data
    return data.replace(old, new, 1)


def test_a_tampered_report_file_is_refused(world: World, tmp_path: Path) -> None:
    pc = OfflinePC(world.tokens["XA"])
    run_import(world, files(tmp_path, enroll=pc.enrollment()))
    forged = tamper(pc.report(1), b'"ram_bytes":8589934592', b'"ram_bytes":9589934592')
    results = import_files(world.db, files(tmp_path, forged=forged), world.clock(), world.rules)
    assert (results[0].verdict, results[0].code) == (Verdict.TAMPERED, "bad_signature")
    assert "signature" in results[0].english
    assert stored_sequences(world, pc.agent_id) == []


def test_a_reformatted_report_file_breaks_its_seal(world: World, tmp_path: Path) -> None:
    pc = OfflinePC(world.tokens["XA"])
    run_import(world, files(tmp_path, enroll=pc.enrollment()))
    pretty = msgspec.json.format(pc.report(1), indent=2)
    assert run_import(world, files(tmp_path, pretty=pretty)) == [(Verdict.TAMPERED, "bad_signature")]


def test_a_tampered_enrollment_file_is_refused(world: World, tmp_path: Path) -> None:
    pc = OfflinePC(world.tokens["XA"])
    forged = tamper(pc.enrollment(), b'"hostname":"may-mat"', b'"hostname":"may-khac"')
    results = import_files(world.db, files(tmp_path, forged=forged), world.clock(), world.rules)
    assert results[0].verdict is Verdict.TAMPERED and "altered" in results[0].english
    assert world.count("agents") == 0 and world.count("machines") == 0


def test_an_enrollment_with_a_swapped_key_is_refused(world: World, tmp_path: Path) -> None:
    pc = OfflinePC(world.tokens["XA"])
    data = msgspec.json.decode(pc.enrollment())
    request = msgspec.json.decode(msgspec.json.encode(data["request"]))
    request["wrapped_key"] = "00" * 32
    data["request"] = request
    assert run_import(world, files(tmp_path, forged=msgspec.json.encode(data)))[0][0] is Verdict.TAMPERED
    assert world.count("agents") == 0


def test_files_of_another_collector_are_refused_as_foreign(world: World, tmp_path: Path) -> None:
    stranger = OfflinePC("cge_issued_by_another_collector")
    results = import_files(world.db, files(tmp_path, enroll=stranger.enrollment(), r1=stranger.report(1)),
                           world.clock(), world.rules)
    assert [(r.verdict, r.code) for r in results] == [(Verdict.FOREIGN, "invalid_token"),
                                                      (Verdict.FOREIGN, "unknown_agent")]
    assert "not enrolled" in results[1].english and "chưa đăng ký" in results[1].vietnamese
    assert world.count("agents") == 0 and world.count("reports") == 0


def test_an_expired_or_revoked_token_does_not_enroll(world: World, tmp_path: Path) -> None:
    late = OfflinePC(world.tokens["XA"])
    world.clock.advance(days=8)
    assert run_import(world, files(tmp_path, late=late.enrollment())) == [(Verdict.REFUSED, "token_expired")]
    world.clock.advance(days=-8)
    with world.db.session() as session:
        token_id = next(t.id for t in list_enrollment_tokens(session) if t.unit_code == "XB")
        revoke_enrollment_token(session, token_id, world.clock())
    revoked = OfflinePC(world.tokens["XB"])
    assert run_import(world, files(tmp_path, revoked=revoked.enrollment())) == [(Verdict.REFUSED, "token_revoked")]
    assert world.count("agents") == 0


def test_a_report_already_received_over_http_is_a_replay_as_a_file(world: World, tmp_path: Path) -> None:
    agent = world.enroll()
    body = report_body(agent["agent_id"], 1)
    assert world.client.post("/api/v1/reports", content=body,
                             headers=signed(agent["agent_id"], agent["key"], body)).status_code == 201
    sealed = seal_report(agent["agent_id"], agent["key"], body, int(T0.timestamp()))
    assert run_import(world, files(tmp_path, r1=sealed)) == [(Verdict.REPLAYED, "duplicate")]


def test_re_enrolling_by_file_revokes_the_old_key_but_its_earlier_reports_land_first(world: World,
                                                                                     tmp_path: Path) -> None:
    old = OfflinePC(world.tokens["XA"])
    run_import(world, files(tmp_path, enroll_old=old.enrollment()))
    new = OfflinePC(world.tokens["XA"], machine_uid=old.machine_uid)
    paths = files(tmp_path, enroll_new=new.enrollment(), old_r1=old.report(1), new_r1=new.report(1))
    assert [v for v, _ in run_import(world, paths)] == [Verdict.IMPORTED] * 3
    assert run_import(world, files(tmp_path, old_r2=old.report(2))) == [(Verdict.REFUSED, "agent_revoked")]
    assert world.count("machines") == 1


@pytest.mark.parametrize(("content", "words"), [
    (b"", "not a canhgac file"),
    (b"\x89PNG\r\n", "not a canhgac file"),
    (b'{"kind": "something-else", "format": 1}', "not a canhgac report"),
    (b'{"kind": "canhgac-report", "format": 9}', "format 9"),
    (b'{"kind": "canhgac-report", "format": 1, "agent_id": "x"}', "damaged"),
])
def test_a_file_that_is_not_ours_is_refused_as_damaged(world: World, tmp_path: Path, content: bytes,
                                                       words: str) -> None:
    result = import_files(world.db, files(tmp_path, odd=content), world.clock(), world.rules)[0]
    assert result.verdict is Verdict.DAMAGED and words in result.english


def test_a_huge_file_is_refused_without_reading_it_all(world: World, tmp_path: Path) -> None:
    result = import_files(world.db, files(tmp_path, big=b" " * (3 * 2**20)), world.clock(), world.rules)[0]
    assert (result.verdict, result.code) == (Verdict.DAMAGED, "too_large")


def test_the_command_prints_each_file_and_exits_non_zero_when_any_is_refused(world: World, db_url: str,
                                                                           tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "utcnow", world.clock)  # the command reads the world's time, not today's
    pc = OfflinePC(world.tokens["XA"])
    paths = [str(p) for p in files(tmp_path, enroll=pc.enrollment(), r1=pc.report(1))]
    runner = CliRunner()
    first = runner.invoke(main, ["import", "--db", db_url, *paths])
    assert first.exit_code == 0, first.output
    assert "đã đăng ký máy may-mat" in first.stdout and "report #1 of may-mat" in first.stdout
    again = runner.invoke(main, ["import", "--db", db_url, paths[1]])
    assert again.exit_code == 1 and "REFUSED (replayed)" in again.stderr and "1 of 1" in again.stderr
    missing = runner.invoke(main, ["import", "--db", db_url])
    assert missing.exit_code == 2
