"""Shared sections once per content: splitting and joining a body exactly, the agent's hash-only
report, and the collector asking for a section it does not have (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib

import msgspec
import pytest
from sqlalchemy import event, func, select

from agent.wire.schema import Certificate, Certificates, Program, Report, Software, decode_report, encode_report
from agent.wire.sections import compact, join, marks, section_digest, shared_sections, split
from collector.models.machines import Machine
from collector.models.reports import ReportSection, StoredReport
from collector.store.report_sections import stored_body
from tests.api_world import World
from tests.factories import make_report, signed


def _report(agent_id: str = "a" * 32, sequence: int = 1, programs: tuple[str, ...] = ("Zalo", "7-Zip")) -> Report:
    report = make_report(agent_id, sequence)
    report.software = Software(programs=[Program(name=name, version="1.0") for name in programs])
    report.certificates = Certificates(certificates=[Certificate(subject="CN=Nguyễn Văn A")])
    return report


def test_a_body_splits_into_its_skeleton_and_sections_and_joins_back_exactly() -> None:
    body = encode_report(_report())
    skeleton, sections = split(body)
    assert set(sections) == {section_digest(raw) for raw in shared_sections(body).values()}
    assert {"software", "certificates"} <= set(shared_sections(body))  # the null ones are not shared
    assert len(skeleton) < len(body) and b"Zalo" not in skeleton and join(skeleton, sections) == body
    assert sorted(marks(skeleton)) == sorted(sections)


@pytest.mark.parametrize("body", [
    msgspec.json.format(encode_report(_report()), indent=2),   # not compact: the section is not found as is
    encode_report(make_report("a" * 32, 1)),                    # no shared section at all
])
def test_a_body_that_cannot_be_split_stays_whole(body: bytes) -> None:
    skeleton, sections = split(body)
    if sections:  # pretty-printed: found per key or not at all; either way joining gives the body back
        assert join(skeleton, sections) == body
    else:
        assert skeleton == body


def test_the_agent_leaves_out_what_the_collector_has() -> None:
    body = encode_report(_report())
    known = {name: section_digest(raw) for name, raw in shared_sections(body).items()}
    left_out, names = compact(body, {"software": known["software"], "certificates": "0" * 64}) or (b"", {})
    report = decode_report(left_out)
    assert names == {"software": known["software"]} and report.unchanged == names
    assert report.software is None and report.certificates is not None
    assert compact(body, {"software": known["software"]}) == (left_out, names)  # the same bytes every time
    assert compact(body, {}) is None


def _send(world: World, agent: dict[str, str], body: bytes) -> tuple[int, dict[str, str]]:
    response = world.client.post("/api/v1/reports", content=body, headers=signed(agent["agent_id"], agent["key"], body))
    return response.status_code, response.json()


def test_unchanged_sections_are_stored_once_and_sent_as_their_hash(world: World) -> None:
    agent = world.enroll()
    first = encode_report(_report(agent["agent_id"], 1))
    assert _send(world, agent, first)[0] == 201
    assert _send(world, agent, encode_report(_report(agent["agent_id"], 2)))[0] == 201  # same lists, full
    known = {name: section_digest(raw) for name, raw in shared_sections(first).items()}
    third, _ = compact(encode_report(_report(agent["agent_id"], 3)), known) or (b"", {})
    assert _send(world, agent, third)[0] == 201
    with world.db.session() as s:
        assert s.scalar(select(func.count()).select_from(ReportSection)) == len(known)
        state = s.scalar(select(Machine.state_json))
        bodies = [stored_body(s, i) for i in s.scalars(select(StoredReport.id).order_by(StoredReport.sequence))]
        digests = list(s.scalars(select(StoredReport.body_sha256).order_by(StoredReport.sequence)))
    assert bodies[2] == third and [hashlib.sha256(b).hexdigest() for b in bodies] == digests
    whole = decode_report(state.encode())  # the machine's state is the whole report, lists filled in
    assert whole.unchanged == {} and [p.name for p in whole.software.programs] == ["Zalo", "7-Zip"]  # type: ignore[union-attr]


def test_a_report_of_a_stored_set_names_it_in_its_insert_and_a_new_set_is_named_after(world: World) -> None:
    agent = world.enroll()
    statements: list[str] = []
    event.listen(world.db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    assert _send(world, agent, encode_report(_report(agent["agent_id"], 1)))[0] == 201
    assert any(s.startswith("UPDATE reports SET section_set_id") for s in statements)  # new set: named after
    statements.clear()
    assert _send(world, agent, encode_report(_report(agent["agent_id"], 2)))[0] == 201  # the same sections
    assert not any("FROM report_section_sets" in s and s.startswith("SELECT") for s in statements)
    assert not any(s.startswith("UPDATE reports") for s in statements)
    assert _send(world, agent, encode_report(_report(agent["agent_id"], 3, programs=("Unikey",))))[0] == 201
    with world.db.session() as s:
        sets = list(s.scalars(select(StoredReport.section_set_id).order_by(StoredReport.sequence)))
        bodies = [stored_body(s, i) for i in s.scalars(select(StoredReport.id).order_by(StoredReport.sequence))]
    assert sets[0] == sets[1] != sets[2] and None not in sets
    assert bodies[2] == encode_report(_report(agent["agent_id"], 3, programs=("Unikey",)))


def test_a_section_the_collector_lacks_is_asked_for_and_nothing_is_stored(world: World) -> None:
    agent = world.enroll()
    full = encode_report(_report(agent["agent_id"], 1, programs=("Unikey",)))
    digest = section_digest(shared_sections(full)["software"])
    hash_only, _ = compact(full, {"software": digest}) or (b"", {})
    status, answer = _send(world, agent, hash_only)
    assert status == 409 and answer["error"] == "sections_needed" and "software" in answer["detail"]
    assert world.count("reports") == 0
    assert _send(world, agent, full)[0] == 201  # the same sequence, whole: stored once
    assert _send(world, agent, hash_only)[0] == 409  # another body for a stored sequence stays refused


@pytest.mark.parametrize(("unchanged", "why"), [({"network": "0" * 64}, "not a shared section"),
                                                 ({"software": "not-a-hash"}, "not a shared section")])
def test_a_bad_unchanged_is_refused(world: World, unchanged: dict[str, str], why: str) -> None:
    agent = world.enroll()
    report = msgspec.structs.replace(_report(agent["agent_id"], 1), software=None, unchanged=unchanged)
    status, answer = _send(world, agent, encode_report(report))
    assert status == 422 and answer["error"] == "invalid_report" and why in answer["detail"]
