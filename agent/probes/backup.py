"""Backup probe: for each configured source, the last successful backup time (and size when
the source tells it).

Sources come from the configuration only: folders (newest file time, total size), restic
repositories (``restic snapshots --json``), borg repositories (``borg list --json --last 1``);
on Windows also, from one PowerShell script (:data:`WINDOWS_PARTS`), the Windows Server Backup /
"Backup and Restore (Windows 7)" history (``wbadmin get versions``) and each user's File History
(its ``Config1.xml`` for the target and on/off state, and the ``ProtectedUpToTime`` value of
the user's ``Software\\Microsoft\\Windows\\CurrentVersion\\FileHistory`` key for the time up to
which files are protected: the last completed backup, as RegRipper's filehistory plugin and
plaso's File History parser read it). A source that cannot be read keeps ``last_success``
None and says why in its ``error``: unreachable is "unknown", never "old".
Source of formats and traps: shared/reference/endpoint-formats.md sections 3 and 8.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from agent import windows
from agent.config import Repository
from agent.probes.context import CommandError, ProbeContext, describe
from agent.wire.schema import Backup, BackupSource, ProbeError

MAX_FILES = 200_000
MAX_DEPTH = 32
REPO_TIMEOUT_S = 120.0
# Files every Windows folder grows by itself; they say nothing about a backup having run.
IGNORED_FILES = frozenset({"desktop.ini", "thumbs.db", ".ds_store"})
_WBADMIN_VERSION = re.compile(r"^\s*Version identifier:\s*(\d\d/\d\d/\d{4}-\d\d:\d\d)\s*$", re.MULTILINE)
_ANY_VERSION_ID = re.compile(r"\b(\d\d/\d\d/\d{4}-\d\d:\d\d)\b")
FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
FILE_HISTORY_KEY = "Software\\Microsoft\\Windows\\CurrentVersion\\FileHistory"
WINDOWS_PARTS = {
    # wbadmin needs an elevated agent (Administrators / Backup Operators); its stderr becomes
    # the part's error through 2>&1 under ErrorActionPreference Stop.
    "wbadmin": "(& wbadmin.exe get versions 2>&1 | Out-String)",
    # The agent runs as LocalSystem: each user's File History lives in their own profile and
    # registry hive (HKEY_USERS\\<SID> is there only while the user is signed in).
    "filehistory": windows.json_rows(
        "Get-ChildItem 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList' | ForEach-Object { "
        "$sid = $_.PSChildName; $dir = (Get-ItemProperty -LiteralPath $_.PSPath).ProfileImagePath; "
        "$cfg = if ($dir) { Join-Path $dir "
        "'AppData\\Local\\Microsoft\\Windows\\FileHistory\\Configuration\\Config1.xml' }; "
        "if ($cfg -and (Test-Path -LiteralPath $cfg)) { [pscustomobject]@{ Sid=$sid; "
        "Config=(Get-Content -LiteralPath $cfg -Raw); ProtectedUpToTime=(Get-ItemProperty -LiteralPath "
        "\"Registry::HKEY_USERS\\$sid\\" + FILE_HISTORY_KEY + "\" -ErrorAction SilentlyContinue)"
        ".ProtectedUpToTime } } }"
    ),
}


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


def parse_filetime(value: Any) -> datetime | None:
    """A FILETIME (100-ns ticks since 1601-01-01 UTC, a registry QWORD) as UTC; None for
    null or 0, which File History leaves when it has no completed backup to report."""
    ticks = windows.as_int(value)
    return FILETIME_EPOCH + timedelta(microseconds=ticks // 10) if ticks else None


def parse_file_history_config(text: str) -> tuple[bool, str]:
    """(enabled, target) from a File History ``Config1.xml`` (``DataProtectionUserConfig``):
    ``DPStatus`` ENABLED and the ``Target``'s ``TargetUrl`` (else ``TargetName``). Raises
    ValueError when it is not such a file."""
    root = windows.parse_xml(text)
    if root.tag != "DataProtectionUserConfig":
        raise ValueError(f"not a File History configuration: <{root.tag}>")
    target = root.findtext("Target/TargetUrl") or root.findtext("Target/TargetName") or ""
    return (root.findtext("DPStatus") or "").strip().upper() == "ENABLED", target.strip()


def parse_file_history(items: list[dict[str, Any]]) -> list[BackupSource]:
    """One source per user with a File History configuration; an unreadable one keeps its
    error (the others still count)."""
    return [_file_history_source(item) for item in items]


def _file_history_source(item: dict[str, Any]) -> BackupSource:
    source = BackupSource(kind="windows", location="File History")
    try:
        enabled, target = parse_file_history_config(windows.as_text(item.get("Config")))
    except ValueError as exc:
        source.error = f"Config1.xml: {exc}"
        return source
    source.location = f"File History: {target}" if target else "File History"
    source.last_success = parse_filetime(item.get("ProtectedUpToTime"))
    if not enabled:
        source.error = "File History is turned off"
    elif source.last_success is None:
        source.error = ("no ProtectedUpToTime: no completed backup, or the user is not signed in "
                        "(their registry hive is not loaded)")
    return source


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


def wbadmin_source(value: Any) -> BackupSource:
    """The wbadmin part as a source: its newest version, or why there is none."""
    if windows.part_error(value):
        return BackupSource(kind="windows", location="wbadmin", error=str(windows.part_error(value)).strip())
    last = parse_wbadmin_versions(windows.as_text(value))
    return BackupSource(kind="windows", location="wbadmin", last_success=last,
                        error="" if last else "no backup versions")


def parse_windows_backup(text: str, errors: list[ProbeError]) -> list[BackupSource]:
    """The wbadmin source and the File History sources from the Windows script's output; a
    File History part that failed as a whole is recorded in ``errors``."""
    parts = windows.parse_parts(text)
    sources = [wbadmin_source(parts.get("wbadmin"))]
    sources += windows.read_part(parts, "filehistory", errors, lambda v: parse_file_history(windows.rows(v)), [])
    return sources


def read_windows(ctx: ProbeContext, errors: list[ProbeError]) -> list[BackupSource]:
    try:
        text = windows.run_powershell(windows.parts_script(WINDOWS_PARTS), run=ctx.run)
        return parse_windows_backup(text, errors)
    except (windows.PowerShellError, ValueError) as exc:
        return [BackupSource(kind="windows", location="wbadmin", error=describe(exc))]


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
    """Every configured source (and Windows' own backup history and File History on Windows);
    never raises."""
    settings = ctx.settings
    errors: list[ProbeError] = []
    sources = [_safely("folder", str(f), lambda f=f: read_folder(f)) for f in settings.backup_folders]
    sources += [_safely("restic", r.location, lambda r=r: read_restic(ctx, r)) for r in settings.restic_repos]
    sources += [_safely("borg", r.location, lambda r=r: read_borg(ctx, r)) for r in settings.borg_repos]
    if ctx.system == "Windows":
        try:
            sources += read_windows(ctx, errors)
        except Exception as exc:  # noqa: BLE001 - recorded on the source, see _safely
            sources.append(BackupSource(kind="windows", location="wbadmin", error=describe(exc)))
    return Backup(sources=sources, errors=errors)


def _safely(kind: str, location: str, read: Callable[[], BackupSource]) -> BackupSource:
    """``read()``; a failure of any kind is that source's error (the others still go out)."""
    try:
        return read()
    except Exception as exc:  # noqa: BLE001 - recorded on the source, see docstring
        return BackupSource(kind=kind, location=location, error=describe(exc))
