"""Rules benchmark: the built-in packs over N synthetic machines' facts (one CEL context per
machine, every machine rule judged). Prints evaluations per second and the sweep's wall time.

    python bench/rules.py [--machines 100000] [--seed 1] [--json]

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

from rules.engine import compile_rules, evaluate
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
        "os.update_age_days": maybe(rng.randint(0, 120)),
        "av.installed": installed,
        "av.any_enabled": installed and rng.random() > 0.05,
        "av.realtime_on": installed and rng.random() > 0.05,
        "av.signature_age_days": maybe(rng.randint(0, 30)),
        "av.detections": 1 if rng.random() < 0.01 else 0,
        "av.licensed": rng.random() > 0.1,
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
        "fw.enabled": maybe(rng.random() > 0.1),
        "screen_lock.timeout_s": maybe(rng.choice([0, 300, 600, 900, 1800])),
        "autorun.disabled": maybe(rng.random() > 0.3),
        "smb1.enabled": maybe(rng.random() < 0.1),
        "accounts.enabled_admins": None,
        "software.count": 40,
        "software.remote_access": ["UltraViewer"] if rng.random() < 0.1 else [],
        "software.cloud_sync": [],
        "software.chat": ["Zalo"] if rng.random() < 0.3 else [],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machines", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    loaded = load_builtin()
    ruleset, errors = compile_rules(loaded.rules)
    assert not errors, errors
    machine_rules = [c for c in ruleset.rules if c.rule.scope is RuleScope.MACHINE]
    assert set(synthetic_facts(random.Random(0))) == {f.name for f in CATALOGUE if f.scope == "machine"}
    rng = random.Random(args.seed)
    fleet = [synthetic_facts(rng) for _ in range(args.machines)]
    started = time.perf_counter()
    findings = 0
    for index, facts in enumerate(fleet):
        findings += len(evaluate(ruleset, facts, NOW, subject=f"machine:{index}"))
    sweep = time.perf_counter() - started
    evaluations = args.machines * len(machine_rules)
    result = {"machines": args.machines, "rules": len(machine_rules), "sweep_s": round(sweep, 3),
              "evals_per_s": round(evaluations / sweep), "findings": findings}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{args.machines} machines x {len(machine_rules)} machine rules: sweep {sweep:.2f} s, "
              f"{evaluations / sweep:,.0f} evaluations/s, {findings} findings (firing or unknown)")


if __name__ == "__main__":
    main()
