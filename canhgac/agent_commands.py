"""``canhgac agent ...``: the office PC's commands, a thin layer over the agent library.

Library errors become one-line messages here (exit 1); usage errors are click's (exit 2);
``run --once`` exits 3 when reports are left in the spool for the next cycle.

``collect`` runs on every office PC at every cycle (and as a process of its own), so this module
imports only what collecting needs; enrolling, sending and exporting (hashing, HTTP, the spool)
are imported by the command that uses them.
"""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import msgspec

from agent.config import AgentConfig, ConfigError, make_config
from agent.report import build_report
from agent.state import StateError, load_state
from agent.wire import clock
from agent.wire.schema import Role, encode_report
from canhgac.options import agent_probe_values, state_dir_option

if TYPE_CHECKING:
    from agent.runner import CycleResult
    from agent.state import AgentState
    from agent.tls import Trust

F = TypeVar("F", bound=Callable[..., Any])
EXIT_PENDING = 3
ROLES = click.Choice([role.value for role in Role], case_sensitive=False)


@click.group()
@click.option(
    "-v", "--verbose", is_flag=True, show_envvar=True, envvar="CANHGAC_VERBOSE", help="Log progress to stderr."
)
def agent(verbose: bool) -> None:
    """Office PC: enroll with the collector, collect a report, send reports on a schedule."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # What the imports made (modules, classes, functions) lives as long as the process: moved
    # out of the cyclic collector's reach, it is not traversed again by every later collection
    # nor at exit. A collect process spends ~6% fewer instructions (438M -> 410M, callgrind).
    gc.freeze()


def server_option(help_text: str, required: bool = False) -> Callable[[F], F]:
    return click.option(
        "--server", show_envvar=True, envvar="CANHGAC_SERVER", required=required, metavar="URL", help=help_text
    )


def role_option(default: str | None) -> Callable[[F], F]:
    return click.option(
        "--role", show_envvar=True, envvar="CANHGAC_ROLE", type=ROLES, default=default,
        help="normal, or offline for the PC that drafts secret documents (it never sends).",
    )


def timeout_option(fn: F) -> F:
    return click.option(
        "--timeout", "timeout_s", show_envvar=True, envvar="CANHGAC_TIMEOUT_S", type=float, default=None,
        metavar="SECONDS",
        help="How long to wait for the collector. [default: 10]",
    )(fn)


def delivery_options(fn: F) -> F:
    """The spool's bounds and the retry schedule (``[agent]`` keys of the same names)."""
    options = [
        ("--spool-max-reports", "spool_max_reports", int, "Most reports kept unsent; past it the oldest is dropped.",
         "3000"),
        ("--spool-max-bytes", "spool_max_bytes", int, "Most bytes kept unsent; past it the oldest is dropped.",
         "104857600"),
        ("--send-retries", "send_retries", int, "Retries of a failed send within a cycle (backoff with jitter).",
         "3"),
        ("--retry-base-s", "retry_base_s", float, "First retry delay bound; doubles each retry (max 60 s).", "2"),
    ]
    for flag, name, kind, help_text, default in reversed(options):
        fn = click.option(flag, name, type=kind, default=None, show_envvar=True, envvar=f"CANHGAC_{name.upper()}",
                          help=f"{help_text} [default: {default}]")(fn)
    return fn


@contextmanager
def library_errors() -> Iterator[None]:
    """Turn the agent library's typed errors into click's one-line messages (exit 1)."""
    try:
        yield
    except (ConfigError, *_refusal_errors()) as exc:
        raise click.ClickException(str(exc)) from exc
    except StateError as exc:
        raise click.ClickException(f"{exc}. {ENROLL_HINT}") from exc
    except _write_errors() as exc:
        raise click.ClickException(str(exc.strerror)) from exc
    except OSError as exc:
        from agent.spool import FULL_DISK

        reason = exc.strerror or str(exc)
        if exc.errno in FULL_DISK:
            reason = f"the disk is full ({reason}); nothing was changed / ổ đĩa đầy"
        raise click.ClickException(f"{exc.filename or 'disk'}: {reason}") from exc


def _refusal_errors() -> tuple[type[Exception], ...]:
    """The refusals of enrolling and sending. An ``except`` clause evaluates its expression only
    when an exception reaches it, so these modules are imported then (they are already loaded
    when they raised one), never by a ``collect`` that goes well."""
    from agent.enrollment import EnrollmentError
    from agent.runner import OfflineRoleError
    from agent.tls import TrustError
    from agent.transport import TransportError

    return EnrollmentError, TransportError, OfflineRoleError, TrustError


def _write_errors() -> tuple[type[OSError], ...]:
    """Full-disk errors of the spool and of export files, imported as :func:`_refusal_errors`."""
    from agent.export import ExportError
    from agent.spool import SpoolWriteError

    return SpoolWriteError, ExportError


ENROLL_HINT = "Enroll first / Hãy đăng ký trước: canhgac agent enroll --server URL --token TOKEN"
OFFLINE_HINT = (
    "This PC has the offline role (máy soạn thảo văn bản mật): it never sends reports over a "
    "network. Use `canhgac agent export --out FILE` to write a signed report file instead, "
    "and `canhgac import FILE` on the collector / Máy này không gửi qua mạng: dùng "
    "`canhgac agent export --out FILE` rồi `canhgac import FILE` tại máy chủ."
)


def load_config(**values: Any) -> AgentConfig:
    """The agent's configuration from the command's options, plus the probe keys of the
    --config file's [agent] table (targets, backup sources, certificate files)."""
    with library_errors():
        return make_config(**values, probes=agent_probe_values())


@agent.command()
@server_option("The collector, e.g. http://collector.xa.local:8470 (not with --offline).")
@click.option(
    "--token", show_envvar=True, envvar="CANHGAC_TOKEN", required=True, help="Enrollment token of the unit (cge_...)."
)
@role_option(None)
@click.option("--offline", is_flag=True,
              help="Offline PC: write an enrollment request file (--out) for `canhgac import`; no network.")
@click.option("--out", type=click.Path(path_type=Path), default=None, metavar="FILE",
              help="With --offline: the file (or an existing folder, e.g. the USB stick) to write.")
@click.option("--ca", "ca_file", type=click.Path(path_type=Path, dir_okay=False), default=None, metavar="FILE",
              show_envvar=True, envvar="CANHGAC_CA",
              help="https:// collector: trust only certificates signed by this CA (PEM), kept in the state.")
@click.option("--fingerprint", default=None, metavar="sha256:HEX", show_envvar=True, envvar="CANHGAC_FINGERPRINT",
              help="https:// collector: trust only the certificate with this SHA-256 fingerprint, kept in the state.")
@timeout_option
@state_dir_option
def enroll(server: str | None, token: str, role: str | None, offline: bool, out: Path | None,
           ca_file: Path | None, fingerprint: str | None, timeout_s: float | None, state_dir: str | None) -> None:
    """Enroll this PC with the collector and save its agent id and key.

    Over https:// the collector's certificate is checked against --ca FILE or --fingerprint
    sha256:HEX (else the system's CA store), now and for every report after; over plain http://
    nothing is encrypted (a warning says so).

    With --offline --out FILE the PC opens no connection: it makes its own id and key, writes
    them sealed by the token to FILE, and `canhgac import FILE` on the collector registers it.
    Anyone holding both the file and the token could sign reports as this PC: carry the file,
    keep the token apart, and let it expire (`tokens create --expires`).

    Enrolling again replaces the id and key and restarts the report sequence at 1; reports not
    yet sent by the previous id are kept aside in the spool, not sent.
    """
    if offline:
        enroll_by_file(token, role, out, server, state_dir)
        return
    if not server or out is not None:
        raise click.UsageError("enroll needs --server URL (or --offline --out FILE for the offline PC)")
    from agent.enrollment import enroll_agent
    from agent.tls import plain_http_warning

    config = load_config(state_dir=state_dir, server=server, role=role or Role.NORMAL.value, timeout_s=timeout_s)
    trust = read_trust(server, ca_file, fingerprint)
    if (warning := plain_http_warning(server)) is not None:
        click.echo(warning, err=True)
    with library_errors(), next_step_on_refusal():
        state, set_aside = enroll_agent(config, token, clock.utcnow(), trust)
    click.echo(f"Đã đăng ký / Enrolled: agent {state.agent_id} in unit {state.unit_code} (role {state.role})")
    show_set_aside(set_aside, config)


@contextmanager
def next_step_on_refusal() -> Iterator[None]:
    """A refused or failed enrollment says what to do next (agent.enrollment.enroll_next_step)."""
    from agent.enrollment import enroll_next_step
    from agent.transport import TransportError

    try:
        yield
    except TransportError as exc:
        raise click.ClickException(f"{exc}. {enroll_next_step(exc.status, exc.code)}") from exc


def read_trust(server: str, ca_file: Path | None, fingerprint: str | None) -> Trust:
    """The trust --ca or --fingerprint names (not both, https:// only); usage errors name the option."""
    from agent.tls import Trust, TrustError, check_trust_for, parse_fingerprint, read_ca_file

    if ca_file is not None and fingerprint is not None:
        raise click.UsageError("give --ca FILE or --fingerprint sha256:HEX, not both")
    try:
        if ca_file is not None:
            trust = Trust(ca_pem=read_ca_file(ca_file))
        else:
            trust = Trust(fingerprint=parse_fingerprint(fingerprint)) if fingerprint else Trust()
        check_trust_for(server, trust)
        return trust
    except TrustError as exc:
        raise click.BadParameter(str(exc), param_hint="--ca" if ca_file else "--fingerprint") from exc


def enroll_by_file(token: str, role: str | None, out: Path | None, server: str | None, state_dir: str | None) -> None:
    if out is None:
        raise click.UsageError("--offline needs --out FILE (where to write the enrollment request)")
    if server:
        click.echo(f"--offline: the server {server} is not used; nothing is sent over a network", err=True)
    if role and role.lower() != Role.OFFLINE.value:
        raise click.UsageError("--offline enrolls the offline PC: its role is offline")
    from agent.enrollment import enroll_offline

    config = load_config(state_dir=state_dir, role=Role.OFFLINE.value)
    with library_errors():
        state, path, set_aside = enroll_offline(config, token, out, clock.utcnow())
    click.echo(f"Đã ghi yêu cầu đăng ký / Enrollment request written: {path} (agent {state.agent_id}).")
    click.echo("Mang tệp sang máy chủ và chạy / Carry it to the collector and run: canhgac import FILE")
    show_set_aside(set_aside, config)


def show_set_aside(set_aside: int, config: AgentConfig) -> None:
    from agent.spool import spool_dir

    if set_aside:
        click.echo(f"{set_aside} unsent report(s) of the previous enrollment kept in {spool_dir(config.state_dir)}",
                   err=True)


@agent.command()
@click.option("--pretty", is_flag=True, show_envvar=True, envvar="CANHGAC_PRETTY", help="Indent the JSON for reading.")
@role_option(None)
@state_dir_option
def collect(pretty: bool, role: str | None, state_dir: str | None) -> None:
    """Print one report as JSON; sends nothing and uses no sequence number (it shows 0).

    Works before enrollment too (agent id and unit are then null).
    """
    config = load_config(state_dir=state_dir, role=role)
    try:
        state = load_state(config.state_dir)
    except StateError as exc:
        click.echo(f"warning: {exc}; collecting as not enrolled", err=True)
        state = None
    body = encode_report(build_report(config, state, 0, clock.utcnow()))
    click.echo((msgspec.json.format(body, indent=2) if pretty else body).decode("utf-8"))


@agent.command()
@click.option("--once", is_flag=True, help="Run one cycle and exit: 0 when everything was acknowledged.")
@server_option("Send to this collector instead of the one saved at enrollment.")
@role_option(None)
@click.option(
    "--interval", "interval_minutes", show_envvar=True, envvar="CANHGAC_INTERVAL_MINUTES", type=float, default=None,
    metavar="MINUTES", help="Minutes between cycles, plus up to 10% random jitter. [default: 15]",
)
@timeout_option
@delivery_options
@state_dir_option
def run(once: bool, server: str | None, role: str | None, interval_minutes: float | None,
        timeout_s: float | None, state_dir: str | None, **delivery: Any) -> None:
    """Collect a report and send it with everything still in the spool, on a schedule.

    Every report is written to the spool (atomically) before any send and leaves it only when
    the collector acknowledged it; a failed send is retried with backoff, then next cycle.

    Exit status: 0 all acknowledged (or stopped with Ctrl-C), 1 refused (not enrolled, offline
    role, bad configuration, disk full), 3 (--once) reports left in the spool for the next cycle.
    """
    from agent.runner import run_cycle

    config = load_config(state_dir=state_dir, server=server, role=role,
                         interval_minutes=interval_minutes, timeout_s=timeout_s, **delivery)
    state = check_may_send(config)
    warn_if_plain_http(config.server or state.server)  # once per run, not at every cycle
    if once:
        with library_errors():
            result = run_cycle(config)
        show_cycle(result)
        if not result.complete:
            click.get_current_context().exit(EXIT_PENDING)
        return
    from agent.service import AgentService, stop_on_signals

    click.echo(f"canhgac agent: a cycle every {config.interval_minutes:g} min; Ctrl-C stops", err=True)
    service = AgentService(config, show_cycle)
    stop_on_signals(service)  # SIGTERM (systemd, a service wrapper) and Ctrl-C end the loop, not a cycle
    service.start()
    click.echo("stopped / đã dừng", err=True)


@agent.command()
@click.option("--out", type=click.Path(path_type=Path), required=True, metavar="FILE",
              help="The report file to write, or an existing folder (e.g. the USB stick) to write it into.")
@role_option(None)
@state_dir_option
def export(out: Path, role: str | None, state_dir: str | None) -> None:
    """Offline PC: write one signed report to FILE for removable media (nothing is sent).

    The report takes the next sequence number; `canhgac import FILE` on the collector stores
    it once. The file is written atomically: whole, or not at all (exit 1 on a full disk).
    """
    from agent.export import export_report

    config = load_config(state_dir=state_dir, role=role)
    with library_errors():
        exported = export_report(config, out, clock.utcnow())
    click.echo(f"Đã xuất / Exported: report #{exported.sequence} to {exported.path} ({exported.size} bytes)")


def check_may_send(config: AgentConfig) -> AgentState:
    """The state, or refuse (exit 1) before doing anything when not enrolled or the PC is an offline one."""
    from agent.runner import OfflineRoleError, sending_state

    try:
        return sending_state(config)
    except OfflineRoleError as exc:
        raise click.ClickException(OFFLINE_HINT) from exc
    except StateError as exc:
        raise click.ClickException(f"{exc}. {ENROLL_HINT}") from exc


def warn_if_plain_http(server: str) -> None:
    from agent.tls import plain_http_warning

    if (warning := plain_http_warning(server)) is not None:
        click.echo(warning, err=True)


def show_cycle(result: CycleResult) -> None:
    """One line per delivered report on stdout, one per failure and a summary on stderr."""
    if result.dropped:
        click.echo(f"spool full: oldest unsent report(s) dropped / hàng đợi đầy, đã bỏ báo cáo cũ nhất: "
                   f"{', '.join(f'#{n}' for n in result.dropped)}", err=True)
    for sequence, status in result.delivered:
        click.echo(f"Đã gửi / Sent: report #{sequence} ({status})")
    for failure in result.failures:
        what = "will retry next cycle" if failure.transient else "refused, kept in the spool"
        click.echo(f"report #{failure.sequence} not sent ({what}): {failure.message}", err=True)
    if result.left:
        click.echo(f"{result.left} report(s) waiting in the spool", err=True)
