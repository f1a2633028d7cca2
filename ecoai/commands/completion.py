"""`ecoai completion SHELL`: print the shell completion script, generated from this CLI."""

from __future__ import annotations

from enum import StrEnum

import typer

HELP = """Print the completion script for SHELL (bash, zsh or fish) on stdout.

It completes subcommands, flags and the ids of the built-in profiles (--model, --host, --grid,
--hardware, --task ...). Load it with `eval "$(ecoai completion bash)"` in ~/.bashrc,
`ecoai completion zsh > "${fpath[1]}/_ecoai"`, or
`ecoai completion fish > ~/.config/fish/completions/ecoai.fish`.
"""


class Shell(StrEnum):
    BASH = "bash"
    ZSH = "zsh"
    FISH = "fish"


def completion_command(
    ctx: typer.Context,
    shell: Shell = typer.Argument(..., help="bash, zsh or fish.", show_default=False),
) -> None:
    from ecoai.commands.values import require_stdout
    from ecoai.completion import script

    require_stdout()
    typer.echo(script(shell.value, ctx.find_root().command), nl=False)


def register(app: typer.Typer) -> None:
    """Add `ecoai completion` to ``app``."""
    app.command("completion", help=HELP)(completion_command)
