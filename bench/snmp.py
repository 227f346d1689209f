"""SNMP polling benchmark against a real snmpd on a loopback port: K full polls (system group +
IF-MIB interface table) at once under the collector's concurrency bound; prints polls/s and p99.

    .venv/bin/python bench/snmp.py [--polls 200] [--concurrency 64] [--v3] [--json]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from collector.network.snmp import V3, V2c, poll, target_of  # noqa: E402
from tests.fixtures.snmp.agent import COMMUNITY, V3_AUTH_KEY, V3_PRIV_KEY, V3_USER, running_snmpd  # noqa: E402


@click.command()
@click.option("--polls", type=click.IntRange(1, 10_000), default=200, show_default=True)
@click.option("--concurrency", type=click.IntRange(1, 1000), default=64, show_default=True)
@click.option("--v3", "use_v3", is_flag=True, help="SNMPv3 authPriv (SHA/AES) instead of v2c.")
@click.option("--json", "as_json", is_flag=True)
def main(polls: int, concurrency: int, use_v3: bool, as_json: bool) -> None:
    credentials = V3(V3_USER, V3_AUTH_KEY, V3_PRIV_KEY) if use_v3 else V2c(COMMUNITY)
    with tempfile.TemporaryDirectory() as workdir, running_snmpd(Path(workdir)) as agent:
        targets = [target_of(agent.address, credentials, timeout_s=2.0, retries=1) for _ in range(polls)]
        started = time.monotonic()
        results = poll(targets, concurrency=concurrency)
        wall = time.monotonic() - started
    failed = [result.error for result in results if not result.ok]
    latencies = sorted(result.elapsed_ms for result in results)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    summary = {"polls": polls, "wall_s": round(wall, 3), "polls_per_s": round(polls / wall, 1),
               "p99_ms": round(p99, 1)}
    if as_json:
        click.echo(json.dumps({**summary, "failed": len(failed)}))
    else:
        click.echo(f"{polls} polls ({'v3 authPriv' if use_v3 else 'v2c'}, concurrency {concurrency}) in "
                   f"{wall:.2f} s: {polls / wall:.0f} polls/s, p99 {p99:.0f} ms, failed {len(failed)}")
    if failed:
        raise click.ClickException(f"{len(failed)} polls failed, e.g. {failed[0]}")


if __name__ == "__main__":
    main()
