"""Codes and the agent's English in the page's words (server/web/probe_words.py; issue 17 part 3)."""

from __future__ import annotations

import pytest

from server.web.i18n import translations
from server.web.probe_words import product_state_words, reason_words


@pytest.mark.parametrize(("raw", "lang", "text"), [
    ("397568", "vi", "đang bật bảo vệ, mẫu nhận diện đã cập nhật, của Microsoft (397568)"),
    ("393472", "vi", "đang tắt bảo vệ, mẫu nhận diện đã cập nhật, của Microsoft (393472)"),
    ("397584", "vi", "đang bật bảo vệ, mẫu nhận diện đã cũ, của Microsoft (397584)"),
    ("266240", "vi", "đang bật bảo vệ, mẫu nhận diện đã cập nhật, của hãng khác (266240)"),
    ("397568", "en", "protection on, signatures up to date, Microsoft's (397568)"),
    ("", "vi", "—"),
    ("not-a-number", "vi", "not-a-number"),
])
def test_security_center_states_are_said_in_words(raw: str, lang: str, text: str) -> None:
    assert product_state_words(raw, translations(lang).gettext) == text


@pytest.mark.parametrize(("reason", "lang", "text"), [
    ("timed out after 3.0 s", "vi", "không phản hồi sau 3 giây"),
    ("timed out after 2.5 s", "vi", "không phản hồi sau 2,5 giây"),
    ("timed out after 3.0 s", "en", "no answer within 3 seconds"),
    ("timed out", "vi", "không phản hồi kịp"),
    ("Connection refused", "vi", "bị từ chối kết nối"),
    ("cannot resolve: Name or service not known", "vi", "không phân giải được tên miền (DNS)"),
    ("Access is denied.", "vi", "bị từ chối quyền truy cập"),
    ("Get-MpComputerStatus: 0x800106ba", "vi", "Get-MpComputerStatus: 0x800106ba"),  # unknown: as written
])
def test_probe_reasons_are_said_in_the_page_language(reason: str, lang: str, text: str) -> None:
    assert reason_words(reason, translations(lang).gettext, lang) == text
