"""OS activation as the readiness figure counts it (pure): activated, and for a volume (GVLK)
activation only through a KMS host the unit accepts (the ``os_activated`` indicator's
``kms_hosts``, per unit; empty: any host). A KMS host that is not the province's is what
activation cracks give ("KMS crack")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agent.wire.schema import Licence


def kms_accepted(licence: Licence | None, hosts: Sequence[str]) -> bool | None:
    """Whether a volume (GVLK) activation's KMS host is accepted; None when it is not a KMS
    activation or its host was not read while a list is set (never a silent pass)."""
    if licence is None or "gvlk" not in licence.os_licence_channel.lower():
        return None
    if not hosts:
        return True
    host = _host(licence.kms_host)
    return None if not host else host in {_host(h) for h in hosts}


def _host(raw: str) -> str:
    host = raw.strip().lower().rstrip(".")
    if host.count(":") == 1:  # "kms.example:1688"; an IPv6 address has more colons
        host = host.split(":", 1)[0]
    return host.strip("[]").rstrip(".")


def activation_facts(licence: Licence | None, hosts: Sequence[str]) -> dict[str, Any]:
    """The ``os.*`` activation facts of rules.facts.CATALOGUE."""
    if licence is None:
        return {"os.activated": None, "os.licence_channel": None, "os.kms_host": None, "os.kms_accepted": None}
    accepted = kms_accepted(licence, hosts)
    activated = licence.os_activated
    if activated and "gvlk" in licence.os_licence_channel.lower():
        activated = accepted
    return {"os.activated": activated, "os.licence_channel": licence.os_licence_channel or None,
            "os.kms_host": licence.kms_host, "os.kms_accepted": accepted}
