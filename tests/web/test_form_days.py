"""Days in the dashboard's forms are written dd/mm/yyyy, in both languages: text fields with a
pattern (not <input type="date">, which Chromium lays out by the browser's locale, mm/dd/yyyy on an
English Windows, whatever the page's language), read on the server by server.web.i18n.parse_day."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from collector.models.licences import LicenceEntry
from server.web.i18n import FORM_DAY_PATTERN, VIETNAM, parse_day
from tests.api_world import World
from tests.web.conftest import sign_in


@pytest.mark.parametrize(("typed", "day"), [("31/12/2027", date(2027, 12, 31)), ("5/1/2027", date(2027, 1, 5)),
                                            (" 05.01.2027 ", date(2027, 1, 5)), ("05-01-2027", date(2027, 1, 5)),
                                            ("2027-01-05", date(2027, 1, 5))])
def test_a_typed_day_is_read_day_first(typed: str, day: date) -> None:
    assert parse_day(typed) == day


@pytest.mark.parametrize("typed", ["12/31/2027", "31/02/2027", "05/01/27", "2027/01/05", "", "mai", "1/2/3/2027"])
def test_what_is_not_a_day_is_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_day(typed)


def test_the_browser_pattern_takes_what_the_server_reads() -> None:
    pattern = re.compile(f"(?:{FORM_DAY_PATTERN})")
    assert all(pattern.fullmatch(t) for t in ("31/12/2027", "5/1/2027", "2027-01-05"))
    assert not any(pattern.fullmatch(t) for t in ("31/12/27", "2027/01/05", "31-12"))


def _day_fields(html: str) -> list[str]:
    return re.findall(r'<input name="(\w+)"[^>]*placeholder="dd/mm/yyyy"', html)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_no_page_has_a_native_date_input(web: World, lang: str) -> None:
    sign_in(web.client, "admin")
    licences = web.client.get("/licences", params={"lang": lang}).text
    admin = web.client.get("/admin/units", params={"lang": lang}).text
    assert 'type="date"' not in licences + admin
    assert _day_fields(licences) == ["starts", "expires"] and _day_fields(admin) == ["on", "on"]
    today = web.clock().astimezone(VIETNAM).strftime("%d/%m/%Y")  # the frozen clock's day in Vietnam
    assert f'name="on" value="{today}"' in admin


def test_a_licence_registered_with_days_written_as_officials_write_them(web: World) -> None:
    csrf = sign_in(web.client, "officer_b")
    form = {"csrf": csrf, "product": "BKAV Pro", "match": "BKAV*", "seats": "5", "starts": "01/02/2027",
            "expires": "31/01/2028", "unit": "XB"}
    assert web.client.post("/licences", data=form).status_code == 200
    with web.db.session() as session:
        row = session.execute(select(LicenceEntry.starts_on, LicenceEntry.expires_on)
                          .where(LicenceEntry.product == "BKAV Pro")).one()
    assert tuple(row) == (date(2027, 2, 1), date(2028, 1, 31))
    refused = web.client.post("/licences", data={**form, "product": "BKAV 2", "expires": "01/31/2028"})
    assert refused.status_code == 400 and 'value="01/31/2028"' in refused.text
