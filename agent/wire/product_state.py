"""Security Center's ``productState`` (the ``state_raw`` of an antivirus product in the report),
decoded: the agent judges products on it, the dashboard says it in words.

productState is undocumented; community decoding (shared/reference, endpoint-formats §1a): state
nibble 0x0000F000, signature nibble 0x000000F0, owner nibble 0x00000F00. The documented WSC_* enums
differ."""

from __future__ import annotations

import msgspec

WSC_STATES = {0x0: "off", 0x1: "on", 0x2: "snoozed", 0x3: "expired"}
WSC_OWNER_MICROSOFT = 0x1


class ProductState(msgspec.Struct, frozen=True):
    state: str  # "off", "on", "snoozed", "expired", "unknown"
    signatures_up_to_date: bool
    microsoft: bool


def parse_product_state(value: int) -> ProductState:
    """SecurityCenter2's ``productState`` decoded (397568 = 0x061100: on, up to date, Microsoft)."""
    return ProductState(
        state=WSC_STATES.get((value >> 12) & 0xF, "unknown"),
        signatures_up_to_date=(value >> 4) & 0xF == 0,
        microsoft=(value >> 8) & 0xF == WSC_OWNER_MICROSOFT,
    )
