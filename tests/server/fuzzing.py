"""Schemathesis against the app's own OpenAPI document, sent through a test client of the app (on a
real database) as one person: what tests/server/test_api_fuzz.py and bench/fuzz_api.py share.

Each operation gets ``examples`` generated cases in each mode (valid, then invalid), drawn by
Hypothesis with a fixed seed; what answers 5xx is collected, never raised, so one run lists all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from litestar.testing import TestClient

BASE_URL = "http://testserver.local"


@dataclass
class FuzzRun:
    examples: int = 0
    by_status: dict[int, int] = field(default_factory=dict)
    server_errors: dict[str, str] = field(default_factory=dict)
    """A 5xx per operation and mode: what was sent and what came back (the first seen)."""


def load_schema(client: TestClient) -> Any:
    import schemathesis

    return schemathesis.openapi.from_dict(client.get("/api/v1/openapi.json").json())


def send(client: TestClient, case: Any, headers: dict[str, str]) -> Any:
    """One generated case through ``client`` (httpx), with ``headers`` added (a person's token)."""
    kwargs = case.as_transport_kwargs(base_url=BASE_URL, headers=headers)
    body: dict[str, Any] = {}
    if "json" in kwargs:
        body["json"] = kwargs["json"]
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        body["content" if isinstance(data, bytes | str) else "data"] = data
    client.cookies.clear()
    client.cookies.update(kwargs.get("cookies") or {})
    return client.request(kwargs["method"], kwargs["url"], params=kwargs.get("params"),
                          headers=kwargs.get("headers"), **body)


def fuzz(client: TestClient, headers: dict[str, str], examples: int, seed: int = 14,
         on_case: Callable[[FuzzRun], None] | None = None) -> FuzzRun:
    """Every operation of the document, ``examples`` cases per generation mode."""
    from schemathesis import GenerationMode

    run = FuzzRun()
    for result in load_schema(client).get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            label = f"{operation.method.upper()} {operation.path} ({mode.value})"
            strategy = operation.as_strategy(generation_mode=mode)
            _fuzz_one(client, headers, run, label, strategy, examples, seed, on_case)
    return run


def _fuzz_one(client: TestClient, headers: dict[str, str], run: FuzzRun, label: str, strategy: Any,
              examples: int, seed: int, on_case: Callable[[FuzzRun], None] | None) -> None:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as fixed_seed
    from hypothesis.errors import Unsatisfiable

    @fixed_seed(seed)
    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def one(case: Any) -> None:
        response = send(client, case, headers)
        run.examples += 1
        run.by_status[response.status_code] = run.by_status.get(response.status_code, 0) + 1
        if response.status_code >= 500 and label not in run.server_errors:
            run.server_errors[label] = f"{case.as_transport_kwargs(base_url=BASE_URL)} -> {response.text[:300]}"
        if on_case:
            on_case(run)

    try:
        one()
    except Unsatisfiable:  # no invalid case exists for an operation without inputs
        pass
