"""Why a machine or a unit is not in a readiness figure's numerator, in words (Vietnamese and
English), from the facts its readiness row keeps (``detail_json``) or the unit's subtree sums."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rules.antivirus_licence import licence_reason
from rules.indicators import Indicator
from rules.model import Text

UNKNOWN = Text("không rõ: báo cáo của máy không có thông tin này", "unknown: the machine's report does not say")
AGENTLESS = Text("không rõ: máy chưa cài phần mềm giám sát (khai báo thủ công)",
                 "unknown: no agent on this machine (declared)")


def machine_reason(indicator: Indicator, value: bool | None, detail: Mapping[str, Any]) -> Text:
    """Why a machine in the denominator is not in the numerator (``value`` is its column: False or None)."""
    if detail.get("agentless"):
        return AGENTLESS
    if value is None:
        return _unknown(indicator, detail)
    explain = _MACHINE_REASONS.get(indicator.counts)
    return explain(indicator, detail) if explain else Text("chưa đạt", "not met")


def _av_licensed(_i: Indicator, d: Mapping[str, Any]) -> Text:
    if d.get("av.licence"):
        return licence_reason(d["av.licence"])
    products = ", ".join(d.get("av.products") or [])
    if not products:
        return Text("chưa cài phần mềm phòng chống mã độc", "no antivirus installed")
    return Text(f"{products}: không có trong sổ bản quyền còn hạn", f"{products}: not in a valid licence of the unit")


def _os_activated(_i: Indicator, d: Mapping[str, Any]) -> Text:
    if d.get("os.kms_accepted") is False:
        return Text(f"kích hoạt qua máy chủ KMS không được công nhận: {d.get('os.kms_host')}",
                    f"activated by a KMS host not on the province's list: {d.get('os.kms_host')}")
    return Text("hệ điều hành chưa kích hoạt bản quyền", "the OS is not activated")


def _signing(i: Indicator, d: Mapping[str, Any]) -> Text:
    days, least = d.get("cert.signing_days_left"), i.parameters.get("min_days_left", 30)
    if days is not None:
        return Text(f"chứng thư số ký số chỉ còn {days} ngày (cần từ {least} ngày)",
                    f"the signing certificate has only {days} days left (at least {least} needed)")
    return Text("không có chứng thư số ký số còn hiệu lực của tổ chức được công nhận",
                "no valid signing certificate of an accepted issuer")


def _unknown(indicator: Indicator, d: Mapping[str, Any]) -> Text:
    if indicator.counts == "os_activated" and "gvlk" in str(d.get("os.licence_channel") or "").lower():
        return Text("không rõ: kích hoạt KMS nhưng chưa đọc được máy chủ KMS",
                    "unknown: a KMS activation whose KMS host was not read")
    if indicator.counts == "has_signing_cert" and d.get("certs.reported"):
        return Text("không rõ: chưa đọc được mục đích sử dụng khóa của chứng thư số",
                    "unknown: the certificate's key usage was not read")
    return UNKNOWN


def _av_up_to_date(i: Indicator, d: Mapping[str, Any]) -> Text:
    age, limit = d.get("av.signature_age_days"), i.parameters.get("max_signature_age_days", 7)
    if not d.get("av.products"):
        return Text("chưa cài phần mềm phòng chống mã độc", "no antivirus installed")
    if d.get("av.any_enabled") is False:
        return Text("phần mềm phòng chống mã độc đang tắt", "the antivirus is turned off")
    return Text(f"mẫu virus {age} ngày tuổi (tối đa {limit})", f"signatures {age} days old (at most {limit})")


def _backup(i: Indicator, d: Mapping[str, Any]) -> Text:
    age, limit = d.get("backup.age_days"), i.parameters.get("max_backup_age_days", 90)
    if d.get("backup.configured") is False:
        return Text("chưa cấu hình sao lưu", "no backup configured")
    if age is None:
        return Text("chưa có lần sao lưu thành công", "no successful backup")
    return Text(f"sao lưu gần nhất {age} ngày trước (tối đa {limit})", f"last backup {age} days ago (at most {limit})")


def _hardware(i: Indicator, d: Mapping[str, Any]) -> Text:
    p = i.parameters
    parts = []
    if (age := d.get("hw.age_years")) is not None and age > p.get("max_age_years", 7):
        parts.append((f"{age} năm tuổi (tối đa {p.get('max_age_years', 7)})",
                      f"{age} years old (at most {p.get('max_age_years', 7)})"))
    if (ram := d.get("hw.ram_mib")) is not None and ram < p.get("min_ram_mib", 4096):
        parts.append((f"RAM {ram} MiB (tối thiểu {p.get('min_ram_mib', 4096)})",
                      f"RAM {ram} MiB (at least {p.get('min_ram_mib', 4096)})"))
    if (disk := d.get("hw.disk_gb")) is not None and disk < p.get("min_disk_gb", 120):
        parts.append((f"ổ đĩa {disk} GB (tối thiểu {p.get('min_disk_gb', 120)})",
                      f"disk {disk} GB (at least {p.get('min_disk_gb', 120)})"))
    return Text("; ".join(v for v, _ in parts) or "chưa đạt", "; ".join(e for _, e in parts) or "not met")


def _fixed(vi: str, en: str) -> Any:
    return lambda _i, _d: Text(vi, en)


_MACHINE_REASONS = {
    "has_lan": _fixed("không tới được cổng mạng LAN", "the LAN gateway did not answer"),
    "has_internet": _fixed("không tới được Internet", "no Internet target answered"),
    "av_installed": _fixed("không tìm thấy phần mềm phòng chống mã độc", "no antivirus found"),
    "av_licensed": _av_licensed,
    "av_up_to_date": _av_up_to_date,
    "os_activated": _os_activated,
    "backup_ok": _backup,
    "hardware_ok": _hardware,
    "has_signing_cert": _signing,
}


def unit_reason(indicator: Indicator, sums: Mapping[str, int]) -> Text:
    """Why a unit of the counted kinds is not in a unit indicator's numerator, from its subtree sums."""
    machines = sums["in_use"]
    if indicator.counts == "has_dedicated_line" and sums.get("seen:has_dedicated_line"):
        return Text("đường truyền TSLCD của đơn vị đang mất kết nối (SNMP, kiểm tra của máy chủ)",
                    "the unit's configured dedicated line is down (SNMP, collector checks)")
    if machines == 0:
        return Text("không có máy nào đang báo cáo", "no computer in use reports")
    if indicator.counts == "offline_compliant":
        if sums["offline"] == 0:
            return Text("chưa có máy soạn thảo văn bản mật", "no offline PC designated")
        return Text("máy soạn thảo văn bản mật có dấu hiệu kết nối mạng", "the offline PC shows a network connection")
    if indicator.counts == "has_dedicated_line":
        return Text(f"không máy nào trong {machines} máy tới được TSLCD",
                    f"none of the {machines} computers reached the dedicated line")
    if indicator.counts == "has_scanner":
        return Text(f"không máy nào trong {machines} máy báo có máy quét",
                    f"none of the {machines} computers reports a scanner")
    return Text(f"không máy nào trong {machines} máy đạt", f"none of the {machines} computers meets it")
