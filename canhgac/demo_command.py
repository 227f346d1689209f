"""``canhgac demo``: a simulated commune to look around in."""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import click

from canhgac.options import collector_config_option


@click.command()
@click.option("--db", "db_url", envvar="CANHGAC_DB", show_envvar=True, default=None, metavar="URL",
              help="Database to fill. Default: a new SQLite file in a temporary folder.")
@click.option("--port", default=8470, show_default=True, type=int, envvar="CANHGAC_PORT", show_envvar=True,
              help="Port to serve on (127.0.0.1); 0 picks a free one.")
@click.option("--seed-only", is_flag=True, help="Fill the database, then exit (run `canhgac serve` on it later).")
@collector_config_option
def demo(db_url: str | None, port: int, seed_only: bool) -> None:
    """Start the server on a demo database fed with the Tân Hòa office (16 officials, 16 PCs,
    one offline PC) and two neighbouring communes, through the real enroll and report path."""
    from collector.config import CollectorConfig
    from collector.db import open_database
    from collector.intake.ingest import IngestLimits
    from server.demo import (
        DEMO_ADMIN,
        DEMO_OFFICER,
        DEMO_PASSWORD,
        RunningServer,
        feed_fleet,
        is_seeded,
        seed_people_and_units,
    )
    from server.demo_fleet import demo_machines

    if db_url is None:
        db_url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='canhgac-demo-')) / 'canhgac.db'}"
    config = CollectorConfig(db_url=db_url, port=0 if seed_only else port)
    db = open_database(db_url)
    server = RunningServer(config, db)
    base_url = server.start()
    try:
        if is_seeded(db):
            click.echo("Dữ liệu mẫu đã có / demo data already there: not seeding again", err=True)
        else:
            tokens, access = seed_people_and_units(db, datetime.now(UTC))
            limits = IngestLimits(config.max_body_bytes, config.signature_window_s)
            with click.progressbar(length=len(demo_machines()), label="Gửi báo cáo / sending reports",
                                   file=click.get_text_stream("stderr")) as bar:
                count = feed_fleet(base_url, db, tokens, limits, lambda done, total: bar.update(1))
            click.echo(f"{count} máy / machines enrolled and reported", err=True)
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
        server.stop()
        db.dispose()
