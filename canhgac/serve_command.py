"""``canhgac serve``: the collector, its API and dashboard, and its scheduler (needs the server extra)."""

from __future__ import annotations

import click

from canhgac.cli_support import check_port_free, cli_errors, open_collector_database
from canhgac.collector_options import collector_options
from collector.config import CollectorConfig


@click.command()
@collector_options()
@cli_errors
def serve(config: CollectorConfig) -> None:
    """Run the collector and the API (SQLite in the data dir unless --db is given), with its
    scheduler: the compliance scan every --scan-interval-minutes, notifications every
    --notify-interval-s through the configured e-mail / webhook channels. Reports, imports and
    scans all judge with the built-in rule packs plus those of --rules-dir. --workers N (PostgreSQL
    only) runs N processes on the one port; the scan and the notifications still run once per
    database (a lease row: collector.store.scan)."""
    import uvicorn

    from collector.store.database import planner_warnings
    from server.app import create_app

    _log_to_stderr(config.log_level)
    check_port_free(config.host, config.port)
    db = open_collector_database(config, create=True)
    for warning in planner_warnings(db.engine):
        click.echo(f"canhgac: {warning}", err=True)
    if config.workers > 1:
        db.dispose()  # migrated and checked once here; each worker opens its own
        _serve_workers(config)
        return
    app = create_app(config, db, keep_dashboard_fresh=True, scheduled=True)
    scheme = "https" if config.tls_cert else "http"
    click.echo(f"canhgac: serving {scheme}://{config.host}:{config.port}/api/v1 on {_safe_url(config.db_url)}",
               err=True)
    if not config.tls_cert:
        click.echo("canhgac: plain HTTP: reports and sign-ins travel unencrypted; use it only on a trusted line "
                   "(--tls-cert/--tls-key for HTTPS) / HTTP không mã hóa", err=True)
    tls = {"ssl_certfile": str(config.tls_cert), "ssl_keyfile": str(config.tls_key)} if config.tls_cert else {}
    uvicorn.run(app, host=config.host, port=config.port, log_level=config.log_level, access_log=False, **tls)


def _serve_workers(config: CollectorConfig) -> None:
    """uvicorn's supervisor binds the port once and starts ``config.workers`` processes that share
    it (the kernel hands each connection to one of them); each builds its app from the
    configuration passed in the environment (canhgac.serve_worker)."""
    import os

    import uvicorn

    from canhgac.serve_worker import CONFIG_ENV, encode_config

    os.environ[CONFIG_ENV] = encode_config(config)
    click.echo(f"canhgac: {config.workers} workers on http{'s' if config.tls_cert else ''}://{config.host}:"
               f"{config.port}/api/v1 on {_safe_url(config.db_url)}", err=True)
    tls = {"ssl_certfile": str(config.tls_cert), "ssl_keyfile": str(config.tls_key)} if config.tls_cert else {}
    uvicorn.run("canhgac.serve_worker:create_worker_app", factory=True, workers=config.workers, host=config.host,
                port=config.port, log_level=config.log_level, access_log=False, **tls)


def _log_to_stderr(level: str) -> None:
    import logging

    logger = logging.getLogger("canhgac")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level.upper())


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
