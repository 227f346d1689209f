"""Issue 14 item 5: `canhgac import` takes folders (as `agent export --out E:\\` fills a stick), judges
each file on its own and never stops at one: a file nested 50,000 deep is damaged and the good file
beside it is stored; a FIFO, which would block an open forever, is refused without being opened."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from agent.wire import clock
from canhgac.cli import main
from collector.intake.importer import ImportResult, Verdict, files_in, import_files
from tests.api_world import World
from tests.collector.test_import import OfflinePC, stored_sequences


def stick(tmp_path: Path, pc: OfflinePC) -> Path:
    folder = tmp_path / "E"
    (folder / "old").mkdir(parents=True)
    (folder / "canhgac-enroll.json").write_bytes(pc.enrollment())
    (folder / "canhgac-report-1.json").write_bytes(pc.report(1))
    (folder / "old" / "canhgac-report-2.json").write_bytes(pc.report(2))
    (folder / "deep.json").write_bytes(b"[" * 50_000 + b"]" * 50_000)
    (folder / "deep-object.json").write_bytes(b'{"kind": ' + b'{"a": ' * 50_000 + b"1" + b"}" * 50_001)
    return folder


def test_a_folder_is_every_file_in_it_and_its_subfolders(tmp_path: Path) -> None:
    folder = stick(tmp_path, OfflinePC("t"))
    assert [p.relative_to(folder).as_posix() for p in files_in([folder])] == [
        "canhgac-enroll.json", "canhgac-report-1.json", "deep-object.json", "deep.json", "old/canhgac-report-2.json"]


def test_the_command_imports_a_folder_and_a_deeply_nested_file_is_damaged(world: World, db_url: str, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "utcnow", world.clock)
    pc = OfflinePC(world.tokens["XA"])
    result = CliRunner().invoke(main, ["import", "--db", db_url, str(stick(tmp_path, pc))])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "deep.json: TỪ CHỐI / REFUSED (damaged)" in result.stderr
    assert "deep-object.json: TỪ CHỐI / REFUSED (damaged)" in result.stderr
    assert "2 of 5 file(s) refused" in result.stderr
    assert stored_sequences(world, pc.agent_id) == [1, 2]


def _import_in_time(world: World, folder: Path, fifo: Path) -> list[ImportResult]:
    """import_files in a thread, given 30 s; a thread stuck opening the FIFO is let go by opening its
    other end, and the test fails."""
    results: list[ImportResult] = []
    worker = threading.Thread(target=lambda: results.extend(
        import_files(world.db, files_in([folder]), world.clock(), world.rules)), daemon=True)
    worker.start()
    worker.join(timeout=30)
    if worker.is_alive():
        os.close(os.open(fifo, os.O_WRONLY))
        worker.join(timeout=30)
        pytest.fail("import opened the FIFO and blocked")
    return results


def test_a_fifo_among_the_files_is_refused_without_opening_it(world: World, tmp_path: Path) -> None:
    pc = OfflinePC(world.tokens["XA"])
    folder = stick(tmp_path, pc)
    fifo = folder / "a-fifo.json"
    os.mkfifo(fifo)
    by_name = {r.path.name: r for r in _import_in_time(world, folder, fifo)}
    assert (by_name["a-fifo.json"].verdict, by_name["a-fifo.json"].code) == (Verdict.DAMAGED, "not_a_file")
    assert "FIFO" in by_name["a-fifo.json"].english
    assert by_name["canhgac-report-1.json"].imported and by_name["canhgac-report-2.json"].imported
    assert stored_sequences(world, pc.agent_id) == [1, 2]


def test_a_device_is_refused_without_reading_it(world: World, tmp_path: Path) -> None:
    result = import_files(world.db, [Path("/dev/zero")], world.clock(), world.rules)[0]
    assert (result.verdict, result.code) == (Verdict.DAMAGED, "not_a_file")
    assert "character device" in result.english
