"""Sending one spooled report with its shared sections left out when the collector has them, and
taking in what the acknowledgement brings (agent/wire/sections.py, agent/central.py).

The spool keeps each report whole. At each attempt the body sent is decided from the report and
``acked_sections`` (the shared sections of the last acknowledged report) alone: those change only
when a report is acknowledged, and reports go out in sequence order, so every retry of a report
sends the same bytes, and exactly-once holds. The one exception is the collector's
``sections_needed`` refusal, which stores nothing: the same report then goes whole, once.
"""

from __future__ import annotations

import logging
from pathlib import Path

import msgspec

from agent.central import accepted
from agent.state import AgentState, load_state, update_state
from agent.tls import trust_of
from agent.transport import TransportError, send_report
from agent.wire.schema import ReportAck
from agent.wire.sections import compact, section_digest, shared_sections

log = logging.getLogger(__name__)
SECTIONS_NEEDED = "sections_needed"


def send_entry(server: str, state_dir: Path | None, state: AgentState, body: bytes, timeout: float,
               now: float, sequence: int | None = None) -> ReportAck:
    """Send ``body`` (a spooled report) as :func:`agent.transport.send_report` does; then remember
    its shared sections and accept the settings the acknowledgement carries (when ``state_dir``)."""
    current = (load_state(state_dir) if state_dir else None) or state
    trust = trust_of(state.server_ca, state.server_fingerprint)
    left_out = compact(body, current.acked_sections) if current.acked_sections else None
    if left_out is None:
        ack = send_report(server, state.agent_id, state.key, body, timeout, now, trust)
    else:
        try:
            ack = send_report(server, state.agent_id, state.key, left_out[0], timeout, now, trust)
        except TransportError as exc:
            if exc.code != SECTIONS_NEEDED:
                raise
            log.info("the collector asks for %s whole", ", ".join(left_out[1]))
            ack = send_report(server, state.agent_id, state.key, body, timeout, now, trust)
    if state_dir is not None and ack.agent_id == state.agent_id and sequence in (None, ack.sequence):
        sections = {name: section_digest(raw) for name, raw in shared_sections(body).items()}
        update_state(state_dir, lambda saved: accepted(
            msgspec.structs.replace(saved, acked_sections=sections), ack.settings))
    return ack
