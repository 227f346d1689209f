"""Judging a batch of reports together (collector.judging.report.judge_reports): every report is
still judged on its own, after the one before it of the same machine, at its own moment; a failure
of the rules never costs a report, nor another machine's judging."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

import collector.judging.report
from agent.wire.schema import Antivirus, AntivirusProduct, Program, Software, encode_report
from collector.intake.batch import ReportJob
from collector.intake.ingest import IngestLimits, ingest_reports
from collector.judging.report import ReportToJudge, rounds
from collector.models.alerts import Alert, AlertEvent
from collector.models.readiness import MachineReadiness
from collector.store.licences import add_licence
from collector.store.reports import CurrentMachine
from tests.api_world import World
from tests.factories import T0, make_report, signed
from tests.sql_seen import statements_sent

LIMITS = IngestLimits(max_body_bytes=64 * 1024, signature_window_s=300)
DEFENDER = Antivirus(products=[AntivirusProduct(name="Windows Defender", enabled=True, realtime_on=True,
                                                signatures_age_days=0.5)])


def job(agent: dict[str, str], sequence: int, antivirus: Antivirus, at: datetime) -> ReportJob:
    report = make_report(agent["agent_id"], sequence, machine_uid=agent["machine_uid"])
    report.antivirus = antivirus
    body = encode_report(report)
    return ReportJob(signed(agent["agent_id"], agent["key"], body, at), body, at, via_network=True)


def enrolled(world: World, index: int) -> dict[str, str]:
    agent = world.enroll(machine_uid=f"uid-{index}", hostname=f"pc-{index:02d}")
    return {**agent, "machine_uid": f"uid-{index}"}


def absent_av_history(world: World, machine_id: str) -> list[tuple[str, datetime]]:
    with world.db.session() as session:
        return [(transition, at.replace(tzinfo=T0.tzinfo)) for transition, at in session.execute(
            select(AlertEvent.transition, AlertEvent.at).join(Alert, Alert.id == AlertEvent.alert_id)
            .where(Alert.rule_id == "av.absent", Alert.subject == f"machine:{machine_id}").order_by(AlertEvent.id))]


def to_judge(machine_id: int, sequence: int) -> ReportToJudge:
    return ReportToJudge(CurrentMachine(machine_id, 1, "/1/", None), make_report("a" * 32, sequence), T0, True)


def test_rounds_hold_each_machine_once_and_its_kth_report_in_round_k() -> None:
    reports = [to_judge(1, 1), to_judge(2, 1), to_judge(1, 2), to_judge(1, 3), to_judge(3, 1), to_judge(2, 2)]
    assert [[(r.machine.id, r.report.identity.sequence) for r in round_] for round_ in rounds(reports)] == [
        [(1, 1), (2, 1), (3, 1)], [(1, 2), (2, 2)], [(1, 3)]]
    assert rounds([]) == []


def test_reports_of_one_machine_in_one_batch_are_judged_one_after_another_each_at_its_moment(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    agent, other = enrolled(world, 1), enrolled(world, 2)
    moments = [T0 + timedelta(seconds=s) for s in (0, 1, 2, 3)]
    jobs = [job(agent, 1, Antivirus(), moments[0]), job(other, 1, Antivirus(), moments[1]),
            job(agent, 2, DEFENDER, moments[2]), job(agent, 3, Antivirus(), moments[3])]
    results = ingest_reports(world.db, jobs, LIMITS, world.rules)
    assert [r[1].value for r in results] == ["stored"] * 4  # type: ignore[index]
    assert absent_av_history(world, agent["machine_id"]) == [
        ("opened", moments[0]), ("resolved", moments[2]), ("reopened", moments[3])]
    assert absent_av_history(world, other["machine_id"]) == [("opened", moments[1])]
    assert "rules failed" not in caplog.text  # judged as one batch, not again one by one


def test_rules_failing_on_one_machine_leave_the_others_judged_and_every_report_stored(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    agents = [enrolled(world, i) for i in range(3)]
    broken = f"machine:{agents[1]['machine_id']}"
    real = collector.judging.report.evaluate

    def breaks_on_one(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("subject") == broken:
            raise RuntimeError("a rule broke on this machine")
        return real(*args, **kwargs)

    monkeypatch.setattr(collector.judging.report, "evaluate", breaks_on_one)
    results = ingest_reports(world.db, [job(a, 1, Antivirus(), T0) for a in agents], LIMITS, world.rules)
    assert [r[1].value for r in results] == ["stored"] * 3  # type: ignore[index]
    assert [bool(absent_av_history(world, a["machine_id"])) for a in agents] == [True, False, True]
    assert world.count("reports") == 3


def kaspersky_job(agent: dict[str, str], sequence: int) -> ReportJob:
    report = make_report(agent["agent_id"], sequence, machine_uid=agent["machine_uid"])
    report.antivirus = Antivirus(products=[AntivirusProduct(name="Kaspersky Endpoint Security", vendor="Kaspersky",
                                                            enabled=True, realtime_on=True)])
    report.software = Software(programs=[Program(name="Kaspersky Endpoint Security")])
    body = encode_report(report)
    return ReportJob(signed(agent["agent_id"], agent["key"], body), body, T0, via_network=True)


def test_a_batch_ranks_its_machines_among_a_licences_installs_once_and_as_it_leaves_them(world: World) -> None:
    """One seat for three machines reporting in one batch: the first enrolled holds it; the licence
    register's installs are read once for the batch, not once per report."""
    agents = [enrolled(world, i) for i in range(3)]
    with world.db.session() as session:
        add_licence(session, "Kaspersky (xã A)", "Kaspersky*", 1, date(2027, 12, 31), "XA", T0)
    with statements_sent(world.db) as sent:
        ingest_reports(world.db, [kaspersky_job(a, 1) for a in agents], LIMITS, world.rules)
    names_read = [s for s, _ in sent if s.rstrip().endswith("FROM product_names")]  # every name, for the patterns
    with world.db.session() as session:
        licensed = dict(session.execute(select(MachineReadiness.machine_id, MachineReadiness.av_licensed)).all())
    assert [licensed[int(a["machine_id"])] for a in agents] == [True, False, False]
    assert len(names_read) == 1


def test_a_batch_reads_the_installs_only_of_the_licences_covering_its_machines(world: World) -> None:
    agents = [enrolled(world, i) for i in range(2)]  # both in XA
    with world.db.session() as session:
        add_licence(session, "Kaspersky (xã A)", "Kaspersky*", 5, date(2027, 12, 31), "XA", T0)
        add_licence(session, "Kaspersky (xã B)", "Kaspersky*", 5, date(2027, 12, 31), "XB", T0)
    with statements_sent(world.db) as sent:
        ingest_reports(world.db, [kaspersky_job(a, 1) for a in agents], LIMITS, world.rules)
    installs_read = [s for s, _ in sent if s.startswith("SELECT DISTINCT machine_products.machine_id")]
    assert len(installs_read) == 1  # XA's entry, once for the batch; XB's is not read
