"""The agent as a long-running service: one object a service manager starts and stops, around
the same loop ``canhgac agent run`` runs (agent.runner.run_forever).

``start()`` runs the loop in the calling thread until ``stop()`` is called from another thread
or a signal handler; a cycle under way finishes first (its report is already in the spool, and
the spool is what survives a stop in any case). The same object serves every host:
- ``canhgac agent run`` in a terminal, under systemd (SIGTERM) or a Windows service wrapper that
  sends Ctrl+C / Ctrl+Break to its child (:func:`stop_on_signals`);
- a Windows service host (a ``win32serviceutil.ServiceFramework`` of the frozen agent) would call
  ``start()`` from ``SvcDoRun`` and ``stop()`` from ``SvcStop``: that class is not here, since it
  cannot run or be tested on this machine (the package plan is in the issue 19 report).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType

from agent.config import AgentConfig
from agent.runner import Clock, CycleResult, run_forever, utc_now

# SIGBREAK is Windows' Ctrl+Break (what a console-less wrapper can send a child); POSIX has none.
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGBREAK") if hasattr(signal, name))


class AgentService:
    """Start and stop the agent's run loop; ``stopped`` tells whether it was asked to stop."""

    def __init__(self, config: AgentConfig, on_cycle: Callable[[CycleResult], None], clock: Clock = utc_now) -> None:
        self.config = config
        self.on_cycle = on_cycle
        self.clock = clock
        self._stop = threading.Event()

    def start(self) -> None:
        """Run cycles until :meth:`stop`; returns once the loop has ended."""
        run_forever(self.config, self.on_cycle, self.clock, stop=self._stop)

    def stop(self) -> None:
        """Ask the loop to end (safe from any thread and from a signal handler)."""
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()


def stop_on_signals(service: AgentService, signals: tuple[int, ...] = STOP_SIGNALS) -> None:
    """Make the stop signals (SIGTERM from systemd or ``kill``, SIGINT from Ctrl+C, SIGBREAK on
    Windows) stop ``service`` instead of killing the process mid-cycle. Main thread only."""

    def handle(signum: int, frame: FrameType | None) -> None:
        service.stop()

    for number in signals:
        signal.signal(number, handle)
