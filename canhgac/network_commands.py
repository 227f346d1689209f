"""``canhgac scan lan`` and ``canhgac scan snmp``: the collector's own look at the network.

Thin: options are checked here, the work is collector.network.arp / collector.network.snmp, the storing is
collector.store.lan / snmp_devices. Labels are Vietnamese / English.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
import msgspec

from agent.wire import clock
from canhgac.cli_support import cli_errors, db_session, echo_json, open_existing_database
from canhgac.collector_options import db_option
from collector.config import default_db_url
from collector.db import database_exists
from collector.errors import InvalidInput
from collector.models.links import LinkKind
from collector.network.snmp import AUTH_PROTOCOLS, PRIV_PROTOCOLS, V3, Credentials, PollResult, SnmpTarget, V2c

# --- scan lan -------------------------------------------------------------------------------------


@click.command("lan")
@click.option("--subnet", default=None, envvar="CANHGAC_LAN_SUBNET", show_envvar=True, metavar="CIDR",
              help="IPv4 subnet to sweep, e.g. 192.168.1.0/24 (with --listen: only record devices in it).")
@click.option("--iface", default=None, envvar="CANHGAC_LAN_IFACE", show_envvar=True,
              help="Interface to sweep from. Default: the one routing to the subnet.")
@click.option("--unit", "unit_code", default=None, metavar="CODE", help="Unit (đơn vị) this LAN belongs to.")
@click.option("--max-prefix", type=click.IntRange(8, 32), default=22, show_default=True,
              help="Refuse subnets larger than this prefix (/22 = 1,022 addresses) unless --force.")
@click.option("--force", is_flag=True, help="Sweep a subnet larger than --max-prefix.")
@click.option("--timeout", "timeout_s", type=click.FloatRange(0.05, 30), default=0.5, show_default=True,
              help="Seconds to wait for answers after each round.")
@click.option("--retries", type=click.IntRange(0, 10), default=1, show_default=True,
              help="Extra rounds for addresses that stayed silent.")
@click.option("--rate", "rate_pps", type=click.FloatRange(1, 100_000), default=1000, show_default=True,
              help="ARP requests per second.")
@click.option("--listen", "listen_s", type=click.FloatRange(0), default=None, metavar="SECONDS",
              help="Passive mode: send nothing, record devices seen in ARP traffic on --iface for SECONDS "
                   "(0: until interrupted).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of a table (--listen: a line each).")
@click.option("--save", is_flag=True, help="Also keep --subnet (with --unit, --iface) for every `scan all` and the "
              "serve scheduler's scans.")
@click.option("--known", "known_macs", multiple=True, metavar="MAC",
              help="Declare a device known (a printer, the router): no longer an unknown device. Repeatable.")
@click.option("--note", default="", help="With --known: what the device is.")
@db_option
@cli_errors
def scan_lan(subnet: str | None, iface: str | None, unit_code: str | None, max_prefix: int, force: bool,
             timeout_s: float, retries: int, rate_pps: float, listen_s: float | None, as_json: bool, save: bool,
             known_macs: tuple[str, ...], note: str, db_url: str | None) -> None:
    """Sweep a subnet with ARP (quét mạng LAN) and record the devices found.

    Needs root or CAP_NET_RAW. Reports devices found, new since the last sweep, devices with
    no agent, and any offline PC (máy soạn thảo văn bản mật) whose MAC answered.
    """
    import collector.network.arp as lan
    from collector.store.lan import record_sweep
    from collector.store.units import get_unit

    if known_macs:
        _declare_known(known_macs, note, db_url)
        if not subnet and listen_s is None:
            return
    if listen_s is not None:
        if not iface:
            raise click.UsageError("--listen needs --iface (the interface to listen on)")
        _listen(iface, listen_s, lan.check_subnet(subnet, 0) if subnet else None, unit_code, as_json, db_url)
        return
    if not subnet:
        raise click.UsageError("give --subnet CIDR (or --listen SECONDS --iface IF)")
    network = lan.check_subnet(subnet, max_prefix, force)
    if save:
        _save_subnet(str(network), unit_code, iface, max_prefix if not force else network.prefixlen, db_url)
    elif unit_code:
        with db_session(db_url) as session:
            get_unit(session, unit_code)  # refuse an unknown unit before sending anything
    started_at, started = clock.utcnow(), time.monotonic()
    total = len(lan.sweep_addresses(network))
    with _progress(total, not as_json) as advance:
        seen = lan.sweep(network, iface, timeout_s=timeout_s, retries=retries, rate_pps=rate_pps, progress=advance)
    with db_session(db_url) as session:
        summary = record_sweep(session, seen, subnet=str(network), started_at=started_at,
                               duration_s=round(time.monotonic() - started, 3), unit_code=unit_code)
    if as_json:
        echo_json(summary)
    else:
        _print_sweep(summary, iface)


def _listen(iface: str, seconds: float, network: Any, unit_code: str | None, as_json: bool,
            db_url: str | None) -> None:
    """Record each device the first time it shows up in ARP traffic, until ``seconds`` pass."""
    from collector.network.listener import PassiveListener
    from collector.store.units import get_unit

    db = open_existing_database(db_url or default_db_url())
    with db.session() as session:
        unit_id = get_unit(session, unit_code).id if unit_code else None
    listener = PassiveListener(db, iface, unit_id, within=network)
    listener.start()
    click.echo(f"Đang nghe ARP / Listening for ARP on {iface}", err=True)
    deadline = time.monotonic() + seconds if seconds else float("inf")
    try:
        while time.monotonic() < deadline:
            listener.wait(min(0.2, max(0.0, deadline - time.monotonic())))
            for device in listener.store_arrivals():
                if as_json:
                    click.echo(msgspec.json.encode(device).decode())
                else:
                    click.echo(f"{'MỚI / NEW ' if device.new else ''}{device.ip} {device.mac} {device.vendor} "
                               f"{device.hostname or '— (không agent / no agent)'}")
    except KeyboardInterrupt:
        pass
    finally:
        listener.stop()
        db.dispose()


def _save_subnet(subnet: str, unit_code: str | None, iface: str | None, max_prefix: int, db_url: str | None) -> None:
    from collector.store.lan import save_subnet

    if not unit_code:
        raise InvalidInput("--save needs --unit CODE (the unit this LAN belongs to)")
    with db_session(db_url) as session:
        save_subnet(session, subnet, unit_code, iface or "", max_prefix, clock.utcnow())
    click.echo(f"Đã lưu mạng / Subnet saved: {subnet} ({unit_code}) — swept by every scan all", err=True)


def _declare_known(macs: tuple[str, ...], note: str, db_url: str | None) -> None:
    from collector.store.lan import declare_known

    with db_session(db_url) as session:
        for mac in macs:
            declare_known(session, mac, note, clock.utcnow())
    click.echo(f"Đã ghi nhận thiết bị đã biết / Known device(s): {', '.join(macs)}", err=True)


@contextmanager
def _progress(total: int, wanted: bool) -> Iterator[Callable[[int], None] | None]:
    if not wanted or not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=total, label="Quét ARP / ARP sweep", file=sys.stderr) as bar:
        yield bar.update


def _print_sweep(summary: Any, iface: str | None) -> None:
    click.echo(f"Mạng / Subnet: {summary.subnet}{f' ({iface})' if iface else ''} — {summary.duration_s:.2f} s")
    click.echo(f"Thiết bị tìm thấy / Devices found:          {summary.found}")
    click.echo(f"Mới từ lần quét trước / New since last:     {summary.new}")
    click.echo(f"Không có agent / No agent:                  {summary.no_agent}")
    click.echo(f"Máy offline bị thấy / Offline PC seen:      {len(summary.offline_seen)}")
    for device in summary.offline_seen:
        click.echo(f"  !! CẢNH BÁO / ALERT: máy offline {device.hostname} ({device.mac}) trả lời tại {device.ip} — "
                   "offline PC answered on the LAN", err=True)
    click.echo(f"\n{'IP':<16} {'MAC':<18} {'Nhà SX / Vendor':<28} {'Máy / Machine':<20} Mới/New")
    for device in summary.devices:
        machine = device.hostname or "— (không agent / no agent)"
        click.echo(f"{device.ip:<16} {device.mac:<18} {device.vendor[:27]:<28} {machine[:30]:<20} "
                   f"{'x' if device.new else ''}")


# --- scan snmp ------------------------------------------------------------------------------------


@click.command("snmp")
@click.option("--target", default=None, metavar="HOST[:PORT]", help="Device to poll (port 161 by default).")
@click.option("--community", default=None, envvar="CANHGAC_SNMP_COMMUNITY", show_envvar=True,
              help="SNMP v2c community.")
@click.option("--v3-user", default=None, help="SNMPv3 user (authPriv).")
@click.option("--auth-key", default=None, envvar="CANHGAC_SNMP_AUTH_KEY", show_envvar=True,
              help="SNMPv3 authentication passphrase (≥ 8 characters).")
@click.option("--priv-key", default=None, envvar="CANHGAC_SNMP_PRIV_KEY", show_envvar=True,
              help="SNMPv3 privacy passphrase (≥ 8 characters).")
@click.option("--auth-proto", type=click.Choice(list(AUTH_PROTOCOLS), case_sensitive=False), default="SHA")
@click.option("--priv-proto", type=click.Choice(list(PRIV_PROTOCOLS), case_sensitive=False), default="AES")
@click.option("--timeout", "timeout_s", type=click.FloatRange(0.1, 30), default=1.0, show_default=True,
              help="Seconds per request.")
@click.option("--retries", type=click.IntRange(0, 10), default=1, show_default=True)
@click.option("--all", "poll_all", is_flag=True, help="Poll every configured device and store the polls.")
@click.option("--save", is_flag=True, help="Configure --target as a device to poll (needs --unit).")
@click.option("--unit", "unit_code", default=None, metavar="CODE", help="With --save: the device's unit.")
@click.option("--name", default="", help="With --save: a name for the device.")
@click.option("--dedicated-line-if", default=None, metavar="IF",
              help="With --save: the interface carrying the dedicated data line (đường truyền số liệu chuyên dùng).")
@click.option("--internet-if", default=None, metavar="IF", help="With --save: the Internet uplink interface.")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text.")
@db_option
@cli_errors
def scan_snmp(target: str | None, community: str | None, v3_user: str | None, auth_key: str | None,
              priv_key: str | None, auth_proto: str, priv_proto: str, timeout_s: float, retries: int,
              poll_all: bool, save: bool, unit_code: str | None, name: str, dedicated_line_if: str | None,
              internet_if: str | None, as_json: bool, db_url: str | None) -> None:
    """Poll a router or switch over SNMP (v2c or v3 authPriv): system group and interfaces.

    A poll of a configured device is stored and compared with the previous one (interfaces
    down, reboot, utilisation). --save configures the target; --all polls every configured device.
    """
    if poll_all:
        if target or save:
            raise click.UsageError("--all polls the configured devices: give no --target / --save with it")
        _poll_configured(timeout_s, retries, as_json, db_url)
        return
    if not target:
        raise click.UsageError("give --target HOST[:PORT] (or --all)")
    credentials = _credentials(community, v3_user, auth_key, priv_key, auth_proto, priv_proto)
    from collector.network.snmp import target_of

    try:
        snmp_target = target_of(target, credentials, timeout_s=timeout_s, retries=retries,
                                deadline_s=max(5.0, timeout_s * (retries + 1) * 4))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--target") from exc
    if save:
        _save_device(snmp_target, unit_code, name, dedicated_line_if, internet_if, db_url)
    _poll_one(snmp_target, as_json, db_url)


def _credentials(community: str | None, v3_user: str | None, auth_key: str | None, priv_key: str | None,
                 auth_proto: str, priv_proto: str) -> Credentials:
    if (community is None) == (v3_user is None):
        raise click.UsageError("give either --community (v2c) or --v3-user with --auth-key and --priv-key (v3)")
    if community is not None:
        return V2c(community)
    if not auth_key or not priv_key:
        raise click.UsageError("--v3-user needs --auth-key and --priv-key (authPriv)")
    credentials = V3(user=v3_user or "", auth_key=auth_key, priv_key=priv_key, auth_protocol=auth_proto.upper(),
                     priv_protocol=priv_proto.upper())
    from collector.network.snmp import check_credentials

    try:
        check_credentials(credentials)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    return credentials


def _save_device(target: SnmpTarget, unit_code: str | None, name: str, dedicated_line_if: str | None,
                 internet_if: str | None, db_url: str | None) -> None:
    from collector.store.snmp import add_snmp_device, set_link

    if not unit_code:
        raise InvalidInput("--save needs --unit CODE (the unit the device belongs to)")
    with db_session(db_url) as session:
        device = add_snmp_device(session, unit_code, name, target.host, target.port, target.credentials,
                                 clock.utcnow())
        for kind, interface in ((LinkKind.DEDICATED_LINE, dedicated_line_if), (LinkKind.INTERNET, internet_if)):
            if interface:
                set_link(session, unit_code, kind, device.id, interface, [])
    click.echo(f"Đã lưu thiết bị / Device saved: {target.host}:{target.port} (id {device.id})", err=True)


def _poll_one(target: SnmpTarget, as_json: bool, db_url: str | None) -> None:
    from collector.network.snmp import poll
    from collector.store.snmp import configured_device_id, record_poll

    result = poll([target])[0]
    outcome = None
    if database_exists(db_url or default_db_url()):  # an ad hoc poll needs no database; a configured one is stored
        with db_session(db_url) as session:
            device_id = configured_device_id(session, target)
            if device_id is not None:
                outcome = record_poll(session, device_id, result)
    if as_json:
        echo_json({"result": _result_json(result), "stored": outcome is not None,
                   "changes": outcome.changes if outcome else [], "usage": outcome.usage if outcome else []})
    else:
        _print_poll(result, outcome)
    if not result.ok:
        raise SystemExit(1)


def _poll_configured(timeout_s: float, retries: int, as_json: bool, db_url: str | None) -> None:
    from collector.network.snmp import poll
    from collector.store.snmp import configured_targets, record_poll

    with db_session(db_url) as session:
        configured = configured_targets(session, timeout_s=timeout_s, retries=retries)
    results = poll([target for _id, target in configured])
    with db_session(db_url) as session:
        outcomes = [record_poll(session, device_id, result) for (device_id, _t), result in zip(configured, results,
                                                                                              strict=True)]
    if as_json:
        echo_json([{"device_id": outcome.device_id, "result": _result_json(result), "changes": outcome.changes,
                    "usage": outcome.usage} for outcome, result in zip(outcomes, results, strict=True)])
        return
    for outcome, result in zip(outcomes, results, strict=True):
        _print_poll(result, outcome)
    if not configured:
        click.echo("Chưa cấu hình thiết bị nào / No device configured (scan snmp --target ... --save --unit CODE)")


def _result_json(result: PollResult) -> dict[str, Any]:
    data: dict[str, Any] = msgspec.to_builtins(result)
    data["ok"] = result.ok
    return data


def _print_poll(result: PollResult, outcome: Any) -> None:
    click.echo(f"== {result.host}:{result.port} ({result.elapsed_ms:.0f} ms)")
    if not result.ok:
        click.echo(f"Lỗi / Error [{result.error_kind}]: {result.error}", err=True)
    else:
        uptime = f"{result.uptime_ticks / 100:.0f} s" if result.uptime_ticks is not None else "?"
        click.echo(f"Tên / sysName: {result.sys_name}\nMô tả / sysDescr: {result.sys_descr}\n"
                   f"Vị trí / sysLocation: {result.sys_location}\nThời gian chạy / uptime: {uptime}")
        click.echo(f"{'#':>4} {'Cổng / Interface':<20} {'Admin':>5} {'Oper':>5} {'Tốc độ / Speed':>15} "
                   f"{'In octets':>16} {'Out octets':>16} bits")
        for item in result.interfaces:
            speed = f"{item.speed_bps / 1e6:g} Mb/s" if item.speed_bps else "?"
            click.echo(f"{item.index:>4} {item.name[:20]:<20} {item.admin_status or '?':>5} "
                       f"{item.oper_status or '?':>5} {speed:>15} {item.in_octets or 0:>16} "
                       f"{item.out_octets or 0:>16} {item.counter_bits}")
    if outcome is not None:
        for change in outcome.changes:
            click.echo(f"Thay đổi / Change: {change.kind} {change.interface} {change.detail}".rstrip())
        for usage in outcome.usage:
            if usage.utilisation is not None:
                click.echo(f"Sử dụng / Utilisation {usage.name}: {usage.utilisation:.1%}")
