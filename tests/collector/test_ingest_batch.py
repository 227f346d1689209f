"""Group commit (collector.intake.batch): reports ingested together share one transaction, each
refused alone; an acknowledgement is given only once its report is committed; what is read once
per batch (collector.judging.memo) is read again by the next batch."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
from litestar.testing import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from agent.wire.schema import Antivirus, AntivirusProduct, Program, Software, encode_report
from collector.config import CollectorConfig
from collector.db import Database
from collector.intake.batch import GroupCommitter, ReportJob, StoreUnavailable, run_batch
from collector.intake.ingest import IngestLimits, ingest_reports
from collector.models.readiness import MachineReadiness
from collector.store.licences import add_licence
from collector.store.products import names_digest
from collector.store.units import add_unit
from server.app import create_app
from tests.api_world import World
from tests.factories import T0, make_report, report_body, signed
from tests.sql_seen import statements_sent

LIMITS = IngestLimits(max_body_bytes=64 * 1024, signature_window_s=300)


def job(agent: dict[str, str], body: bytes, key: str | None = None) -> ReportJob:
    return ReportJob(signed(agent["agent_id"], key or agent["key"], body), body, T0, via_network=True)


def stored_sequences(db: Database) -> list[tuple[str, int]]:
    with db.session() as session:
        return sorted((a, int(s)) for a, s in session.execute(text("SELECT agent_id, sequence FROM reports")))


def test_a_batch_stores_its_good_reports_and_refuses_a_bad_one_alone(world: World) -> None:
    first, second = world.enroll(machine_uid="uid-1"), world.enroll(machine_uid="uid-2", hostname="pc-02")
    jobs = [job(first, report_body(first["agent_id"], 1)),
            job(second, report_body(second["agent_id"], 1), key="00" * 32),  # a wrong key: 401
            job(second, report_body(second["agent_id"], 2, hostname="pc-02")),
            job(first, report_body(first["agent_id"], 1))]  # a resend inside the same batch
    results = ingest_reports(world.db, jobs, LIMITS, world.rules)
    assert [r.code if isinstance(r, Exception) else r[1].value for r in results] == [  # type: ignore[union-attr]
        "stored", "bad_signature", "stored", "duplicate"]
    assert stored_sequences(world.db) == sorted([(first["agent_id"], 1), (second["agent_id"], 2)])
    assert world.count("ingest_rejections") == 1  # the refusal counted, as one report's would be


def test_a_batch_that_cannot_commit_stores_nothing_and_says_send_again(world: World) -> None:
    def work(session: Session, code: str) -> str:
        if code == "BROKEN":
            session.connection().invalidate()  # the database connection is lost mid-batch
        else:
            add_unit(session, code, f"Đơn vị {code}", "office", T0, "XA", 1)
        return code

    results = run_batch(world.db, ["NEW-1", "BROKEN", "NEW-2"], work)
    assert all(isinstance(r, StoreUnavailable) and r.transient and r.status == 503 for r in results)
    assert world.count("units WHERE code LIKE 'NEW-%'") == 0


def test_every_acknowledgement_comes_after_its_report_is_committed(world: World) -> None:
    agents = [world.enroll(machine_uid=f"uid-{i}", hostname=f"pc-{i:02d}") for i in range(8)]

    def send_and_look(agent: dict[str, str]) -> list[bool]:
        seen = []
        for sequence in range(1, 5):
            body = report_body(agent["agent_id"], sequence)
            response = world.client.post("/api/v1/reports", content=body,
                                         headers=signed(agent["agent_id"], agent["key"], body))
            assert response.status_code == 201, response.text
            with world.db.engine.connect() as connection:  # another connection sees only what is committed
                seen.append(connection.execute(text("SELECT count(*) FROM reports WHERE agent_id = :a AND "
                                                    "sequence = :s"), {"a": agent["agent_id"], "s": sequence})
                            .scalar_one() == 1)
        return seen

    with ThreadPoolExecutor(max_workers=8) as pool:
        seen = [s for agent_seen in pool.map(send_and_look, agents) for s in agent_seen]
    assert seen == [True] * 32
    assert world.count("reports") == 32


def test_report_writers_store_batches_at_once_each_report_once(world: World, tmp_path: Path) -> None:
    """report_writers > 1 (PostgreSQL): the app's committer runs that many batches at once, and
    every report sent at once by eight agents is stored once (the app of ``world`` has one writer)."""
    if world.db.engine.dialect.name != "postgresql":
        pytest.skip("more than one report writer needs PostgreSQL")
    agents = [world.enroll(machine_uid=f"uid-{i}", hostname=f"pc-{i:02d}") for i in range(8)]
    config = CollectorConfig(db_url=str(world.db.engine.url.render_as_string(hide_password=False)),
                             data_dir=tmp_path, report_writers=3)
    with TestClient(create_app(config, world.db, world.clock)) as client:
        def send(agent: dict[str, str]) -> list[int]:
            bodies = [report_body(agent["agent_id"], sequence) for sequence in range(1, 5)]
            return [client.post("/api/v1/reports", content=body,
                                headers=signed(agent["agent_id"], agent["key"], body)).status_code for body in bodies]

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = [status for sent in pool.map(send, agents) for status in sent]
        writing = [t.name for t in threading.enumerate() if t.name.startswith("canhgac-group-commit-")]
    assert statuses == [201] * 32 and world.count("reports") == 32
    assert len(writing) >= 3  # the world's own app's writer is among them when it has started


@pytest.mark.parametrize("writers", [1, 3])
def test_a_committer_answers_each_submitter_with_its_own_result_in_batches(writers: int) -> None:
    batches: list[list[int]] = []

    def handle(items: list[int]) -> list[int | BaseException]:
        batches.append(items)
        return [ValueError(i) if i == 3 else i * 10 for i in items]

    committer: GroupCommitter[int, int] = GroupCommitter(handle, max_batch=4, writers=writers)
    futures = [committer.submit(i) for i in range(10)]
    answers = [f.exception(timeout=10) or f.result() for f in futures]
    writing = list(committer._threads)
    committer.stop()
    assert len(writing) == writers and not any(thread.is_alive() for thread in writing)
    assert [a if isinstance(a, int) else "refused" for a in answers] == [0, 10, 20, "refused", 40, 50, 60, 70, 80, 90]
    assert sorted(i for b in batches for i in b) == list(range(10)) and max(len(b) for b in batches) <= 4


def av_report(agent_id: str, sequence: int) -> bytes:
    report = make_report(agent_id, sequence)
    report.antivirus = Antivirus(products=[AntivirusProduct(name="Kaspersky Endpoint Security", vendor="Kaspersky",
                                                            enabled=True, realtime_on=True)])
    report.software = Software(programs=[Program(name="Kaspersky Endpoint Security")])
    return encode_report(report)


def av_licensed(world: World, machine_id: int) -> bool | None:
    with world.db.session() as session:
        return session.scalar(select(MachineReadiness.av_licensed).where(MachineReadiness.machine_id == machine_id))


@pytest.mark.parametrize("same_batch", [False, True])
def test_a_licence_added_after_a_batch_counts_from_the_next_batch_on(world: World, same_batch: bool) -> None:
    agent = world.enroll()
    machine = int(agent["machine_id"])
    ingest_reports(world.db, [job(agent, av_report(agent["agent_id"], 1))], LIMITS, world.rules)
    before = av_licensed(world, machine)
    with world.db.session() as session:
        add_licence(session, "Kaspersky (xã A)", "Kaspersky*", 5, date(2027, 12, 31), "XA", T0)
    jobs = [job(agent, av_report(agent["agent_id"], 2))]
    if same_batch:  # a batch of two: what it read at its first report serves the second
        jobs.append(job(agent, av_report(agent["agent_id"], 3)))
    ingest_reports(world.db, jobs, LIMITS, world.rules)
    assert (before, av_licensed(world, machine)) == (False, True)


def test_a_report_that_waits_too_long_on_another_writer_is_refused_alone_as_transient(world: World) -> None:
    if world.db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: the batch holds the write lock from its start")
    with world.db.session() as session:
        add_unit(session, "HELD", "Đơn vị bị khoá", "office", T0, "XA", 1)
    other = world.db.engine.connect()
    other.execute(text("SELECT id FROM units WHERE code = 'HELD' FOR UPDATE"))  # another writer holds the row

    def work(session: Session, code: str) -> str:
        if code == "HELD":
            session.execute(text("SET LOCAL lock_timeout = '200ms'"))
            session.execute(text("UPDATE units SET name = 'x' WHERE code = 'HELD'"))
        else:
            add_unit(session, code, f"Đơn vị {code}", "office", T0, "XA", 1)
        return code

    try:
        results = run_batch(world.db, ["NEW-1", "HELD", "NEW-2"], work)
    finally:
        other.rollback()
        other.close()
    assert results[0] == "NEW-1" and results[2] == "NEW-2"
    assert isinstance(results[1], StoreUnavailable) and results[1].status == 503
    assert world.count("units WHERE code LIKE 'NEW-%'") == 2


def test_a_name_or_section_one_batch_adds_never_holds_up_another_batch(world: World) -> None:
    """PostgreSQL runs several batches at once (report_writers, serve --workers): the shared rows one
    brings are committed at once (collector.store.shared_rows), so another batch bringing the same
    names and sections neither waits for it nor deadlocks with it."""
    if world.db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: the batch holds the write lock from its start")
    from collector.store.products import name_ids
    from collector.store.report_sections import store_section_set

    sections = {"ab" * 32: b'{"programs":[]}'}
    with world.db.session() as first:  # a batch still open...
        first_ids = name_ids(first, ["Zalo", "UltraViewer 6.6"]), store_section_set(first, sections)
        with world.db.session() as second:  # ...while another brings the same rows
            second.execute(text("SET LOCAL lock_timeout = '300ms'"))
            assert (name_ids(second, ["UltraViewer 6.6", "Zalo"]), store_section_set(second, sections)) == first_ids


def savepoints_during(db: Database, work: Callable[[], object]) -> int:
    with statements_sent(db) as sent:
        work()
    return sum(statement.startswith("SAVEPOINT") for statement, _ in sent)


def test_a_batch_whose_reports_are_checked_or_refused_before_writing_needs_no_savepoint_per_report(
        world: World) -> None:
    first, second = world.enroll(machine_uid="uid-1"), world.enroll(machine_uid="uid-2", hostname="pc-02")
    jobs = [job(first, report_body(first["agent_id"], 1)),
            job(second, report_body(second["agent_id"], 1), key="00" * 32),  # refused while checking
            job(second, report_body(second["agent_id"], 2, hostname="pc-02"))]
    savepoints = savepoints_during(world.db, lambda: ingest_reports(world.db, jobs, LIMITS, world.rules))
    assert savepoints == 1  # judging's, once for the batch
    assert stored_sequences(world.db) == sorted([(first["agent_id"], 1), (second["agent_id"], 2)])
    assert world.count("ingest_rejections") == 1


def test_a_conflict_while_storing_runs_the_batch_again_each_report_alone_and_counts_it_once(world: World) -> None:
    first, second = world.enroll(machine_uid="uid-1"), world.enroll(machine_uid="uid-2", hostname="pc-02")
    ingest_reports(world.db, [job(first, report_body(first["agent_id"], 1))], LIMITS, world.rules)
    jobs = [job(first, report_body(first["agent_id"], 1, hostname="other")),  # sequence 1 again, other content
            job(first, report_body(first["agent_id"], 2)),
            job(second, report_body(second["agent_id"], 1, hostname="pc-02"))]
    results: list[object] = []
    savepoints = savepoints_during(world.db, lambda: results.extend(ingest_reports(world.db, jobs, LIMITS,
                                                                                    world.rules)))
    assert [r.code if isinstance(r, Exception) else r[1].value for r in results] == [  # type: ignore[union-attr,index]
        "sequence_conflict", "stored", "stored"]
    assert savepoints >= 3  # the second run: a savepoint per report
    assert stored_sequences(world.db) == sorted([(first["agent_id"], 1), (first["agent_id"], 2),
                                                 (second["agent_id"], 1)])
    with world.db.session() as session:
        assert session.execute(text("SELECT reason, count FROM ingest_rejections")).all() == [("sequence_conflict", 1)]


def test_a_batch_takes_its_machines_rows_in_id_order_as_the_scan_does(world: World) -> None:
    """The scan locks machines' rows in id order (collector.store.scan.lock_current_states); a batch
    that took them in another order (its agents' ids: random) deadlocked with it on PostgreSQL."""
    agents = [world.enroll(machine_uid=f"uid-{i}", hostname=f"pc-{i:02d}") for i in range(4)]
    for extra in range(4, 12):  # bounded: until the agents' order is not the machines' order
        if sorted(agents, key=lambda a: a["agent_id"]) != sorted(agents, key=lambda a: int(a["machine_id"])):
            break
        agents.append(world.enroll(machine_uid=f"uid-{extra}", hostname=f"pc-{extra:02d}"))
    jobs = [job(a, report_body(a["agent_id"], 1, machine_uid=f"uid-{i}", hostname=f"pc-{i:02d}"))
            for i, a in enumerate(agents)]
    with statements_sent(world.db) as sent:
        results = ingest_reports(world.db, list(reversed(jobs)), LIMITS, world.rules)
    seen = [int(parameters["machine_id"] if isinstance(parameters, dict) else parameters[-1])
            for statement, parameters in sent if statement.startswith("UPDATE machines SET last_seen_at")]
    assert all(not isinstance(r, BaseException) for r in results)
    assert seen == sorted(int(a["machine_id"]) for a in agents)


def test_a_report_whose_programs_changed_writes_their_digest_with_the_state_and_keeps_the_new_names(
        world: World) -> None:
    """The products digest rides on the state's UPDATE (it took a third UPDATE of the machine row
    per report), and the names stored are those of the newest report."""
    agent = world.enroll()

    def with_programs(sequence: int, *names: str) -> bytes:
        report = make_report(agent["agent_id"], sequence)
        report.software = Software(programs=[Program(name=name) for name in names])
        return encode_report(report)

    ingest_reports(world.db, [job(agent, with_programs(1, "Zalo", "UniKey 4.6"))], LIMITS, world.rules)
    with statements_sent(world.db) as sent:
        ingest_reports(world.db, [job(agent, with_programs(2, "Zalo", "Foxit Reader"))], LIMITS, world.rules)
    assert sum(statement.startswith("UPDATE machines") for statement, _ in sent) == 2  # seen, then current
    with world.db.session() as session:
        names = session.scalars(text("SELECT p.name FROM machine_products m JOIN product_names p "
                                     "ON p.id = m.product_id WHERE m.machine_id = :m ORDER BY p.name"),
                                {"m": int(agent["machine_id"])}).all()
        digest = session.scalar(text("SELECT products_digest FROM machines WHERE id = :m"),
                                {"m": int(agent["machine_id"])})
    assert names == ["Foxit Reader", "Zalo"]
    assert digest == names_digest(names)
