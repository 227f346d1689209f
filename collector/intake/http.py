"""The agents' side of the HTTP API (``/api/v1``): enroll, reports, health.

Thin: each handler reads the request, hands plain values to collector.intake.ingest / collector.store
in a worker thread (reports: to the group commit, collector.intake.batch), and returns a Struct from agent.wire.schema.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import msgspec
from anyio import to_thread
from litestar import Litestar, Request, Response, get, post
from litestar.openapi.spec import OpenAPIMediaType, Operation, Reference, RequestBody
from litestar.params import JSONBody
from sqlalchemy.orm import Session

from agent import __version__
from agent.wire.schema import SCHEMA_VERSION, EnrollRequest, EnrollResponse, ReportAck
from agent.wire.signing import AGENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER
from collector.errors import CanhgacError
from collector.intake.batch import MAX_BATCH, GroupCommitter, ReportJob
from collector.intake.enroll_limits import EnrollLimiter
from collector.intake.ingest import ingest_reports
from collector.judging.enrollment import judge_enrollment_safely
from collector.state import CollectorState
from collector.store.enrollment import MachineInOtherUnit, enroll, ping, record_refused_enrollment
from collector.store.reports import StoreOutcome
from collector.store.settings import machine_settings

T = TypeVar("T")
REF_TEMPLATE = "#/components/schemas/{name}"


@dataclass
class ReportBodyOperation(Operation):
    """POST /reports reads raw bytes (the signature covers them), so Litestar cannot infer the
    body: this operation points at the Report component instead (which the machine detail
    response, typed with the same Struct, makes Litestar publish)."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            description=f"A Report, signed: headers {AGENT_HEADER}, {TIMESTAMP_HEADER} (Unix s), "
            f"{SIGNATURE_HEADER} = hex HMAC-SHA256(key, timestamp + '.' + body).",
            content={"application/json": OpenAPIMediaType(schema=Reference(REF_TEMPLATE.format(name="Report")))},
        )


def collector_state(request: Request[Any, Any, Any]) -> CollectorState:
    """The app's CollectorState (collector.state; set by server.app.create_app)."""
    state: CollectorState = request.app.state.collector
    return state


async def in_session(request: Request[Any, Any, Any], work: Callable[[Session, CollectorState], T]) -> T:
    """``work`` run in a worker thread inside one database session of the app's state (committed
    when it returns, rolled back when it raises): what every handler that reads or writes does."""
    state = collector_state(request)

    def run() -> T:
        with state.db.session() as session:
            return work(session, state)

    return await to_thread.run_sync(run)


@post("/enroll", status_code=201, summary="Enroll a machine with an enrollment token",
      description="Limited per client address and per token (429 with Retry-After past the limit); a machine "
                  "of a unit outside the token's subtree is refused (409 machine_in_other_unit).")
async def post_enroll(request: Request[Any, Any, Any], data: JSONBody[EnrollRequest]) -> EnrollResponse:
    state = collector_state(request)
    address = request.client.host if request.client else ""
    limiter: EnrollLimiter = request.app.state.enroll_limiter
    limiter.attempt(address, data.token, state.clock())

    def work(session: Session, state: CollectorState) -> EnrollResponse:
        answer = enroll(session, data, state.clock(), source=address)
        judge_enrollment_safely(session, answer.machine_id, state.rules, state.clock())
        return with_settings(session, data, answer, state.clock())

    try:
        return await in_session(request, work)
    except MachineInOtherUnit as exc:
        refused = exc  # the except name is unbound after the block; the audit work runs inside it
        await in_session(request, lambda session, state: record_refused_enrollment(
            session, refused, state.clock(), address))
        raise


@post("/reports", status_code=201, operation_class=ReportBodyOperation,
      summary="Send a signed report (stored once per agent and sequence)")
async def post_report(request: Request[Any, Any, Any]) -> Response[ReportAck]:
    state = collector_state(request)
    committer: ReportCommitter = request.app.state.report_committer
    body = await request.body()
    started = time.perf_counter()
    try:
        job = ReportJob(request.headers, body, state.clock(), via_network=True)
        ack, outcome = await asyncio.wrap_future(committer.submit(job))
    except CanhgacError as exc:
        state.metrics.report_refused(exc.code, time.perf_counter() - started)
        raise
    state.metrics.report_stored(time.perf_counter() - started, duplicate=outcome is StoreOutcome.DUPLICATE)
    return Response(ack, status_code=201 if outcome is StoreOutcome.STORED else 200)


ReportCommitter = GroupCommitter[ReportJob, tuple[ReportAck, StoreOutcome]]


BATCH_LIMITS = {"postgresql": 16, "sqlite": MAX_BATCH}
"""Reports in one batch at most: on PostgreSQL several writers' batches overlap only when the
waiting reports are spread over them; batches of up to 64 let one writer take nearly all of them
(bench/ingest.py, 50 agents, four writers, three alternating runs: p99 5.3-6.3 s and 30-58
reports/s with 64, 2.2-4.5 s and 38-117/s with 16; 8 measured like 16). With one writer (the
default since 2026-12-03) 16 and 64 measured alike (377-382 and 374-395/s), p99 lower with 16
(442-456 against 583-635 ms)."""


def install_group_commit(app: Litestar, state: CollectorState) -> None:
    """The app's writers of reports (collector.intake.batch): the reports that arrive together are
    stored in one transaction; it ends with the app, after storing those it holds.

    ``report_writers`` batches at a time (default 1). On PostgreSQL on the same 2-core machine one
    writer stores more than four: bench/ingest.py --postgresql, 2026-12-03, alternately, 377-382
    against 331-339 reports/s, p99 442-456 against 767-908 ms, 1.77-1.79 against 2.64-2.70 server
    CPU ms a report (two: 376-382/s, p99 0.9 s), and with a CPU burner beside it 406-411 against
    375-382/s: the writers' threads take turns on the GIL while their waits are short. Writers
    overlap their waits when the database answers from another host."""
    committer: ReportCommitter = GroupCommitter(
        lambda jobs: ingest_reports(state.db, jobs, state.limits, state.rules),
        writers=state.config.report_writers,
        max_batch=BATCH_LIMITS.get(state.db.engine.dialect.name, MAX_BATCH))
    app.state.report_committer = committer
    app.on_shutdown.append(lambda: committer.stop())


@get("/health", summary="Liveness and database check")
async def get_health(request: Request[Any, Any, Any]) -> dict[str, str]:
    await in_session(request, lambda session, _state: ping(session))
    return {"status": "ok", "version": __version__}


def with_settings(session: Session, request: EnrollRequest, answer: EnrollResponse, now: datetime) -> EnrollResponse:
    """The enrollment answer with the centre's settings for the machine, to an agent that reads them."""
    if request.schema_version < SCHEMA_VERSION:
        return answer
    settings = machine_settings(session, answer.machine_id, answer.key, now)
    return msgspec.structs.replace(answer, settings=settings) if settings else answer


AGENT_ROUTES = [post_enroll, post_report, get_health]
