"""What every probe receives, and the helpers that keep a probe from ever raising."""

from __future__ import annotations

import platform
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import msgspec

from agent.config import QUIET, ProbeSettings
from agent.programs import CommandError, CommandResult, CommandRunner, run_command
from agent.wire.schema import ProbeError, Role

T = TypeVar("T")
TextReader = Callable[[Path], str]
__all__ = ["CommandError", "CommandResult", "CommandRunner", "ProbeContext", "attempt", "describe", "read_optional",
           "read_text", "run_command"]


def read_text(path: Path) -> str:
    """A local file's text (bad bytes replaced); raises OSError. The probes' one file seam."""
    return path.read_text(encoding="utf-8", errors="replace")


class ProbeContext(msgspec.Struct, frozen=True):
    """``now`` is the report's clock; ``read_text`` is how probes read local files (tests pass
    a failing one); ``run`` how they run commands (PowerShell included); ``system`` is
    platform.system() ("Linux", "Windows", "Darwin", ...); ``settings`` what the configuration
    asks them to look at (a bare context is QUIET: it sends nothing); ``role`` the agent's role
    (offline: the network probe sends nothing whatever the settings)."""

    now: datetime
    read_text: TextReader = read_text
    system: str = msgspec.field(default_factory=platform.system)
    run: CommandRunner = run_command
    settings: ProbeSettings = QUIET
    role: Role = Role.NORMAL


def describe(exc: BaseException) -> str:
    """A one-line reason for a ProbeError: the OS message and path when there is one."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def attempt(errors: list[ProbeError], what: str, read: Callable[[], T], default: T) -> T:
    """``read()``, or ``default`` with a ProbeError appended when it fails in any way.

    Deliberately broad: a probe must never raise, and whatever failed is recorded, not hidden.
    """
    try:
        return read()
    except Exception as exc:  # noqa: BLE001 - recorded in the report, see docstring
        errors.append(ProbeError(what=what, reason=describe(exc)))
        return default


def read_optional(ctx: ProbeContext, path: Path) -> str | None:
    """The file's text, or None when it does not exist (nothing there is not a failure);
    any other OSError (permission denied, I/O error) propagates to be recorded."""
    try:
        return ctx.read_text(path)
    except FileNotFoundError:
        return None
