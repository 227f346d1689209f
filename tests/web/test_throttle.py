"""Sign-in throttling: per account name and per client address, in a bounded memory, on the
app's clock (frozen here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.web.throttle import Limits, SignInThrottle
from tests.api_world import World
from tests.web.conftest import PASSWORD, csrf_of

T0 = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
LIMITS = Limits(per_name=5, per_address=20, window=timedelta(minutes=15), max_keys=100)


def fail(throttle: SignInThrottle, name: str, address: str, times: int, at: datetime = T0) -> None:
    for _ in range(times):
        throttle.failed(name, address, at)


def test_five_failures_for_one_name_refuse_it_for_fifteen_minutes() -> None:
    throttle = SignInThrottle(LIMITS)
    fail(throttle, "admin", "10.0.0.1", 4)
    assert throttle.retry_at("admin", "10.0.0.2", T0) is None
    fail(throttle, "admin", "10.0.0.3", 1, T0 + timedelta(minutes=5))
    assert throttle.retry_at(" Admin ", "10.0.0.9", T0 + timedelta(minutes=6)) == T0 + timedelta(minutes=15)
    assert throttle.retry_at("admin", "10.0.0.9", T0 + timedelta(minutes=15)) is None  # the first left the window
    assert throttle.retry_at("somebody-else", "10.0.0.9", T0) is None


def test_one_address_guessing_many_names_is_refused() -> None:
    throttle = SignInThrottle(LIMITS)
    for index in range(20):
        throttle.failed(f"user-{index}", "10.0.0.7", T0)
    assert throttle.retry_at("fresh-name", "10.0.0.7", T0) == T0 + timedelta(minutes=15)
    assert throttle.retry_at("fresh-name", "10.0.0.8", T0) is None


def test_a_success_clears_the_names_failures_but_not_the_addresss() -> None:
    throttle = SignInThrottle(Limits(per_name=5, per_address=6, max_keys=100))
    fail(throttle, "admin", "10.0.0.1", 5)
    throttle.succeeded("admin")
    assert throttle.retry_at("admin", "10.0.0.2", T0) is None
    fail(throttle, "other", "10.0.0.1", 1)
    assert throttle.retry_at("admin", "10.0.0.1", T0) is not None  # the address made 6 failures


def test_memory_stays_bounded_when_the_attacker_invents_names() -> None:
    throttle = SignInThrottle(LIMITS)
    for index in range(10_000):
        throttle.failed(f"invented-{index}", f"10.{index // 65536}.{index // 256 % 256}.{index % 256}", T0)
    assert len(throttle) <= LIMITS.max_keys
    fail(throttle, "admin", "10.9.9.9", 5)
    assert throttle.retry_at("admin", "10.9.9.9", T0) is not None  # the most recent are kept


def test_expired_failures_are_forgotten() -> None:
    throttle = SignInThrottle(LIMITS)
    fail(throttle, "admin", "10.0.0.1", 3)
    assert throttle.retry_at("admin", "10.0.0.1", T0 + timedelta(minutes=16)) is None
    assert len(throttle) == 0


def post_login(web: World, password: str, lang: str = "vi") -> tuple[int, str, dict[str, str]]:
    token = csrf_of(web.client.get("/login", params={"lang": lang}).text)
    response = web.client.post("/login", data={"csrf": token, "name": "admin", "password": password},
                               follow_redirects=False)
    return response.status_code, response.text, dict(response.headers)


def test_the_sixth_attempt_is_refused_with_429_even_with_the_right_password(web: World) -> None:
    for _ in range(5):
        assert post_login(web, "sai")[0] == 401
    status, text, headers = post_login(web, PASSWORD)
    assert status == 429 and int(headers["retry-after"]) == 15 * 60
    assert "Đăng nhập sai quá nhiều lần" in text and "15:15" in text  # 08:15 UTC is 15:15 in Vietnam
    web.clock.advance(minutes=10)
    status, text, headers = post_login(web, PASSWORD, lang="en")
    assert status == 429 and int(headers["retry-after"]) == 5 * 60 and "Too many failed sign-ins" in text
    web.clock.advance(minutes=5)
    assert post_login(web, PASSWORD)[0] == 303


def test_a_successful_sign_in_resets_the_accounts_count(web: World) -> None:
    for _ in range(4):
        assert post_login(web, "sai")[0] == 401
    assert post_login(web, PASSWORD)[0] == 303
    web.client.cookies.clear()
    for _ in range(4):
        assert post_login(web, "sai")[0] == 401
    assert post_login(web, PASSWORD)[0] == 303
