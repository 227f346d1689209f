"""``canhgac demo``: a simulated commune to look around in."""

from __future__ import annotations

import dataclasses
import signal
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from agent.wire import clock
from canhgac.cli_support import check_port_free
from canhgac.collector_options import collector_options
from collector.config import CollectorConfig

if TYPE_CHECKING:
    from server.demo_snmpd import DemoSnmpd


@click.command()
@click.option("--db", "db_url", envvar="CANHGAC_DB", show_envvar=True, default=None, metavar="URL",
              help="Database to fill. Default: a new SQLite file in a temporary folder.")
@click.option("--seed-only", is_flag=True, help="Fill the database, then exit (run `canhgac serve` on it later).")
@collector_options("port", "rules_dir")
def demo(db_url: str | None, seed_only: bool, config: CollectorConfig) -> None:
    """Start the server on a demo database fed with the Tân Hòa office (15 officials in its
    register, 16 PCs, one offline PC) and two neighbouring communes, through the real enroll and
    report path, two rounds of reports 20 days apart (on 127.0.0.1; --port 0 picks a free port).
    The province's settings (its KMS host, its target) are server/demo_rules unless --rules-dir."""
    from collector.db import open_database
    from server.demo import (
        DEMO_ADMIN,
        DEMO_OFFICER,
        DEMO_PASSWORD,
        DEMO_RULES_DIR,
        DemoClock,
        HttpDelivery,
        RunningServer,
        demo_count,
        is_seeded,
        seed_demo,
    )

    if db_url is None:
        db_url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='canhgac-demo-')) / 'canhgac.db'}"
    config = dataclasses.replace(config, db_url=db_url, port=0 if seed_only else config.port,
                                 rules_dir=config.rules_dir or DEMO_RULES_DIR)
    check_port_free(config.host, config.port)
    db = open_database(db_url)
    demo_clock = DemoClock()
    server = RunningServer(config, db, demo_clock)
    base_url = server.start()
    router = start_router()
    signal.signal(signal.SIGTERM, _interrupt)  # `kill`, systemd: stop like Ctrl-C (snmpd with it)
    try:
        if is_seeded(db):
            click.echo("Dữ liệu mẫu đã có / demo data already there: not seeding again", err=True)
        else:
            with click.progressbar(length=demo_count(), label="Gửi báo cáo / sending reports",
                                   file=click.get_text_stream("stderr")) as bar:
                access = seed_demo(db, server.state.rules, clock.utcnow(), HttpDelivery(base_url, server.state),
                                   demo_clock.set, lambda done, total: bar.update(1),
                                   router.address if router else None)
            demo_clock.set(None)
            click.echo(f"{demo_count() // 2} máy / machines enrolled and reported twice, 20 days apart", err=True)
            click.echo(f"admin: {DEMO_ADMIN} / {DEMO_PASSWORD}   API token: {access.admin_token}")
            click.echo(f"officer (Tân Hòa): {DEMO_OFFICER} / {DEMO_PASSWORD}   API token: {access.officer_token}")
        click.echo(f"database: {db_url}")
        if seed_only:
            return
        click.echo(f"canhgac demo: dashboard / bảng điều khiển {base_url}/ "
                   f"(sign in as {DEMO_ADMIN} or {DEMO_OFFICER})")
        click.echo(f"API: {base_url}/api/v1/machines  (OpenAPI: {base_url}/api/v1/openapi.json)")
        click.echo("Ctrl-C để dừng / to stop", err=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        if router is not None:
            router.stop()
        server.stop()
        db.dispose()


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def start_router() -> DemoSnmpd | None:
    """Tân Hòa's router: a real snmpd on loopback when the package is installed (None otherwise,
    and the demo stores sample polls marked as such)."""
    from server.demo_snmpd import DemoSnmpd, snmpd_binary

    binary = snmpd_binary()
    if binary is None:
        click.echo("snmpd không có / not installed: the router's polls are a stored sample", err=True)
        return None
    router = DemoSnmpd(Path(tempfile.mkdtemp(prefix="canhgac-demo-snmpd-")), binary)
    try:
        router.start()
    except (OSError, RuntimeError) as exc:
        click.echo(f"snmpd did not start ({exc}): the router's polls are a stored sample", err=True)
        return None
    pid = router.process.pid if router.process else "?"
    click.echo(f"router / bộ định tuyến (snmpd, pid {pid}): {router.address}", err=True)
    return router
