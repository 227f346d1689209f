"""Running a program for a probe: the agent's one command seam (PowerShell included)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping, Sequence

import msgspec


class CommandResult(msgspec.Struct, frozen=True):
    """What a finished command printed (text, bad bytes replaced) and its exit status."""

    returncode: int
    stdout: str
    stderr: str = ""


class CommandError(Exception):
    """A command could not be run to completion (not installed, timed out)."""


CommandRunner = Callable[[Sequence[str], float, Mapping[str, str] | None], CommandResult]


def run_command(argv: Sequence[str], timeout: float, env: Mapping[str, str] | None = None) -> CommandResult:
    """Run ``argv`` (never through a shell) with no stdin, ``env`` added to ours; raises
    CommandError when the program is missing or runs past ``timeout`` seconds. The probes'
    one command seam: a non-zero exit is a result, for the parser to judge."""
    try:
        done = subprocess.run(
            list(argv), capture_output=True, stdin=subprocess.DEVNULL, timeout=timeout, check=False,
            env={**os.environ, **env} if env else None,
        )
    except FileNotFoundError as exc:
        raise CommandError(f"{argv[0]} is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise CommandError(f"{argv[0]} did not finish within {timeout:g} s") from exc
    return CommandResult(done.returncode, _text(done.stdout), _text(done.stderr))


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")
