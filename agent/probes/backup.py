"""Backup probe: for each configured source, the last successful backup time (and size when
the source tells it).

Sources come from the configuration only: folders (newest file time, total size), restic
repositories (``restic snapshots --json``), borg repositories (``borg list --json --last 1``);
on Windows also the Windows Server Backup / "Backup and Restore (Windows 7)" history
(``wbadmin get versions``). A source that cannot be read keeps ``last_success`` None and says
why in its ``error``: unreachable is "unknown", never "old".
Source of formats and traps: shared/reference/endpoint-formats.md sections 3 and 8.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from agent import windows
from agent.config import Repository
from agent.probes.context import CommandError, ProbeContext, describe
from agent.schema import Backup, BackupSource

MAX_FILES = 200_000
MAX_DEPTH = 32
REPO_TIMEOUT_S = 120.0
# Files every Windows folder grows by itself; they say nothing about a backup having run.
IGNORED_FILES = frozenset({"desktop.ini", "thumbs.db", ".ds_store"})
_WBADMIN_VERSION = re.compile(r"^\s*Version identifier:\s*(\d\d/\d\d/\d{4}-\d\d:\d\d)\s*$", re.MULTILINE)
_ANY_VERSION_ID = re.compile(r"\b(\d\d/\d\d/\d{4}-\d\d:\d\d)\b")


# --- pure parsers -------------------------------------------------------------------------------


def parse_restic_snapshots(text: str) -> tuple[datetime | None, int | None]:
    """(time of the newest snapshot, its total_bytes_processed when restic >= 0.17 wrote a
    summary) from ``restic snapshots --json``; (None, None) for an empty repository.

    ``time`` is RFC 3339 with nanoseconds; fromisoformat truncates them on 3.11+.
    """
    snapshots = json.loads(text) or []
    if not isinstance(snapshots, list):
        raise ValueError("restic snapshots --json did not print a list")
    newest = max(snapshots, key=lambda snap: _iso(snap["time"]), default=None)
    if newest is None:
        return None, None
    size = (newest.get("summary") or {}).get("total_bytes_processed")
    return _iso(newest["time"]), int(size) if isinstance(size, int) else None


def parse_borg_list(text: str) -> datetime | None:
    """The newest archive's time from ``borg list --json``; borg 1.x writes local time without
    an offset (read as this PC's local time), borg 2 adds the offset."""
    archives = json.loads(text).get("archives", [])
    times = [_iso(archive.get("time") or archive["start"]) for archive in archives]
    return max(times, default=None)


def parse_wbadmin_versions(text: str) -> datetime | None:
    """The newest ``Version identifier`` of ``wbadmin get versions``: fixed MM/DD/YYYY-HH:MM in
    UTC (the ``Backup time`` line is local time in the locale's format, so it is not used)."""
    found = _WBADMIN_VERSION.findall(text) or _ANY_VERSION_ID.findall(text)  # labels are localised
    times = [datetime.strptime(value, "%m/%d/%Y-%H:%M").replace(tzinfo=UTC) for value in found]
    return max(times, default=None)


def _iso(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.astimezone()).astimezone(UTC)


# --- readers ------------------------------------------------------------------------------------


def read_folder(path: Path) -> BackupSource:
    """Newest file time (mtime; on Windows the later of mtime and creation time, since copied
    files keep their source mtime) and total size of the files under ``path``."""
    newest: float | None = None
    total = 0
    for entry in _walk_files(path):
        stat = entry.stat(follow_symlinks=False)
        stamp = max(stat.st_mtime, stat.st_ctime) if os.name == "nt" else stat.st_mtime
        newest = stamp if newest is None else max(newest, stamp)
        total += stat.st_size
    last = datetime.fromtimestamp(newest, UTC) if newest is not None else None
    return BackupSource(kind="folder", location=str(path), last_success=last, size_bytes=total,
                        error="" if last else "no files")


def _walk_files(root: Path) -> Iterator[os.DirEntry[str]]:
    """Regular files under ``root`` (not following links), at most MAX_FILES, MAX_DEPTH deep;
    raises OSError when ``root`` itself cannot be listed, skips unreadable subfolders."""
    stack = [(str(root), 0)]
    count = 0
    first = True
    while stack:
        folder, depth = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            if first:
                raise
            continue
        first = False
        for entry in entries:
            if entry.is_dir(follow_symlinks=False) and depth < MAX_DEPTH:
                stack.append((entry.path, depth + 1))
            elif entry.is_file(follow_symlinks=False) and not _ignored(entry.name):
                count += 1
                if count > MAX_FILES:
                    return
                yield entry


def _ignored(name: str) -> bool:
    lowered = name.lower()
    return lowered in IGNORED_FILES or lowered.startswith("~$") or lowered.endswith((".tmp", ".partial"))


def read_restic(ctx: ProbeContext, repo: Repository) -> BackupSource:
    env = {"RESTIC_PASSWORD_FILE": str(repo.password_file)} if repo.password_file else {}
    argv = ["restic", "--repo", repo.location, "--no-lock", "--json", "snapshots"]
    source = BackupSource(kind="restic", location=repo.location)
    text = _run_repo_command(ctx, argv, env, source)
    if text is not None:
        source.last_success, source.size_bytes = parse_restic_snapshots(text)
    return source


def read_borg(ctx: ProbeContext, repo: Repository) -> BackupSource:
    """The passphrase is read from its file here and handed over in BORG_PASSPHRASE, rather than
    BORG_PASSCOMMAND, which would run a command built from a configuration value."""
    source = BackupSource(kind="borg", location=repo.location)
    env = {"BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "yes", "BORG_RELOCATED_REPO_ACCESS_IS_OK": "no"}
    if repo.password_file:
        try:
            env["BORG_PASSPHRASE"] = ctx.read_text(repo.password_file).rstrip("\r\n")
        except OSError as exc:
            source.error = f"passphrase file: {describe(exc)}"
            return source
    argv = ["borg", "list", "--json", "--last", "1", "--lock-wait", "5", repo.location]
    text = _run_repo_command(ctx, argv, env, source)
    if text is not None:
        source.last_success = parse_borg_list(text)
    return source


def read_wbadmin(ctx: ProbeContext) -> BackupSource:
    """Windows backup history; needs an elevated agent (Administrators / Backup Operators)."""
    source = BackupSource(kind="windows", location="wbadmin")
    script = "(& wbadmin.exe get versions 2>&1 | Out-String) | ConvertTo-Json -Compress"
    try:
        text = json.loads(windows.run_powershell(script, run=ctx.run))
        source.last_success = parse_wbadmin_versions(str(text))
        if source.last_success is None:
            source.error = "no backup versions"
    except (windows.PowerShellError, ValueError) as exc:
        source.error = describe(exc)
    return source


def _run_repo_command(ctx: ProbeContext, argv: list[str], env: dict[str, str], source: BackupSource) -> str | None:
    """The command's stdout, or None with ``source.error`` set (its first stderr line)."""
    try:
        done = ctx.run(argv, REPO_TIMEOUT_S, env)
    except CommandError as exc:
        source.error = str(exc)
        return None
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        source.error = _restic_message(lines[-1]) if lines else f"exit status {done.returncode}"
        return None
    return done.stdout


def _restic_message(line: str) -> str:
    """restic >= 0.17 prints fatal errors as JSON ``{"message_type":"exit_error",...}``."""
    try:
        value = json.loads(line)
    except ValueError:
        return line.strip()
    return str(value.get("message", line)) if isinstance(value, dict) else line.strip()


def collect(ctx: ProbeContext) -> Backup:
    """Every configured source (and Windows' own backup history on Windows); never raises."""
    settings = ctx.settings
    sources = [_safely("folder", str(f), lambda f=f: read_folder(f)) for f in settings.backup_folders]
    sources += [_safely("restic", r.location, lambda r=r: read_restic(ctx, r)) for r in settings.restic_repos]
    sources += [_safely("borg", r.location, lambda r=r: read_borg(ctx, r)) for r in settings.borg_repos]
    if ctx.system == "Windows":
        sources.append(_safely("windows", "wbadmin", lambda: read_wbadmin(ctx)))
    return Backup(sources=sources)


def _safely(kind: str, location: str, read: Callable[[], BackupSource]) -> BackupSource:
    """``read()``; a failure of any kind is that source's error (the others still go out)."""
    try:
        return read()
    except Exception as exc:  # noqa: BLE001 - recorded on the source, see docstring
        return BackupSource(kind=kind, location=location, error=describe(exc))
