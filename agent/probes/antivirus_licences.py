"""Each antivirus product's own licence state (``Licence.antivirus_licences``), from what the
licence probe's script already printed: Windows Security Center's "expired" product state, and
ESET's ``license.lf`` (its ``ACTIVE_PRODUCT``: product name, expiry; its ``LICENSE`` type).

Kaspersky (``LicDaysTillExpiration`` under ``HKLM\\SOFTWARE\\KasperskyLab\\protected``, which the
GLPI agent reads), BKAV and Trend Micro write their licence ends where no public recording was
found (tests/fixtures/windows/README.md says where we looked): they are not read, so their state
stays unknown unless Security Center reports them expired.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from agent import windows
from agent.probes.antivirus import parse_product_state
from agent.wire.schema import AntivirusLicence, LicenceState

SECURITY_CENTER = "Security Center"
ESET_FILE = "ESET license.lf"
# license.lf's LICENSE TYPE: FULL_PAID in the recording; a trial licence's type names it so.
TRIAL_MARK = "TRIAL"


def security_center_licences(items: list[dict[str, Any]]) -> list[AntivirusLicence]:
    """A licence "expired" for every product whose productState says so; the other states
    (on, off, snoozed) say nothing of the licence, so those products are not listed."""
    found = []
    for item in items:
        raw = windows.as_int(item.get("productState"))
        if raw is not None and parse_product_state(raw).state == "expired":
            found.append(AntivirusLicence(product=windows.as_text(item.get("displayName")) or "?",
                                          state=LicenceState.EXPIRED, source=SECURITY_CENTER))
    return found


def parse_eset_license(text: str | None) -> date | None:
    """The end of ESET's licence: the latest ``EXPIRATION_DATE`` of an ``ACTIVE_PRODUCT`` in the
    ``<ESET>`` element of license.lf (``2019-12-11T12:00:00Z``, a UTC date). None when there is no
    file or no active product; the ``FREE_PRODUCT`` element's date is not the licence's end.
    Raises ValueError for text that is not the XML."""
    if not text or not text.strip():
        return None
    root = windows.parse_xml(text)
    dates = [_utc_date(product.get("EXPIRATION_DATE", "")) for product in root.iter("ACTIVE_PRODUCT")]
    found = [value for value in dates if value is not None]
    return max(found) if found else None


def _utc_date(value: str) -> date | None:
    # ESET writes UTC with a Z and, in ISSUE_DATE, seven fractional digits (.0576783Z): the date part is enough.
    found = re.match(r"^(\d{4}-\d{2}-\d{2})T", value.strip())
    return datetime.strptime(found.group(1), "%Y-%m-%d").date() if found else None


def eset_licence(text: str | None, products: list[dict[str, Any]], today: date) -> AntivirusLicence | None:
    """ESET's licence from the ``<ESET>`` element of license.lf: the active product's latest
    expiry, "expired" once that date has passed (the file's own LICENSE_STATUS was true when the
    file was issued, not today), "trial" for a trial licence, else "active". The product is named
    as Security Center names the ESET product when it lists one. None without a file."""
    if not text or not text.strip():
        return None
    root = windows.parse_xml(text)
    expires = parse_eset_license(text)
    active = next(root.iter("ACTIVE_PRODUCT"), None)
    licence_type = next((element.get("TYPE", "") for element in root.iter("LICENSE")), "")
    if expires is not None and expires < today:
        state = LicenceState.EXPIRED
    elif TRIAL_MARK in licence_type.upper():
        state = LicenceState.TRIAL
    elif expires is not None:
        state = LicenceState.ACTIVE
    else:
        state = LicenceState.UNKNOWN
    named = next((windows.as_text(p.get("displayName")) for p in products
                  if windows.as_text(p.get("displayName")).upper().startswith("ESET")), "")
    product = named or (active.get("PRODUCT_NAME", "") if active is not None else "") or "ESET"
    return AntivirusLicence(product=product, state=state, expires=expires, source=ESET_FILE)


def antivirus_licences(products: list[dict[str, Any]], eset_text: str | None, today: date) -> list[AntivirusLicence]:
    """Every licence state readable: ESET's file first (it knows more than Security Center), then
    Security Center's expired products not already listed."""
    found = [licence for licence in (eset_licence(eset_text, products, today),) if licence is not None]
    named = {licence.product.lower() for licence in found}
    return found + [licence for licence in security_center_licences(products) if licence.product.lower() not in named]
