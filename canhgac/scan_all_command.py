"""``canhgac scan all``: the scheduled compliance scan, once (rules over every machine and unit)."""

from __future__ import annotations

import click

from agent.wire import clock
from canhgac.cli_support import cli_errors, echo_json, open_existing_database
from canhgac.collector_options import collector_options
from collector.config import CollectorConfig


@click.command("all")
@click.option("--no-network", is_flag=True, help="Only the rules: no LAN sweep, no SNMP poll, no link check.")
@click.option("--full", is_flag=True,
              help="Judge every machine and unit again, not only those whose inputs changed since the last "
                   "scan or whose verdicts the clock may have changed (after restoring a database, or in doubt).")
@click.option("--json", "as_json", is_flag=True)
@collector_options("db_url", "data_dir", "rules_dir", "keep_all_days", "keep_daily_days", "prune_max_seconds")
@cli_errors
def scan_all(no_network: bool, full: bool, as_json: bool, config: CollectorConfig) -> None:
    """The scheduled compliance scan, once: sweep the saved LAN subnets (scan lan --save), poll the
    configured SNMP devices, judge the links, then every machine (backup age, silent agents, MAC
    seen on the LAN...) and every unit (offline PC, dedicated line, unknown devices, licences).
    A part that fails is reported and the others still run; exits 1 if any part failed. Then old
    reports are thinned (--keep-all-days, --keep-daily-days), within --prune-max-seconds.
    A machine or unit is judged again only when what its verdicts depend on changed (README, "The
    incremental scan"); --full judges them all."""
    from dataclasses import asdict

    from collector.judging.rules import load_rules
    from collector.judging.scan import scan_all as run_scan
    from collector.retention import RetentionPolicy
    from collector.store.retention import prune_reports

    db = open_existing_database(config.db_url)
    try:
        if full:
            from collector.store.scan_marks import forget_marks

            with db.session() as session:
                forget_marks(session)
        summary = run_scan(db, clock.utcnow(), load_rules(config.rules_dir), network=not no_network)
        pruned = prune_reports(db, clock.utcnow(), RetentionPolicy(config.keep_all_days, config.keep_daily_days),
                               config.prune_max_seconds)
    finally:
        db.dispose()
    if as_json:
        echo_json({**summary.__dict__, "network": [asdict(part) for part in summary.network],
                   "pruned": asdict(pruned)})
    else:
        for part in summary.network:
            mark = "ok " if part.ok else "LỖI / FAILED"
            click.echo(f"[{part.part}] {part.target}: {mark} {part.detail}")
        click.echo(f"Đã quét / scanned: {summary.machines} máy / machines ({summary.judged} đánh giá lại / "
                   f"judged again), {summary.units} đơn vị / units ({summary.units_judged} đánh giá lại / judged "
                   f"again), {summary.changes} thay đổi cảnh báo / alert changes; {pruned.reports_deleted} báo cáo cũ "
                   f"được lược bớt / old reports thinned" + ("" if pruned.finished else " (tiếp tục lần sau / "
                                                             "to be continued)"))
    if any(not part.ok for part in summary.network):
        raise SystemExit(1)
