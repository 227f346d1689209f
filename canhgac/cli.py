"""The ``canhgac`` command. Agent commands load only the agent; server-side commands are loaded
lazily, so an office PC with the base install never imports the web stack or the database."""

from __future__ import annotations

import importlib

import click

from canhgac import __version__

# command name -> "module:attribute"; loaded only when that command runs or its help is shown.
LAZY_COMMANDS = {
    "agent": "canhgac.agent_commands:agent",
    "serve": "canhgac.server_commands:serve",
    "units": "canhgac.server_commands:units",
    "tokens": "canhgac.server_commands:tokens",
    "users": "canhgac.server_commands:users",
    "machines": "canhgac.server_commands:machines",
    "demo": "canhgac.demo_command:demo",
}

SERVER_EXTRA_HINT = "this command needs the server extra: pip install 'canhgac[server]'"


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(LAZY_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = LAZY_COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.split(".")[0] in {"canhgac", "agent", "collector", "server", "rules"}:
                raise
            raise click.ClickException(f"{SERVER_EXTRA_HINT} (missing module: {exc.name})") from exc
        command: click.Command = getattr(module, attribute)
        return command


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "show_default": True},
)
@click.version_option(__version__, prog_name="canhgac")
def main() -> None:
    """canhgac (canh gác): inventory and security watch for commune and province offices.

    Agent commands run on each office PC; serve, units, tokens, users, machines and demo
    run on the collector (they need the server extra).
    """
