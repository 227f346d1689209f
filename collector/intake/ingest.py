"""Receiving a signed report: verify who sent it, decode it strictly, store it exactly once.

Used by the HTTP endpoint (and by file import later). Checks run cheapest and least revealing
first: headers, agent, time window, signature; only a correctly signed body is decoded.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import msgspec
from sqlalchemy.orm import Session

from agent.wire.schema import SCHEMA_VERSION, Report, ReportAck, SchemaVersionError, decode_report
from agent.wire.signing import AGENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, is_valid_signature
from collector.db import Database
from collector.errors import CanhgacError, Conflict, Forbidden, InvalidInput, PayloadTooLarge, Unauthorized
from collector.intake.batch import ReportJob, run_batch
from collector.intake.expand import expand_unchanged
from collector.judging.memo import memo
from collector.judging.report import ReportToJudge, judge_reports
from collector.judging.rules import LoadedRules
from collector.store.rejections import COUNTED_REASONS, count_rejection
from collector.store.reports import (
    AgentCredentials,
    Stored,
    StoreOutcome,
    find_sealed_agents,
    opened_agent,
    store_report,
)
from collector.store.settings import effective_settings, settings_for_report


@dataclass(frozen=True)
class SignedRequest:
    agent_id: str
    timestamp: int
    signature: str


@dataclass(frozen=True)
class IngestLimits:
    max_body_bytes: int
    signature_window_s: int


def read_signature_headers(headers: Mapping[str, str]) -> SignedRequest:
    """The three signing headers (case-insensitive mapping); Unauthorized when one is missing."""
    missing = [name for name in (AGENT_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER) if not headers.get(name)]
    if missing:
        raise Unauthorized(f"missing header {missing[0]}: reports must be signed", code="missing_signature")
    try:
        timestamp = int(headers[TIMESTAMP_HEADER])
    except ValueError:
        raise Unauthorized(f"{TIMESTAMP_HEADER} must be Unix seconds", code="bad_timestamp") from None
    return SignedRequest(headers[AGENT_HEADER], timestamp, headers[SIGNATURE_HEADER])


def check_window(timestamp: int, now: datetime, window_s: int) -> None:
    skew = timestamp - now.timestamp()
    if abs(skew) > window_s:
        raise Unauthorized(f"timestamp is {skew:+.0f} s from the collector's clock (allowed ±{window_s} s): "
                           "check the PC's clock", code="timestamp_out_of_window")


def decoded_body(body: bytes, content_encoding: str | None, max_bytes: int) -> bytes:
    """The body as signed: gunzipped when ``Content-Encoding: gzip``, never past ``max_bytes``
    (a compression bomb is refused after reading at most max_bytes + 1 bytes of output)."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding == "gzip":
        inflater = zlib.decompressobj(wbits=31)
        try:
            body = inflater.decompress(body, max_bytes + 1)
        except zlib.error as exc:
            raise CanhgacError(f"body is not valid gzip: {exc}", code="malformed_body") from None
        if len(body) <= max_bytes and not inflater.eof:
            raise CanhgacError("gzip body is truncated", code="malformed_body")
    elif encoding != "identity":
        raise CanhgacError(f"Content-Encoding {encoding!r} is not supported (gzip or none)",
                           code="unsupported_encoding")
    if len(body) > max_bytes:
        raise PayloadTooLarge(f"body of more than {max_bytes} bytes (decompressed) exceeds the limit")
    return body


def ingest_report(db: Database, headers: Mapping[str, str], body: bytes, now: datetime, limits: IngestLimits,
                  rules: LoadedRules, via_network: bool | None = None) -> tuple[ReportAck, StoreOutcome]:
    """Verify, decode and store one report. ``body`` is as received; the signature covers the
    report JSON (after gunzip). Raises a CanhgacError subtype; stores nothing then.

    A newly stored report is judged by the machine rules (collector.judging.report); ``via_network`` says
    how it came (True over HTTP, False from a file, None when the caller does not say)."""
    result = ingest_reports(db, [ReportJob(headers, body, now, via_network)], limits, rules)[0]
    if isinstance(result, BaseException):
        raise result
    return result


def ingest_reports(db: Database, jobs: list[ReportJob], limits: IngestLimits, rules: LoadedRules,
                   ) -> list[tuple[ReportAck, StoreOutcome] | BaseException]:
    """``ingest_report`` for each job, in one transaction committed once (collector.intake.batch):
    per job its answer or the error it gets, in order. Each report is checked (its sender read with
    the batch's others by one query, its signature and body verified) before anything of it is
    written; the reports stored as their machines' state are judged together once all are stored
    (collector.judging.report.judge_reports). Refusals of a known agent are counted after."""
    refused: dict[int, tuple[AgentCredentials, str, datetime]] = {}  # by job: a batch run again counts once

    def counted(job: ReportJob, agent: AgentCredentials | None, exc: CanhgacError) -> None:
        if agent is not None and exc.code in COUNTED_REASONS:
            refused[id(job)] = (agent, exc.code, job.now)

    def check(session: Session, job: ReportJob) -> _Checked:
        body = decoded_body(job.body, job.headers.get("content-encoding"), limits.max_body_bytes)
        signed = read_signature_headers(job.headers)
        sealed = memo(session, "agents", lambda: find_sealed_agents(session, agent_ids)).get(signed.agent_id)
        agent = None if sealed is None else opened_agent(session, sealed)
        try:
            return _checked(session, job, agent, signed, body, limits)
        except Unauthorized as exc:
            counted(job, agent, exc)
            raise

    def store(session: Session, checked: _Checked) -> tuple[ReportAck, StoreOutcome]:
        try:
            ack, stored = _stored(session, checked)
        except Conflict as exc:
            counted(checked.job, checked.agent, exc)
            raise
        if stored.current is not None:
            _to_judge(session).append(ReportToJudge(stored.current, checked.whole, checked.job.now,
                                                    checked.job.via_network))
        return ack, stored.outcome

    # Stored in machine id order, as the scan takes machines' rows (collector.store.scan), so that
    # batches of two processes (PostgreSQL) and the scan take them in one order; a machine's
    # reports in the order they came.
    agent_ids = sorted({str(job.headers.get(AGENT_HEADER) or "") for job in jobs})
    results = run_batch(db, jobs, store, check=check, store_order=lambda checked: checked.agent.machine_id,
                        finish=lambda session: judge_reports(session, _to_judge(session), rules))
    for agent, code, now in refused.values():  # each in its own transaction, after the batch's ended
        count_rejection(db, agent.id, agent.machine_id, code, now)
    return results


def _to_judge(session: Session) -> list[ReportToJudge]:
    """The reports this attempt at the batch stored as their machines' state (kept with its session)."""
    return memo(session, "to judge", list)


@dataclass(frozen=True)
class _Checked:
    """A report verified and decoded, nothing of it written yet."""

    job: ReportJob
    agent: AgentCredentials
    body: bytes
    report: Report
    whole: Report
    """With the sections it named by their hash filled in (collector.intake.expand)."""
    state_body: bytes


def _checked(session: Session, job: ReportJob, known: AgentCredentials | None, signed: SignedRequest, body: bytes,
             limits: IngestLimits) -> _Checked:
    agent = _check_agent_and_signature(known, signed, body, job.now, limits)
    report = _decode(body)
    if report.identity.agent_id != agent.id:
        raise Forbidden("identity.agent_id does not match the signing agent", code="agent_mismatch")
    if report.identity.sequence < 1:
        raise InvalidInput("identity.sequence must be 1 or more", code="invalid_report")
    whole, state_body = expand_unchanged(session, report, body)
    return _Checked(job, agent, body, report, whole, state_body)


def _stored(session: Session, checked: _Checked) -> tuple[ReportAck, Stored]:
    """The checked report stored; its answer (with the centre's settings when the agent runs with
    others) and what storing did."""
    agent, report = checked.agent, checked.report
    stored = store_report(session, agent, checked.whole, checked.body, checked.job.now, state_body=checked.state_body,
                          left_out=report.unchanged)
    settings = None
    if report.schema_version >= SCHEMA_VERSION:
        effective = memo(session, ("settings", agent.unit_path), lambda: effective_settings(session, agent.unit_path))
        settings = settings_for_report(session, agent.machine_id, agent.key, report.settings_version,
                                       checked.job.now, effective)
    return ReportAck(agent_id=agent.id, sequence=report.identity.sequence, status=str(stored.outcome),
                     settings=settings), stored


def _check_agent_and_signature(agent: AgentCredentials | None, signed: SignedRequest, body: bytes, now: datetime,
                               limits: IngestLimits) -> AgentCredentials:
    if agent is None:
        raise Unauthorized(f"unknown agent {signed.agent_id!r}: enroll first", code="unknown_agent")
    if agent.revoked:
        raise Unauthorized("this agent was replaced by a newer enrollment", code="agent_revoked")
    check_window(signed.timestamp, now, limits.signature_window_s)
    if not is_valid_signature(agent.key, signed.timestamp, body, signed.signature):
        raise Unauthorized("signature does not match the body", code="bad_signature")
    return agent


def _decode(body: bytes) -> Report:
    try:
        return decode_report(body)
    except SchemaVersionError as exc:
        raise InvalidInput(str(exc), code="unsupported_schema_version") from exc
    except msgspec.ValidationError as exc:
        raise InvalidInput(f"report does not match the schema: {exc}", code="invalid_report") from exc
    except msgspec.DecodeError as exc:
        raise CanhgacError(f"body is not valid JSON: {exc}", code="malformed_json") from None
    except RecursionError:
        raise CanhgacError("body is JSON nested too deeply to be a report", code="malformed_json") from None
