"""canhgac: the command-line entry point that ties agent, collector and server together."""

from agent import __version__

__all__ = ["__version__"]
