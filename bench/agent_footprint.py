"""Agent footprint: run ``canhgac agent collect`` as a process several times and print the median
peak RSS (MB), CPU seconds (user + system, including the programs the probes run) and report
size (bytes, and gzip-compressed as it travels).

    python bench/agent_footprint.py [--runs 5] [--json] [--breakdown]

``--json`` prints one object ``{"peak_rss_mb", "cpu_s", "report_bytes", "report_gzip_bytes"}``.
``--breakdown`` adds what dominates: the interpreter alone, the imports, and each probe's CPU.

Safety: the agent runs with gateway probing off and no Internet or dedicated-line target (only
``--loopback-target`` adds a TCP target on 127.0.0.1), so nothing leaves this machine.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAFE_ENV = {"CANHGAC_PROBE_GATEWAY": "false", "CANHGAC_INTERNET_TARGETS": "", "CANHGAC_DEDICATED_LINE_TARGETS": ""}
TARGETS = {"peak_rss_mb": 30.0, "cpu_s": 0.3}

BREAKDOWN = """
import json, resource, time
from datetime import UTC, datetime
def cpu():
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
start = cpu()
import canhgac.cli, agent.report
from agent.probes import PROBES, ProbeContext
imported = cpu()
ctx = ProbeContext(now=datetime.now(UTC))
probes = {}
for name, probe in PROBES.items():
    before = cpu()
    probe(ctx)
    probes[name] = round(cpu() - before, 4)
print(json.dumps({"imports_cpu_s": round(imported - start, 4), "probes_cpu_s": probes}))
"""


def measure(argv: list[str], env: dict[str, str]) -> tuple[float, float, bytes]:
    """(peak RSS in MB, CPU seconds, stdout) of one run, from the kernel's rusage of the child."""
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    out = process.stdout.read() if process.stdout else b""
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {process.returncode}")
    # ru_maxrss is in KiB on Linux (bytes on macOS)
    rss_mb = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return rss_mb, usage.ru_utime + usage.ru_stime, out


def run_collect(runs: int, env: dict[str, str]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as state_dir:
        argv = [sys.executable, "-m", "canhgac", "agent", "collect", "--state-dir", state_dir]
        samples = [measure(argv, env) for _ in range(runs)]
    report = samples[-1][2].strip()
    return {
        "peak_rss_mb": round(statistics.median(s[0] for s in samples), 1),
        "cpu_s": round(statistics.median(s[1] for s in samples), 3),
        "report_bytes": len(report),
        "report_gzip_bytes": len(gzip.compress(report, compresslevel=6, mtime=0)),
    }


def run_breakdown(env: dict[str, str]) -> dict[str, object]:
    bare_rss, bare_cpu, _ = measure([sys.executable, "-c", "pass"], env)
    import_rss, import_cpu, _ = measure([sys.executable, "-c", "import canhgac.cli, agent.report"], env)
    done = subprocess.run([sys.executable, "-c", BREAKDOWN], capture_output=True, env=env, cwd=ROOT, check=True)
    detail = json.loads(done.stdout)
    return {"python_alone": {"peak_rss_mb": round(bare_rss, 1), "cpu_s": round(bare_cpu, 3)},
            "python_with_agent_imports": {"peak_rss_mb": round(import_rss, 1), "cpu_s": round(import_cpu, 3)},
            **detail}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--breakdown", action="store_true", help="also show what the CPU goes to")
    parser.add_argument("--loopback-target", action="store_true",
                        help="add a TCP Internet target on 127.0.0.1 (a closed port) to include a probe")
    args = parser.parse_args()
    env = {**os.environ, **SAFE_ENV}
    if args.loopback_target:
        env["CANHGAC_INTERNET_TARGETS"] = "127.0.0.1:9"
    started = time.perf_counter()
    result: dict[str, object] = dict(run_collect(args.runs, env))
    if args.breakdown:
        result["breakdown"] = run_breakdown(env)
    if args.json:
        print(json.dumps(result))
        return
    print(f"canhgac agent collect, median of {args.runs} runs ({time.perf_counter() - started:.1f} s in all):")
    print(f"  peak RSS   {result['peak_rss_mb']} MB   (target < {TARGETS['peak_rss_mb']:g})")
    print(f"  CPU        {result['cpu_s']} s    (target < {TARGETS['cpu_s']:g}, includes programs the probes run)")
    print(f"  report     {result['report_bytes']} bytes, {result['report_gzip_bytes']} gzip-compressed")
    if args.breakdown:
        print(json.dumps(result["breakdown"], indent=2))


if __name__ == "__main__":
    main()
