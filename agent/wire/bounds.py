"""The limits of every field that crosses the wire, in one place.

Each report, enrollment and acknowledgement field is one of these bounded types, so that the
collector's strict decoding refuses what it could not store (a string longer than its column, a
NUL character that PostgreSQL refuses, an integer past its column, a time without a zone) with a
422 naming the field, and the OpenAPI document publishes the same limits (maxLength, pattern,
minimum, maximum, maxItems). tests/agent/test_schema_limits.py fails on any field left unbounded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

NO_NUL = r"^[^\x00]*$"
"""PostgreSQL text cannot hold U+0000; no string of a report needs it."""

INT32_MAX = 2**31 - 1
"""A column INTEGER on PostgreSQL (reports.sequence, machines.settings_version)."""
INT64_MAX = 2**63 - 1
"""A column BIGINT."""

Uid = Annotated[str, msgspec.Meta(max_length=128, pattern=NO_NUL)]
"""machines.machine_uid."""
ShortText = Annotated[str, msgspec.Meta(max_length=64, pattern=NO_NUL)]
"""Ids, versions, hashes, slugs (agent ids, agent_version, a SHA-256 in hex)."""
Name = Annotated[str, msgspec.Meta(max_length=255, pattern=NO_NUL)]
"""What a column of 255 holds: hostname, OS name, program and product names."""
ListedName = Annotated[str, msgspec.Meta(max_length=255, extra_json_schema={"extra": {"pattern": NO_NUL}})]
"""A Name in the report's longest list (installed programs: up to 4,096 of them, 3 names each),
bounded alike; its no-NUL rule is checked once on the whole body by
``agent.wire.schema.decode_report``, not by a pattern per string (the 450 pattern matches of 150
programs were 120 µs of the 155 µs a report's decode took). OpenAPI still publishes the pattern
(Litestar writes a Meta's ``extra_json_schema["extra"]`` into the field's schema)."""
Text = Annotated[str, msgspec.Meta(max_length=4096, pattern=NO_NUL)]
"""Free text: paths, certificate subjects, error reasons."""

Count = Annotated[int, msgspec.Meta(ge=0, le=INT32_MAX)]
"""A sequence number, a version, a number of things."""
Bytes = Annotated[int, msgspec.Meta(ge=0, le=INT64_MAX)]
"""A size in bytes (10**40 bytes of RAM is no PC's)."""
Measure = Annotated[float, msgspec.Meta(ge=-1e9, le=1e9)]
"""Ages in days, latencies in ms (no infinity: 1e400 in JSON decodes to one)."""
Moment = Annotated[datetime, msgspec.Meta(tz=True)]
"""A time with its zone (UTC on the wire)."""

FEW = msgspec.Meta(max_length=256)
"""The bound of a small list (disks, interfaces, addresses, accounts, errors):
``Annotated[list[Disk], FEW]``."""
MANY = msgspec.Meta(max_length=4096)
"""The bound of a long list (installed programs, network profiles, detections)."""
