"""A longer run of the schema-driven fuzzer (tests/server/fuzzing.py) than the suite's: every
operation of the app's OpenAPI document, N valid and N invalid cases each, as the admin, on a fresh
database (SQLite by default, or --db URL: PostgreSQL). Prints the cases sent, the answers by status
and every operation that answered 5xx with what was sent.

    python bench/fuzz_api.py [--examples 100] [--db postgresql+psycopg://...] [--seed 14]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


@contextmanager
def database_url(pg_url: str, folder: Path) -> Iterator[str]:
    if not pg_url:
        yield f"sqlite:///{folder / 'fuzz.db'}"
        return
    from tests.conftest import _pg_schema_url

    yield from _pg_schema_url(pg_url)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100, help="cases per operation and mode")
    parser.add_argument("--db", default="", help="PostgreSQL URL: a schema of its own is made and dropped "
                        "(default: a SQLite file in a temporary folder)")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()

    from litestar.testing import TestClient

    from collector.config import CollectorConfig
    from collector.db import open_database
    from server.app import create_app
    from tests.api_world import seed
    from tests.factories import FrozenClock
    from tests.server.fuzzing import fuzz

    with tempfile.TemporaryDirectory() as folder, database_url(args.db, Path(folder)) as url:
        db = open_database(url, data_dir=Path(folder))
        _tokens, people = seed(db)
        config = CollectorConfig(db_url=url, data_dir=Path(folder), max_body_bytes=64 * 1024)
        app = create_app(config, db, FrozenClock())
        started = time.monotonic()
        with TestClient(app) as client:
            run = fuzz(client, {"Authorization": f"Bearer {people['admin']}"}, args.examples, args.seed)
        db.dispose()
    print(f"backend: {url.split(':')[0]}, {args.examples} cases per operation and mode, seed {args.seed}")
    print(f"cases sent: {run.examples} in {time.monotonic() - started:.0f} s")
    print("answers: " + ", ".join(f"{status}: {count}" for status, count in sorted(run.by_status.items())))
    print(f"operations that answered 5xx: {len(run.server_errors)}")
    for label, example in sorted(run.server_errors.items()):
        print(f"  {label}\n      {example}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
