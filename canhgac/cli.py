"""The ``canhgac`` command. Agent commands load only the agent; server-side commands are loaded
lazily, so an office PC with the base install never imports the web stack or the database."""

from __future__ import annotations

import importlib
from typing import Any

import click

from canhgac import __version__

# command name -> ("module:attribute", one-line help; its Vietnamese words are rules.glossary's, which
# tests/test_glossary.py checks: the agent's install must not load ``rules`` to print them). A command's
# module is imported only when that command runs or shows its own help, so `canhgac --help` loads
# nothing heavy.
LAZY_COMMANDS = {
    "agent": ("canhgac.agent_commands:agent", "Office PC: enroll, collect, run (base install)."),
    "serve": ("canhgac.serve_command:serve", "Run the collector and the API."),
    "units": ("canhgac.units_commands:units", "Units (đơn vị): add, list, rename, move, merge, retire, import."),
    "tokens": ("canhgac.tokens_commands:tokens", "Enrollment tokens for a unit."),
    "users": ("canhgac.users_commands:users", "People, their roles and API tokens."),
    "machines": ("canhgac.machines_commands:machines", "Machines known to the collector."),
    "demo": ("canhgac.demo_command:demo", "A simulated commune to look around in."),
    "db": ("canhgac.db_commands:db", "The collector's database: init, backup, restore, check."),
    "import": ("canhgac.import_command:import_", "Import enrollment and report files from offline PCs."),
    "scan": ("canhgac.scan_commands:scan", "Compliance scans: the LAN, SNMP gear, everything."),
    "rules": ("canhgac.rules_commands:rules", "Rule packs: list, check, test on facts."),
    "licences": ("canhgac.licences_commands:licences", "The licence register (sổ bản quyền)."),
    "alerts": ("canhgac.alerts_commands:alerts", "Alerts: list and acknowledge."),
    "report": ("canhgac.report_commands:report", "Reports: readiness per unit (table, CSV, XLSX, HTML)."),
    "audit": ("canhgac.audit_commands:audit", "The audit log (nhật ký): who changed what."),
    "officials": ("canhgac.officials_commands:officials", "The officials register (danh sách CB,CC)."),
    "incidents": ("canhgac.incidents_commands:incidents", "The incident register (sổ sự cố)."),
}

SERVER_EXTRA_HINT = "this command needs the server extra: pip install 'canhgac[server]'"


class LazyGroup(click.Group):
    """A group whose subcommands are named in ``lazy`` ({name: ("module:attribute", help)})
    and imported only when used."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.lazy)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy:
            return None
        module_name, attribute = self.lazy[cmd_name][0].split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.split(".")[0] in {"canhgac", "agent", "collector", "server", "rules"}:
                raise
            raise click.ClickException(f"{SERVER_EXTRA_HINT} (missing module: {exc.name})") from exc
        command: click.Command = getattr(module, attribute)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.exceptions.Exit:
            raise
        except Exception as exc:
            message = readable_error(exc)
            if message is None:
                raise
            raise click.ClickException(message) from exc

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, self.lazy[name][1]) for name in self.list_commands(ctx)])


FILE_ERRORS = {FileNotFoundError: "không tìm thấy tệp hoặc thư mục", PermissionError: "không có quyền",
               IsADirectoryError: "đây là một thư mục", NotADirectoryError: "không phải thư mục"}


def readable_error(exc: Exception) -> str | None:
    """One line for an error a person can fix (the library's typed errors, a missing folder or a
    file they may not write); None for a bug, which keeps its traceback."""
    try:  # only once something failed: the agent stays light
        from collector.config import CollectorConfigError
        from collector.errors import CanhgacError
    except ImportError:
        CanhgacError = CollectorConfigError = ()  # type: ignore[assignment,misc]
    if isinstance(exc, CanhgacError):
        return exc.detail
    if isinstance(exc, CollectorConfigError):
        return f"{exc} / giá trị cấu hình không hợp lệ"
    for kind, vietnamese in FILE_ERRORS.items():
        if type(exc) is kind and exc.filename:
            return f"{exc.filename}: {exc.strerror} / {vietnamese}"
    return None


@click.group(
    name="canhgac",
    cls=LazyGroup,
    lazy=LAZY_COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "show_default": True},
)
@click.version_option(__version__, prog_name="canhgac")
def main() -> None:
    """canhgac (canh gác): inventory and security watch for commune and province offices.

    Agent commands run on each office PC; serve, units, tokens, users, machines and demo
    run on the collector (they need the server extra).
    """
