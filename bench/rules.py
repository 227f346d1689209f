"""Rules benchmark: the built-in packs over N synthetic machines' facts (one CEL context per
machine, every machine rule judged). Prints evaluations per second and the sweep's wall time.

    python bench/rules.py [--machines 10000 100000 200000] [--seed 1] [--json]

Each size is judged twice in the same run: machine by machine (``evaluate``, what ingest does per
report) and the whole fleet rule by rule (``evaluate_fleet``, what the scan's full sweep does);
both give the same findings (asserted), the ratio says what the bulk path buys.

Pure CPU: no database, no network. Facts are drawn so that some rules fire, some pass and some
judge unknown, as in a real fleet.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rules.engine import RuleSet, compile_rules, evaluate, evaluate_fleet
from rules.facts import CATALOGUE
from rules.loader import load_builtin
from rules.model import RuleScope

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def synthetic_facts(rng: random.Random) -> dict[str, Any]:
    offline = rng.random() < 0.06
    maybe = lambda value: None if rng.random() < 0.05 else value  # noqa: E731 - some facts unknown
    installed = rng.random() > 0.05
    return {
        "role": "offline" if offline else "normal",
        "report.via_network": not offline,
        "os.name": rng.choice(["Windows 11", "Windows 10", "Windows 7", "Debian GNU/Linux 12"]),
        "os.activated": maybe(rng.random() > 0.1),
        "os.licence_channel": rng.choice(["Retail", "OEM:DM", "Volume:GVLK"]),
        "os.kms_host": "",
        "os.kms_accepted": None,
        "os.update_age_days": maybe(rng.randint(0, 120)),
        "av.installed": installed,
        "av.any_enabled": installed and rng.random() > 0.05,
        "av.realtime_on": installed and rng.random() > 0.05,
        "av.signature_age_days": maybe(rng.randint(0, 30)),
        "av.detections": 1 if rng.random() < 0.01 else 0,
        "av.active_detections": 1 if rng.random() < 0.003 else 0,
        "av.detection_list": [],
        "av.licensed": rng.random() > 0.1,
        "av.licence_product": "Windows Defender" if installed else None,
        "av.licence_days_left": maybe(rng.randint(-10, 400)) if rng.random() < 0.2 else None,
        "av.protecting": ["Windows Defender"] if installed else [],
        "av.disabled_products": [],
        "av.products": ["Windows Defender"] if installed else [],
        "backup.configured": maybe(rng.random() > 0.2),
        "backup.age_days": maybe(rng.randint(0, 400)),
        "hw.age_years": maybe(rng.randint(0, 14)),
        "hw.ram_mib": rng.choice([2048, 4096, 8192, 16384]),
        "hw.disk_gb": rng.choice([120, 256, 500, 1000]),
        "net.connected": not offline or rng.random() < 0.02,
        "net.default_route": not offline,
        "net.dhcp": not offline,
        "net.gateway_reachable": maybe(not offline),
        "net.internet_reachable": maybe(not offline),
        "net.dedicated_line_reachable": maybe(rng.random() > 0.2),
        "net.wireless_present": rng.random() < 0.3,
        "net.wireless_enabled": rng.random() < 0.1,
        "net.wifi_profiles": rng.randint(0, 3) if rng.random() < 0.2 else 0,
        "net.profiles": rng.randint(0, 5),
        "net.new_profiles": 0,
        "evidence.network_since_last_report": not offline or rng.random() < 0.02,
        "evidence.beyond_lan_since_last_report": not offline,
        "lan.mac_seen": None,
        "agent.silent_hours": rng.randint(0, 100),
        "agent.rejected_reports": 0,
        "agent.reenrolled": rng.random() < 0.01,
        "agent.key_age_hours": rng.randint(0, 9000),
        "agent.reports_held": 1 if rng.random() < 0.01 else 0,
        "fw.enabled": maybe(rng.random() > 0.1),
        "screen_lock.timeout_s": maybe(rng.choice([0, 300, 600, 900, 1800])),
        "autorun.disabled": maybe(rng.random() > 0.3),
        "smb1.enabled": maybe(rng.random() < 0.1),
        "accounts.enabled_admins": None,
        "cert.signing_days_left": maybe(rng.randint(-30, 700)),
        "cert.signing": rng.random() > 0.3,
        "machine.agentless": False,
        "software.count": 40,
        "software.remote_access": ["UltraViewer"] if rng.random() < 0.1 else [],
        "software.cloud_sync": [],
        "software.chat": ["Zalo"] if rng.random() < 0.3 else [],
    }


def sweep(ruleset: RuleSet, fleet: list[dict[str, Any]], *, whole_fleet: bool) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, findings) of judging every machine: per machine (``evaluate``, as
    ingest does) or the whole fleet rule by rule (``evaluate_fleet``, as the scan does). Memos
    start empty. CPU seconds are this process's: on a shared machine they move less than wall time."""
    ruleset = RuleSet(rules=ruleset.rules)
    started, cpu = time.perf_counter(), time.process_time()
    if whole_fleet:
        results = evaluate_fleet(ruleset, [(f"machine:{i}", facts) for i, facts in enumerate(fleet)], NOW)
    else:
        results = [evaluate(ruleset, facts, NOW, subject=f"machine:{i}") for i, facts in enumerate(fleet)]
    return time.perf_counter() - started, time.process_time() - cpu, sum(map(len, results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machines", type=int, nargs="+", default=[100_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    loaded = load_builtin()
    ruleset, errors = compile_rules(loaded.rules)
    assert not errors, errors
    machine_rules = [c for c in ruleset.rules if c.rule.scope is RuleScope.MACHINE]
    assert set(synthetic_facts(random.Random(0))) == {f.name for f in CATALOGUE if f.scope == "machine"}
    for machines in args.machines:
        rng = random.Random(args.seed)
        fleet = [synthetic_facts(rng) for _ in range(machines)]
        one_by_one, one_by_one_cpu, findings = sweep(ruleset, fleet, whole_fleet=False)
        whole, whole_cpu, fleet_findings = sweep(ruleset, fleet, whole_fleet=True)
        assert fleet_findings == findings, (fleet_findings, findings)
        evaluations = machines * len(machine_rules)
        result = {"machines": machines, "rules": len(machine_rules), "sweep_s": round(whole, 3),
                  "sweep_cpu_s": round(whole_cpu, 3), "per_machine_s": round(one_by_one, 3),
                  "per_machine_cpu_s": round(one_by_one_cpu, 3), "evals_per_s": round(evaluations / whole),
                  "findings": findings, "us_per_machine": round(whole / machines * 1e6, 2)}
        if args.json:
            print(json.dumps(result))
        else:
            print(f"{machines} machines x {len(machine_rules)} machine rules: sweep {whole:.2f} s "
                  f"(CPU {whole_cpu:.2f} s, {whole_cpu / machines * 1e6:.1f} µs/machine); one by one "
                  f"{one_by_one:.2f} s (CPU {one_by_one_cpu:.2f} s, ratio {one_by_one_cpu / whole_cpu:.1f}); "
                  f"{findings} findings (firing or unknown)")


if __name__ == "__main__":
    main()
