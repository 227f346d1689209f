"""Errors on dashboard pages are HTML pages in the person's language (never JSON or a traceback);
the API under /api/v1 keeps its JSON errors. A 500 is logged with its traceback."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import pytest

import server.api.machines as api
import server.web.machines as records
from collector.config import CollectorConfig
from collector.db import open_database
from server.app import create_app
from tests.api_world import World
from tests.web.conftest import sign_in


def boom(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError("database went away: secret-internal-detail")


def test_a_failing_page_is_a_vietnamese_html_page_and_the_error_is_logged(
        web: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    sign_in(web.client, "admin")
    monkeypatch.setattr(records, "find_machines", boom)
    with caplog.at_level(logging.ERROR, logger="canhgac.server.web"):
        response = web.client.get("/machines")
    assert response.status_code == 500 and response.headers["content-type"].startswith("text/html")
    assert "Đã xảy ra lỗi trên máy chủ" in response.text and 'lang="vi"' in response.text
    assert "secret-internal-detail" not in response.text and "Traceback" not in response.text
    logged = [r for r in caplog.records if r.exc_info and "/machines" in r.getMessage()]
    assert logged and "secret-internal-detail" in str(logged[0].exc_info[1])


def test_the_500_page_follows_the_chosen_language(web: World, monkeypatch: pytest.MonkeyPatch) -> None:
    sign_in(web.client, "admin")
    web.client.get("/units", params={"lang": "en"})
    monkeypatch.setattr(records, "find_machines", boom)
    response = web.client.get("/machines")
    assert response.status_code == 500 and "Something went wrong on the server" in response.text


def test_the_api_keeps_its_json_errors(web: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "list_machines", boom)
    response = web.client.get("/api/v1/machines", headers=web.as_person("admin"))
    assert response.status_code == 500 and response.json()["error"] == "internal_error"
    for path in ("/api/v1/machines/999999", "/api/v1/machines/not-a-number"):
        missing = web.client.get(path, headers=web.as_person("admin"))
        assert missing.status_code == 404 and missing.json()["error"] in ("not_found", "machine_not_found"), path
    assert web.client.get("/api/v1/machines").json()["error"] == "missing_token"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_an_unknown_dashboard_path_is_an_html_404(web: World, lang: str) -> None:
    sign_in(web.client, "admin")
    response = web.client.get("/no/such/page", params={"lang": lang})
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    assert ("Không tìm thấy" if lang == "vi" else "Not found") in response.text
    assert web.client.get("/static/no-such.css").headers["content-type"].startswith("text/html")


def test_a_wrong_method_on_a_page_is_html(web: World) -> None:
    sign_in(web.client, "admin")
    response = web.client.delete("/machines")
    assert response.status_code == 405 and response.headers["content-type"].startswith("text/html")


def test_an_expired_form_says_so_in_vietnamese(web: World) -> None:
    response = web.client.post("/login", data={"csrf": "forged", "name": "admin", "password": "x"})
    assert response.status_code == 403 and "Biểu mẫu đã hết hạn" in response.text


def test_a_bad_query_is_an_html_400(web: World) -> None:
    sign_in(web.client, "admin")
    response = web.client.get("/machines", params={"p": 0})
    assert response.status_code == 400 and response.headers["content-type"].startswith("text/html")


def test_the_app_uses_no_deprecated_litestar_style(tmp_path: Path) -> None:
    """Litestar warns while building the app about inferred dependencies and parameters (gone in 3.0)."""
    db = open_database(f"sqlite:///{tmp_path}/w.db")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", DeprecationWarning)
            create_app(CollectorConfig(db_url=f"sqlite:///{tmp_path}/w.db"), db)
    finally:
        db.dispose()
