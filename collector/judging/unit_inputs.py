"""What a unit's verdicts depend on, as the digest the scan keeps in the unit's mark (scan_marks,
subject "unit:<code>"; collector.judging.scan judges the unit rules).

The unit rules read the unit's facts alone (rules.facts.unit_facts: its machines counted, the
dedicated line, the LAN, licences, readiness below target), with the rules, overrides and
indicators (collector.judging.machine_inputs.rules_fingerprint) and which dated rules are active.
A unit whose digest equals its mark's would get the same findings again: judging it would only
count its firing alerts once more and move their last-seen time. So it is skipped, and judged
again when a fact or a rule changes, and once a day (the day is in the digest: the firing alerts'
count and last-seen time move daily, as the unjudged machines' readiness rows do).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any


def unit_digest(fingerprint: str, now: datetime, unit_id: int, chain: tuple[str, ...],
                facts: Mapping[str, Any]) -> str:
    """The digest of what the unit rules judge this unit on today (see the module)."""
    # Unit facts are plain JSON values (rules.facts.unit_facts): written as they are.
    shared = [fingerprint, now.date().isoformat(), unit_id, list(chain), dict(facts)]
    return hashlib.sha256(json.dumps(shared, default=str, sort_keys=True).encode()).hexdigest()
