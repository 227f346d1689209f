"""The baseline the ingest benchmark divides by: a bare Litestar app served by uvicorn exactly as
``canhgac serve`` serves (one process, h11, asyncio, no access log) whose one route reads the
request body and answers a small msgspec Struct. What is left once canhgac's work is taken away.

    python bench/bare_endpoint.py PORT
"""

from __future__ import annotations

import sys

import msgspec
import uvicorn
from litestar import Litestar, Request, get, post


class Ack(msgspec.Struct):
    received: int
    status: str = "stored"


@post("/bare", status_code=201)
async def post_bare(request: Request) -> Ack:  # type: ignore[type-arg]
    return Ack(received=len(await request.body()))


@get("/health")
async def get_health() -> dict[str, str]:
    return {"status": "ok"}


def main() -> None:
    port = int(sys.argv[1])
    uvicorn.run(Litestar(route_handlers=[post_bare, get_health]), host="127.0.0.1", port=port,
                log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
