"""Agent footprint: run ``canhgac agent collect`` as a process several times and print the median
peak RSS (MB), CPU seconds (user + system, including the programs the probes run) and report
size (bytes, and gzip-compressed as it travels).

    python bench/agent_footprint.py [--runs 5] [--json] [--breakdown]

``--json`` prints one object ``{"peak_rss_mb", "cpu_s", "report_bytes", "report_gzip_bytes"}``.
``--breakdown`` adds what dominates (medians over the same number of runs): the interpreter
alone, the interpreter with the modules ``agent collect`` imports, and each probe's CPU (its own
and that of the programs it runs).

Bytecode: an installed agent (pip install of the wheel) has its ``.pyc`` compiled at install
time, like the standard library and the other packages. This checkout may not (an editable
install; PYTHONDONTWRITEBYTECODE may be set), so a plain run would compile the project's sources
on every run and count that. The bench therefore points PYTHONPYCACHEPREFIX at a temporary
folder (which redirects every ``.pyc`` lookup: standard library, site-packages and project),
fills it with one untimed warm-up run of each measured command with bytecode writing allowed,
then times runs that read it and write nothing. Nothing else is cached between runs: each run
is a fresh interpreter that imports, probes and runs its programs in full.

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
AGENT_IMPORTS = "import canhgac.cli, canhgac.agent_commands, gc; gc.freeze()"
"""What ``canhgac agent collect`` imports before it runs the probes (cli loads agent_commands),
then the gc.freeze() the ``agent`` group does before any of its commands."""

BREAKDOWN = f"""
import json, resource, time
from datetime import UTC, datetime
def cpu():
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime
start = cpu()
{AGENT_IMPORTS}
from agent.probes import PROBES, ProbeContext
imported = cpu()
ctx = ProbeContext(now=datetime.now(UTC))
probes, programs = {{}}, {{}}
for name, probe in PROBES.items():
    before = cpu()
    probe(ctx)
    after = cpu()
    probes[name] = round(sum(after) - sum(before), 4)
    programs[name] = round(after[1] - before[1], 4)
print(json.dumps({{"imports_cpu_s": round(sum(imported) - sum(start), 4), "probes_cpu_s": probes,
                  "programs_cpu_s": programs}}))
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


def warm_up(argv: list[str], env: dict[str, str]) -> None:
    """One untimed run with bytecode writing allowed: every module it imports gets its .pyc in
    the PYTHONPYCACHEPREFIX folder of ``env``, as an installed agent has them."""
    writing = {key: value for key, value in env.items() if key != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=writing, cwd=ROOT, check=True)


def timed_runs(argv: list[str], env: dict[str, str], runs: int) -> list[tuple[float, float, bytes]]:
    warm_up(argv, env)
    return [measure(argv, env) for _ in range(runs)]


def run_collect(runs: int, env: dict[str, str]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as state_dir:
        argv = [sys.executable, "-m", "canhgac", "agent", "collect", "--state-dir", state_dir]
        samples = timed_runs(argv, env, runs)
    report = samples[-1][2].strip()
    return {
        "peak_rss_mb": round(statistics.median(s[0] for s in samples), 1),
        "cpu_s": round(statistics.median(s[1] for s in samples), 3),
        "report_bytes": len(report),
        "report_gzip_bytes": len(gzip.compress(report, compresslevel=6, mtime=0)),
    }


def run_breakdown(runs: int, env: dict[str, str]) -> dict[str, object]:
    """Medians over ``runs`` fresh interpreters of each figure."""
    parts: dict[str, object] = {}
    for name, code in (("python_alone", "pass"), ("python_with_agent_imports", AGENT_IMPORTS)):
        samples = timed_runs([sys.executable, "-c", code], env, runs)
        parts[name] = {"peak_rss_mb": round(statistics.median(s[0] for s in samples), 1),
                       "cpu_s": round(statistics.median(s[1] for s in samples), 3)}
    details = [json.loads(out) for _rss, _cpu, out in timed_runs([sys.executable, "-c", BREAKDOWN], env, runs)]
    parts["imports_cpu_s"] = round(statistics.median(d["imports_cpu_s"] for d in details), 4)
    for key in ("probes_cpu_s", "programs_cpu_s"):
        parts[key] = {name: round(statistics.median(d[key][name] for d in details), 4) for name in details[0][key]}
    return parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--breakdown", action="store_true", help="also show what the CPU goes to")
    parser.add_argument("--loopback-target", action="store_true",
                        help="add a TCP Internet target on 127.0.0.1 (a closed port) to include a probe")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="canhgac-pyc-") as pycache:
        env = {**os.environ, **SAFE_ENV, "PYTHONPYCACHEPREFIX": pycache, "PYTHONDONTWRITEBYTECODE": "1"}
        if args.loopback_target:
            env["CANHGAC_INTERNET_TARGETS"] = "127.0.0.1:9"
        result: dict[str, object] = dict(run_collect(args.runs, env))
        if args.breakdown:
            result["breakdown"] = run_breakdown(args.runs, env)
    if args.json:
        print(json.dumps(result))
        return
    print(f"canhgac agent collect, median of {args.runs} runs ({time.perf_counter() - started:.1f} s in all), "
          "imports from .pyc compiled by an untimed warm-up run (as installed):")
    print(f"  peak RSS   {result['peak_rss_mb']} MB   (target < {TARGETS['peak_rss_mb']:g})")
    print(f"  CPU        {result['cpu_s']} s    (target < {TARGETS['cpu_s']:g}, includes programs the probes run)")
    print(f"  report     {result['report_bytes']} bytes, {result['report_gzip_bytes']} gzip-compressed")
    if args.breakdown:
        print(json.dumps(result["breakdown"], indent=2))


if __name__ == "__main__":
    main()
