"""The canhgac agent: runs on each office PC, collects a report, signs and sends it.

Imports nothing of collector/server/rules, and nothing of the ``server`` extra.
"""

__version__ = "0.1.0"
