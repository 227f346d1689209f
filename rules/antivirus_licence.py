"""Whether a machine's antivirus is licensed, judged on the product that protects it (pure).

The product that counts is the one enabled with real-time protection: Windows lists Microsoft
Defender on every PC, so "some listed product is free" would make every Windows PC licensed,
even one whose unregistered "BKAV Pro" runs with Defender switched off. A built-in free product
(Defender, ClamAV) is licensed only when it is itself the protecting product; any other product
by a current entry of the unit's licence register (matching name, not expired, within its seats)
or by the vendor's own licence state; a vendor licence that says expired (or trial) is not
licensed whatever the register says. Nothing enabled: not licensed.
"""

from __future__ import annotations

import enum
import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from agent.wire.schema import Antivirus, AntivirusLicence, AntivirusProduct, Licence
from rules.licences import LicenceCover
from rules.model import Text

BUILTIN_FREE_ANTIVIRUS = ("windows defender", "microsoft defender*", "clamav*")
"""Free products that are licensed as themselves (whole-name patterns, case-insensitive): Security
Center names Defender "Windows Defender", Get-MpComputerStatus's merge "Microsoft Defender
Antivirus", the Linux probe "ClamAV". Whole names, so "Bitdefender" is not Defender."""

_CONTAINED = frozenset({"cleaned", "quarantined", "removed", "blocked"})


class LicenceWhy(enum.StrEnum):
    """Why a machine's antivirus is (not) licensed."""

    FREE = "free"
    REGISTER = "register"
    VENDOR = "vendor"
    NOT_INSTALLED = "not_installed"
    NONE_PROTECTING = "none_protecting"
    NOT_IN_REGISTER = "not_in_register"
    REGISTER_EXPIRED = "register_expired"
    OVER_SEATS = "over_seats"
    VENDOR_EXPIRED = "vendor_expired"
    VENDOR_TRIAL = "vendor_trial"
    UNKNOWN = "unknown"


LICENSED = frozenset({LicenceWhy.FREE, LicenceWhy.REGISTER, LicenceWhy.VENDOR})


@dataclass(frozen=True)
class AvLicenceVerdict:
    licensed: bool | None
    why: LicenceWhy
    product: str = ""
    until: date | None = None
    """When the licence that counts ends (register entry or vendor), where known."""
    seats: int | None = None
    rank: int | None = None
    """This machine's place among the entry's installs (1 = first), for OVER_SEATS."""

    def as_detail(self) -> dict[str, Any]:
        """A plain mapping for the readiness row's detail (explain reads it back)."""
        return {"why": str(self.why), "product": self.product,
                "until": self.until.isoformat() if self.until else None, "seats": self.seats, "rank": self.rank}


_BUILTIN_FREE = re.compile("|".join(fnmatch.translate(pattern) for pattern in BUILTIN_FREE_ANTIVIRUS))
"""The patterns as one expression (each whole-name: fnmatch.translate anchors it)."""


def is_builtin_free(name: str) -> bool:
    return _BUILTIN_FREE.match(name.strip().lower()) is not None


def protecting(products: Sequence[AntivirusProduct]) -> tuple[list[AntivirusProduct], bool]:
    """The products enabled with real-time protection (real-time unknown counts), and whether an
    unknown state leaves the answer open (some product's enabled state was not read)."""
    found = [p for p in products if p.enabled and p.realtime_on is not False]
    return found, any(p.enabled is None for p in products)


def judge_av_licence(antivirus: Antivirus | None, licence: Licence | None, covers: Sequence[LicenceCover],
                     today: date) -> AvLicenceVerdict:
    """The verdict for one machine (``covers``: register entries of its unit's subtree, with this
    machine's rank among each entry's installs)."""
    if antivirus is None:
        return AvLicenceVerdict(None, LicenceWhy.UNKNOWN)
    if not antivirus.products:
        return AvLicenceVerdict(False, LicenceWhy.NOT_INSTALLED)
    found, open_state = protecting(antivirus.products)
    if not found:
        return AvLicenceVerdict(None, LicenceWhy.UNKNOWN) if open_state else \
            AvLicenceVerdict(False, LicenceWhy.NONE_PROTECTING)
    verdicts = [_judge_product(p, antivirus.products, licence, covers, today) for p in found]
    return next((v for v in verdicts if v.licensed), verdicts[0])


def _judge_product(product: AntivirusProduct, products: Sequence[AntivirusProduct], licence: Licence | None,
                   covers: Sequence[LicenceCover], today: date) -> AvLicenceVerdict:
    name = product.name
    if is_builtin_free(name):
        return AvLicenceVerdict(True, LicenceWhy.FREE, name)
    vendor = vendor_licence(name, products, licence)
    if vendor is not None and (vendor.state == "expired" or (vendor.expires is not None and vendor.expires < today)):
        return AvLicenceVerdict(False, LicenceWhy.VENDOR_EXPIRED, name, vendor.expires)
    if vendor is not None and vendor.state == "trial":
        return AvLicenceVerdict(False, LicenceWhy.VENDOR_TRIAL, name, vendor.expires)
    register = _register(name, covers, today)
    if register is not None and (register.licensed or vendor is None or vendor.state != "active"):
        return register
    if vendor is not None and vendor.state == "active":
        return AvLicenceVerdict(True, LicenceWhy.VENDOR, name, vendor.expires)
    return register or AvLicenceVerdict(False, LicenceWhy.NOT_IN_REGISTER, name)


def _register(name: str, covers: Sequence[LicenceCover], today: date) -> AvLicenceVerdict | None:
    matching = [c for c in covers if c.matches(name)]
    current = [c for c in matching if c.valid_on(today)]
    within = [c for c in current if c.rank is None or c.rank <= c.seats]
    if within:
        best = max(within, key=lambda c: c.expires_on)
        return AvLicenceVerdict(True, LicenceWhy.REGISTER, name, best.expires_on, best.seats, best.rank)
    if current:
        over = current[0]
        return AvLicenceVerdict(False, LicenceWhy.OVER_SEATS, name, over.expires_on, over.seats, over.rank)
    if matching:
        latest = max(matching, key=lambda c: c.expires_on)
        return AvLicenceVerdict(False, LicenceWhy.REGISTER_EXPIRED, name, latest.expires_on)
    return None


def vendor_licence(name: str, products: Sequence[AntivirusProduct], licence: Licence | None) -> AntivirusLicence | None:
    """The product's own licence state: its entry of ``antivirus_licences`` (same name), else the
    older single fields: ESET's licence end for an ESET product, Security Center's "expired" for
    the non-free products (Security Center does not say which product it meant)."""
    if licence is None:
        return None
    for entry in licence.antivirus_licences:
        if entry.product.strip().lower() == name.strip().lower():
            return entry
    if licence.antivirus_licence_expires is not None and "eset" in name.lower():
        state = "expired" if licence.antivirus_licence_expired else ""
        return AntivirusLicence(product=name, state=state, expires=licence.antivirus_licence_expires,
                                source="ESET license.lf")
    if licence.antivirus_licence_expired and not is_builtin_free(name):
        others = [p for p in products if not is_builtin_free(p.name)]
        if others:
            return AntivirusLicence(product=name, state="expired", source="Security Center")
    return None


def days_left(verdict: AvLicenceVerdict, today: date) -> int | None:
    """Days until the licence that counts ends (None: free, unknown end, or not licensed)."""
    if not verdict.licensed or verdict.until is None:
        return None
    return (verdict.until - today).days


def active_detections(antivirus: Antivirus | None) -> int | None:
    """Detections the product did not contain (not cleaned, quarantined, removed or blocked)."""
    if antivirus is None:
        return None
    return sum(1 for d in antivirus.detections if d.action.strip().lower() not in _CONTAINED)


def detection_items(antivirus: Antivirus | None) -> list[str] | None:
    """Each detection as one line (threat, path, time, action): an alert's evidence."""
    if antivirus is None:
        return None
    return [" — ".join(filter(None, (d.threat, d.path, d.detected_at.strftime("%Y-%m-%d %H:%M UTC")
                                     if d.detected_at else "", d.action))) for d in antivirus.detections]


def licence_reason(detail: dict[str, Any]) -> Text:
    """Why a machine's antivirus is not licensed, in words, from :meth:`AvLicenceVerdict.as_detail`."""
    why, product = detail.get("why"), detail.get("product") or ""
    until = date.fromisoformat(detail["until"]) if detail.get("until") else None
    month = f"{until:%m/%Y}" if until else ""
    texts: dict[object, tuple[str, str]] = {
        LicenceWhy.NOT_INSTALLED: ("chưa cài phần mềm phòng chống mã độc", "no antivirus installed"),
        LicenceWhy.NONE_PROTECTING: ("không có phần mềm phòng chống mã độc nào đang bật bảo vệ thời gian thực",
                                     "no antivirus product is on with real-time protection"),
        LicenceWhy.NOT_IN_REGISTER: (f"{product} không có trong sổ bản quyền của đơn vị",
                                     f"{product} is not in the unit's licence register"),
        LicenceWhy.REGISTER_EXPIRED: (f"bản quyền {product} trong sổ đã hết hạn {month}",
                                      f"the register's {product} licence expired {month}"),
        LicenceWhy.OVER_SEATS: (f"{product}: vượt số bản quyền (máy thứ {detail.get('rank')}, "
                                f"sổ có {detail.get('seats')} bản quyền)",
                                f"{product}: beyond the licence's seats (install {detail.get('rank')} of "
                                f"{detail.get('seats')} seats)"),
        LicenceWhy.VENDOR_EXPIRED: (f"bản quyền {product} hết hạn {month}".strip(),
                                    f"the {product} licence expired {month}".strip()),
        LicenceWhy.VENDOR_TRIAL: (f"{product} là bản dùng thử", f"{product} is a trial"),
    }
    vi, en = texts.get(why, ("không rõ tình trạng bản quyền", "licence state unknown"))
    return Text(vi, en)
