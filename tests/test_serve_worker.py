"""``serve --workers``: each worker rebuilds the very configuration ``serve`` was given, from the
environment (data only), and the configuration refuses what one process must do alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from canhgac.serve_worker import decode_config, encode_config
from collector.config import CollectorConfig, CollectorConfigError


def test_a_worker_gets_the_configuration_serve_was_given(tmp_path: Path) -> None:
    config = CollectorConfig(db_url="postgresql+psycopg://c@127.0.0.1/c", data_dir=tmp_path, port=8471, workers=3,
                             webhook_urls=("https://hooks.example/a",), smtp_to=("a@b.vn", "c@d.vn"),
                             scan_interval_minutes=5, rules_dir=tmp_path)
    assert decode_config(encode_config(config)) == config


@pytest.mark.parametrize(("values", "said"), [
    ({"db_url": "sqlite:///x.db", "workers": 2}, "needs PostgreSQL"),
    ({"db_url": "postgresql+psycopg://c@h/c", "workers": 0}, "above zero"),
    ({"db_url": "postgresql+psycopg://c@h/c", "workers": 2, "listen_iface": "eth0"}, "one process"),
])
def test_what_more_than_one_worker_cannot_do_is_refused(values: dict[str, object], said: str) -> None:
    with pytest.raises(CollectorConfigError, match=said):
        CollectorConfig(**values)  # type: ignore[arg-type]
