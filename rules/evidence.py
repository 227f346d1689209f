"""An alert's evidence in words (pure): the facts a rule read, as an officer reads them ("đã cài
phần mềm phòng chống mã độc, đang tắt"), not ``av.installed=true, av.any_enabled=false``.

Every fact of rules.facts.CATALOGUE has its words here (a test keeps them in step): a pair for
true/false, or a template for a number, a text or a list (``{v}``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rules.model import Text

_BOOL: Mapping[str, tuple[str, str, str, str]] = {
    # fact: (true vi, true en, false vi, false en)
    "report.via_network": ("báo cáo đến qua mạng", "the report came over the network",
                           "báo cáo nhập từ tệp", "the report was imported from a file"),
    "os.activated": ("hệ điều hành đã kích hoạt", "the OS is activated",
                     "hệ điều hành chưa kích hoạt bản quyền hợp lệ", "the OS has no valid activation"),
    "os.kms_accepted": ("máy chủ KMS được công nhận", "the KMS host is accepted",
                        "máy chủ KMS không có trong danh sách của tỉnh", "the KMS host is not on the province's list"),
    "av.installed": ("đã cài phần mềm phòng chống mã độc", "antivirus installed",
                     "chưa cài phần mềm phòng chống mã độc", "no antivirus installed"),
    "av.any_enabled": ("phần mềm phòng chống mã độc đang bật", "the antivirus is on",
                       "phần mềm phòng chống mã độc đang tắt", "the antivirus is turned off"),
    "av.realtime_on": ("bảo vệ thời gian thực đang bật", "real-time protection is on",
                       "bảo vệ thời gian thực đang tắt", "real-time protection is off"),
    "av.licensed": ("có bản quyền", "licensed", "không có bản quyền", "not licensed"),
    "backup.configured": ("đã cấu hình sao lưu", "a backup is configured",
                          "chưa cấu hình sao lưu", "no backup configured"),
    "net.connected": ("đang nối mạng", "connected to a network", "không nối mạng", "not connected"),
    "net.default_route": ("có cổng mặc định (default gateway)", "has a default gateway",
                          "không có cổng mặc định", "no default gateway"),
    "net.dhcp": ("nhận địa chỉ từ DHCP", "got an address from DHCP", "không dùng DHCP", "no DHCP address"),
    "net.gateway_reachable": ("tới được cổng mạng LAN", "the LAN gateway answered",
                              "không tới được cổng mạng LAN", "the LAN gateway did not answer"),
    "net.internet_reachable": ("tới được Internet", "the Internet answered",
                               "không tới được Internet", "the Internet did not answer"),
    "net.dedicated_line_reachable": ("tới được mạng TSLCD", "the dedicated line answered",
                                     "không tới được mạng TSLCD", "the dedicated line did not answer"),
    "net.wireless_present": ("có bộ thu phát không dây", "a wireless adapter is present",
                             "không có bộ thu phát không dây", "no wireless adapter"),
    "net.wireless_enabled": ("bộ thu phát không dây đang bật", "a wireless adapter is on",
                             "bộ thu phát không dây đang tắt", "wireless is off"),
    "evidence.network_since_last_report": ("có dấu hiệu kết nối mạng từ lần báo cáo trước",
                                           "signs of a network connection since the last report",
                                           "không có dấu hiệu kết nối mạng", "no sign of a network connection"),
    "evidence.beyond_lan_since_last_report": ("có dấu hiệu kết nối ra ngoài mạng LAN độc lập",
                                              "signs of a connection beyond the isolated LAN",
                                              "không có kết nối ra ngoài LAN", "no connection beyond the LAN"),
    "lan.mac_seen": ("địa chỉ MAC của máy xuất hiện trên mạng LAN", "its MAC address was seen on the LAN",
                     "không thấy địa chỉ MAC trên mạng LAN", "its MAC was not seen on the LAN"),
    "fw.enabled": ("tường lửa đang bật", "the firewall is on", "tường lửa đang tắt", "the firewall is off"),
    "autorun.disabled": ("đã tắt tự chạy (autorun)", "autorun is off", "tự chạy (autorun) đang bật", "autorun is on"),
    "smb1.enabled": ("SMBv1 đang bật", "SMBv1 is on", "SMBv1 đã tắt", "SMBv1 is off"),
    "cert.signing": ("có chứng thư số ký số còn hạn", "holds a valid signing certificate",
                     "không có chứng thư số ký số còn hạn", "no valid signing certificate"),
    "agent.reenrolled": ("máy vừa đăng ký lại, có khóa mới", "re-enrolled with a new key",
                         "không đăng ký lại", "not re-enrolled"),
    "machine.agentless": ("máy chưa cài phần mềm giám sát", "no agent on this machine",
                          "máy có phần mềm giám sát", "the agent reports"),
    "unit.dedicated_line_reachable": ("đơn vị tới được mạng TSLCD", "the unit reaches the dedicated line",
                                      "đơn vị không tới được mạng TSLCD", "the unit does not reach the dedicated line"),
}

_VALUE: Mapping[str, tuple[str, str]] = {
    # fact: (vi template, en template); {v} is the value
    "role": ("vai trò: {v}", "role: {v}"),
    "os.name": ("hệ điều hành {v}", "OS {v}"),
    "os.licence_channel": ("kênh kích hoạt {v}", "activation channel {v}"),
    "os.kms_host": ("máy chủ KMS: {v}", "KMS host: {v}"),
    "os.update_age_days": ("bản cập nhật mới nhất cài {v} ngày trước", "newest OS update installed {v} days ago"),
    "av.signature_age_days": ("mẫu nhận diện {v} ngày tuổi", "signatures {v} days old"),
    "av.detections": ("{v} lần phát hiện mã độc", "{v} malware detections"),
    "av.active_detections": ("{v} mã độc chưa được xử lý", "{v} detections not contained"),
    "av.detection_list": ("phát hiện: {v}", "detected: {v}"),
    "av.licence_product": ("sản phẩm đang bảo vệ máy: {v}", "protecting product: {v}"),
    "av.licence_days_left": ("bản quyền còn {v} ngày", "the licence has {v} days left"),
    "av.protecting": ("đang bảo vệ máy: {v}", "protecting the PC: {v}"),
    "av.disabled_products": ("đã cài, đang tắt: {v}", "installed, turned off: {v}"),
    "av.products": ("phần mềm phòng chống mã độc: {v}", "antivirus products: {v}"),
    "backup.age_days": ("bản sao lưu mới nhất {v} ngày trước", "newest backup {v} days ago"),
    "hw.age_years": ("máy {v} năm tuổi", "{v} years old"),
    "hw.ram_mib": ("RAM {v} MiB", "RAM {v} MiB"),
    "hw.disk_gb": ("ổ đĩa {v} GB", "disk {v} GB"),
    "net.wifi_profiles": ("{v} hồ sơ Wi-Fi đã lưu", "{v} saved Wi-Fi profiles"),
    "net.profiles": ("{v} hồ sơ mạng đã từng kết nối", "{v} network profiles ever connected"),
    "net.new_profiles": ("{v} hồ sơ mạng mới từ lần báo cáo trước", "{v} new network profiles since the last report"),
    "agent.silent_hours": ("không báo cáo {v} giờ", "silent for {v} hours"),
    "agent.key_age_hours": ("khóa được cấp {v} giờ trước", "its key was issued {v} hours ago"),
    "agent.rejected_reports": ("{v} báo cáo bị từ chối trong 24 giờ", "{v} reports refused in 24 hours"),
    "agent.reports_held": ("{v} báo cáo bị giữ lại trên máy, chưa gửi được",
                           "{v} reports held on the PC, not delivered"),
    "screen_lock.timeout_s": ("khóa màn hình sau {v} giây (0: không khóa)", "screen locks after {v} s (0: never)"),
    "accounts.enabled_admins": ("{v} tài khoản quản trị đang bật", "{v} enabled administrator accounts"),
    "software.count": ("{v} chương trình đã cài", "{v} programs installed"),
    "software.remote_access": ("phần mềm điều khiển từ xa: {v}", "remote-access software: {v}"),
    "software.cloud_sync": ("phần mềm đồng bộ đám mây: {v}", "cloud-sync software: {v}"),
    "software.chat": ("phần mềm nhắn tin, trò chuyện: {v}", "chat software: {v}"),
    "cert.signing_days_left": ("chứng thư số ký số còn {v} ngày", "the signing certificate has {v} days left"),
    "unit.kind": ("cấp đơn vị: {v}", "unit kind: {v}"),
    "unit.machines": ("{v} máy", "{v} computers"),
    "unit.offline_pcs": ("{v} máy soạn thảo văn bản mật", "{v} offline PCs"),
    "unit.unknown_devices": ("{v} thiết bị lạ trên mạng LAN", "{v} unknown devices on the LAN"),
    "unit.devices_without_agent": ("{v} thiết bị không có phần mềm giám sát", "{v} devices without an agent"),
    "licence.seats_exceeded": ("vượt số bản quyền: {v}", "seats exceeded: {v}"),
    "licence.expired": ("bản quyền hết hạn: {v}", "expired licences: {v}"),
    "licence.next_expiry_days": ("bản quyền gần nhất hết hạn sau {v} ngày", "the next licence ends in {v} days"),
    "licence.next_expiring": ("bản quyền: {v}", "licence: {v}"),
    "readiness.below_target": ("{v} chỉ số dưới mục tiêu", "{v} indicators below target"),
    "readiness.failing": ("chưa đạt: {v}", "not met: {v}"),
}

_COUNTED = frozenset({"readiness.below_target"})
"""Lists whose words give how many (their items are ids; another fact names them)."""

WORDED = frozenset(_BOOL) | frozenset(_VALUE)
"""Facts with words (every fact of the catalogue)."""


def fact_words(name: str, value: Any) -> Text | None:
    """One fact's words; None when the value is not known (or an empty list: nothing to say)."""
    if value is None or (isinstance(value, list | tuple) and not value):
        return None
    if name in _BOOL and isinstance(value, bool):
        true_vi, true_en, false_vi, false_en = _BOOL[name]
        return Text(true_vi, true_en) if value else Text(false_vi, false_en)
    vi, en = _VALUE.get(name, (f"{name}: {{v}}", f"{name}: {{v}}"))
    if isinstance(value, list | tuple):
        shown = str(len(value)) if name in _COUNTED else "; ".join(str(v) for v in value)
    else:
        shown = str(value)
    return Text(vi.format(v=shown), en.format(v=shown))


def evidence_words(read: Iterable[tuple[str, Any]]) -> Text:
    """The facts read, in words, joined by commas ("" when nothing is known)."""
    parts = [words for name, value in read if (words := fact_words(name, value)) is not None]
    return Text(", ".join(p.vi for p in parts), ", ".join(p.en for p in parts))
