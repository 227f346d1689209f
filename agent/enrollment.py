"""Enrolling this PC with a collector: describe the machine, trade the unit's token for an
agent id and key, and save them as the agent's state.

The offline PC enrolls by file instead (:func:`enroll_offline`): it makes its own agent id and
key, seals them with the token into an enrollment file (agent/wire/media.py says how, and what a
stolen file allows) that ``canhgac import`` registers on the collector, and opens no connection.
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime
from pathlib import Path

from agent import spool
from agent.central import accepted
from agent.config import AgentConfig, ConfigError
from agent.export import write_file
from agent.files import ensure_private_dir
from agent.probes import hardware, identity, network
from agent.probes.context import ProbeContext
from agent.state import AgentState, StateError, load_state, save_state, state_lock
from agent.tls import Trust, check_trust_for
from agent.transport import enroll
from agent.wire.media import OfflineEnrollment, seal_enrollment
from agent.wire.schema import SCHEMA_VERSION, EnrollRequest, Role
from agent.wire.signing import new_key

log = logging.getLogger(__name__)


class EnrollmentError(Exception):
    """This machine cannot be enrolled as it is (e.g. no stable machine id could be read)."""


TOKEN_REFUSALS = frozenset({"invalid_token", "token_revoked", "token_expired", "token_exhausted"})
ASK_FOR_TOKEN = ("ask the unit's IT officer for a new token (canhgac tokens create --unit UNIT, or the dashboard) "
                 "/ xin cán bộ CNTT của đơn vị mã đăng ký mới")


def enroll_next_step(status: int | None, code: str) -> str:
    """What to do after a refused or failed enrollment (HTTP ``status``, None for no answer, and
    the collector's error ``code``), in both languages."""
    if code in TOKEN_REFUSALS:
        return ASK_FOR_TOKEN
    if code == "machine_in_other_unit":
        return "ask an officer of both units to move the machine (canhgac machines move) / nhờ chuyển máy sang đơn vị"
    if code == "untrusted_certificate":
        return "check --ca or --fingerprint with the collector's officer / kiểm tra chứng thư của máy chủ"
    if status is None:
        return ("check that the collector runs and that --server is its address, e.g. http://10.0.0.5:8000 "
                "/ kiểm tra máy chủ đang chạy và địa chỉ --server")
    if status in (404, 405):
        return "--server is not a canhgac collector: give its address, e.g. http://10.0.0.5:8000 / sai địa chỉ máy chủ"
    if status == 429 or status >= 500:
        return "try again in a few minutes / thử lại sau vài phút"
    return "show this message to the collector's officer / báo cho cán bộ quản trị máy chủ"


def build_enroll_request(token: str, role: Role, now: datetime) -> EnrollRequest:
    """What the collector needs to recognise this machine: its id, hostname, MACs, serial, OS.

    Raises EnrollmentError when no machine id can be read (the collector links on it).
    """
    ctx = ProbeContext(now=now)
    ident = identity.collect(ctx)
    if not ident.machine_uid:
        reasons = "; ".join(f"{e.what}: {e.reason}" for e in ident.errors) or "no machine-id and no MAC"
        raise EnrollmentError(f"cannot read a stable machine id ({reasons})")
    macs = sorted({iface.mac for iface in network.collect(ctx).interfaces if iface.mac})
    return EnrollRequest(
        token=token,
        machine_uid=ident.machine_uid,
        hostname=ident.hostname,
        role=role,
        macs=macs,
        serial=hardware.collect(ctx).serial,
        os_name=ident.os_name,
        schema_version=SCHEMA_VERSION,
    )


def enroll_agent(config: AgentConfig, token: str, now: datetime, trust: Trust | None = None
                 ) -> tuple[AgentState, int]:
    """Enroll with ``config.server`` and save the new state (sequence restarts at 1), with the
    ``trust`` its certificate must meet (agent.tls: kept for every later report); the state and how
    many unsent reports of a previous enrollment were set aside (they cannot be signed with the new
    key; they stay on disk in ``spool/previous-<old id>/``).

    Raises ConfigError without a server, TrustError (a CA or fingerprint for plain HTTP),
    EnrollmentError, TransportError, OSError.
    """
    if not config.server:
        raise ConfigError("server", config.server, "a collector URL is required to enroll")
    trust = trust or Trust()
    check_trust_for(config.server, trust)
    ensure_private_dir(config.state_dir)  # fail before the token is spent, not after
    request = build_enroll_request(token, config.role, now)
    answer = enroll(config.server, request, config.timeout_s, trust)
    state = AgentState(
        agent_id=answer.agent_id,
        key=answer.key,
        server=config.server,
        unit_code=answer.unit_code,
        role=config.role,
        machine_uid=request.machine_uid,
        next_sequence=1,
        server_ca=trust.ca_pem,
        server_fingerprint=trust.fingerprint,
    )
    state = accepted(state, answer.settings)
    set_aside = replace_state(config, state)
    log.info("enrolled as %s in unit %s", state.agent_id, state.unit_code)
    return state, set_aside


def enroll_offline(config: AgentConfig, token: str, out: Path, now: datetime) -> tuple[AgentState, Path, int]:
    """Enroll by file: write the sealed enrollment request to ``out`` (a file, or an existing
    directory where it gets its own name), then save the new state (role offline, no server,
    unit unknown until the collector imports the file). The state, the file written, and how
    many unsent reports of a previous enrollment were set aside.

    Nothing touches the network. Raises EnrollmentError, ExportError (file not written, state
    unchanged), OSError.
    """
    ensure_private_dir(config.state_dir)
    request = build_enroll_request(token, Role.OFFLINE, now)
    agent_id, key = uuid.uuid4().hex, new_key()
    sealed = seal_enrollment(token, key, OfflineEnrollment(
        agent_id=agent_id, nonce="", wrapped_key="", machine_uid=request.machine_uid, hostname=request.hostname,
        role=Role.OFFLINE, macs=request.macs, serial=request.serial, os_name=request.os_name, created_at=now,
    ))
    path = out / f"canhgac-enroll-{agent_id[:12]}.json" if out.is_dir() else out
    write_file(path, sealed, "the enrollment request")
    state = AgentState(agent_id=agent_id, key=key, server="", unit_code="", role=Role.OFFLINE,
                       machine_uid=request.machine_uid, next_sequence=1)
    set_aside = replace_state(config, state)
    log.info("enrollment request for agent %s written to %s", agent_id, path)
    return state, path, set_aside


def replace_state(config: AgentConfig, state: AgentState) -> int:
    """Save ``state`` as this agent's, setting the unsent reports of the previous one aside
    (they cannot be signed with the new key; kept in ``spool/previous-<old id>/``); how many."""
    with state_lock(config.state_dir):
        set_aside = spool.set_aside(config.state_dir, f"previous-{_previous_agent_id(config)}")
        save_state(config.state_dir, state)
    return set_aside


def _previous_agent_id(config: AgentConfig) -> str:
    try:
        previous = load_state(config.state_dir)
    except StateError:
        return "unknown"
    # The id comes from the collector: keep it a safe single path component.
    return re.sub(r"[^A-Za-z0-9_.-]", "_", previous.agent_id) if previous else "unknown"
