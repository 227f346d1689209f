"""Enrollment limits (issue 14.6): a token enrolls at most so many machines (default: the unit
subtree's staff plus a margin; unlimited when asked), and /enroll is limited per client address
and per token with 429 and the time to retry."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner

from canhgac.cli import main
from collector.errors import TooManyRequests
from collector.intake.enroll_limits import EnrollLimiter, EnrollLimits
from collector.store.enrollment import create_enrollment_token, default_max_machines
from tests.api_world import World
from tests.factories import T0


def enroll(world: World, token: str, uid: str) -> tuple[int, str]:
    response = world.client.post("/api/v1/enroll", json={"token": token, "machine_uid": uid, "hostname": uid})
    return response.status_code, response.json().get("error", "")


@pytest.mark.parametrize(("staff", "limit"), [(0, 5), (16, 21), (25, 30), (26, 32), (100, 120)])
def test_the_default_limit_is_the_staff_plus_a_margin(staff: int, limit: int) -> None:
    assert default_max_machines(staff) == limit


def test_a_tokens_default_limit_counts_the_whole_subtrees_staff(world: World) -> None:
    with world.db.session() as session:
        _, commune = create_enrollment_token(session, "XA", timedelta(days=1), T0)  # 16 + office's 5
        _, office = create_enrollment_token(session, "XA-VP", timedelta(days=1), T0)
        _, free = create_enrollment_token(session, "XA", timedelta(days=1), T0, max_machines=None)
    assert (commune.max_machines, office.max_machines, free.max_machines) == (26, 10, None)


def test_a_token_enrolls_no_more_machines_than_it_names(world: World) -> None:
    with world.db.session() as session:
        token, _ = create_enrollment_token(session, "XB", timedelta(days=1), T0, max_machines=2)
    assert [enroll(world, token, uid)[0] for uid in ("a", "b")] == [201, 201]
    assert enroll(world, token, "c") == (403, "token_exhausted")
    assert enroll(world, token, "a")[0] == 201  # re-enrolling one of its machines is no new machine
    assert world.count("machines") == 2


def test_an_unlimited_token_has_no_machine_limit(world: World) -> None:
    with world.db.session() as session:
        token, _ = create_enrollment_token(session, "XB", timedelta(days=1), T0, max_machines=None)
    assert {enroll(world, token, f"uid-{i}")[0] for i in range(20)} == {201}


def test_enrolling_past_the_per_address_limit_is_429_with_the_time_to_retry(world: World) -> None:
    world.client.app.state.enroll_limiter = EnrollLimiter(EnrollLimits(per_address=3, per_token=100))
    assert [enroll(world, world.tokens["XA"], f"u{i}")[0] for i in range(3)] == [201, 201, 201]
    world.clock.advance(minutes=4)
    response = world.client.post("/api/v1/enroll", json={"token": world.tokens["XB"], "machine_uid": "x",
                                                         "hostname": "x"})
    assert (response.status_code, response.json()["error"]) == (429, "enroll_rate_limited")
    assert response.headers["retry-after"] == "360"  # the first attempt leaves the 10-minute window then
    assert world.count("machines") == 3
    world.clock.advance(minutes=6)
    assert enroll(world, world.tokens["XB"], "x")[0] == 201


def test_enrolling_past_the_per_token_limit_is_429_whatever_the_address(world: World) -> None:
    limiter = EnrollLimiter(EnrollLimits(per_address=100, per_token=2))
    world.client.app.state.enroll_limiter = limiter
    assert [enroll(world, "cge_guess", f"u{i}") for i in range(2)] == [(401, "invalid_token")] * 2
    assert enroll(world, "cge_guess", "u3")[0] == 429  # unknown tokens are counted too
    assert enroll(world, world.tokens["XA"], "u4")[0] == 201
    limiter.attempt("10.0.0.9", world.tokens["XA"], world.clock())
    with pytest.raises(TooManyRequests, match="too many enrollment attempts"):
        limiter.attempt("10.0.0.10", world.tokens["XA"], world.clock())


def test_the_limiter_remembers_a_bounded_number_of_keys() -> None:
    limiter = EnrollLimiter(EnrollLimits(per_address=1, per_token=1, max_keys=50))
    for i in range(500):
        limiter.attempt(f"10.0.{i // 250}.{i % 250}", f"cge_{i}", T0)
    assert len(limiter) == 50


def test_tokens_create_takes_a_limit_or_unlimited(world: World, db_url: str) -> None:
    runner = CliRunner()
    made = [runner.invoke(main, ["tokens", "create", "--unit", "XB", *extra, "--db", db_url])
            for extra in ([], ["--max-machines", "3"], ["--unlimited"])]
    assert [m.exit_code for m in made] == [0, 0, 0]
    listed = runner.invoke(main, ["tokens", "list", "--json", "--db", db_url])
    limits = [t["max_machines"] for t in json.loads(listed.output) if t["unit"] == "XB"]
    assert limits[-3:] == [17, 3, None]
    both = runner.invoke(main, ["tokens", "create", "--unit", "XB", "--unlimited", "--max-machines", "2",
                                "--db", db_url])
    assert both.exit_code == 2 and "exclude each other" in both.output
