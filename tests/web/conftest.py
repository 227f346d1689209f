"""A browser-like client of the dashboard on the API world (SQLite and PostgreSQL): the world's
people get passwords, and ``sign_in`` goes through the real form with its CSRF token."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from litestar.testing import TestClient
from sqlalchemy import update

from collector.models.people import User
from tests.api_world import World

PASSWORD = "mật khẩu đủ dài"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Signs in through the form; returns the CSRF token of the signed-in session."""
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"csrf": token, "name": name, "password": password, "next": "/"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/units").text)


@pytest.fixture
def web(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("CANHGAC_SECRET_KEY", "test-secret-key-not-for-production")
    hashed = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    with world.db.session() as session:
        session.execute(update(User).values(password_hash=hashed))
    world.client.cookies.clear()
    yield world
