"""`ledger completion`: tab completion of commands, options and choices for bash, zsh and fish,
printed or installed with one command (typer's completion scripts). No `from __future__ import
annotations` here: see cli/main.py."""

import os
from enum import StrEnum
from typing import Annotated

import typer

from ledger.cli.app import COMPLETE_VAR, app, fail


class Shell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


@app.command()
def completion(
    shell: Annotated[
        Shell | None,
        typer.Argument(help="bash, zsh or fish. Default: the shell $SHELL names."),
    ] = None,
    install: Annotated[
        bool,
        typer.Option(
            "--install",
            help="Install it for your user (bash: ~/.bash_completions/ledger.sh, sourced from "
            "~/.bashrc; zsh: ~/.zfunc/_ledger; fish: ~/.config/fish/completions/ledger.fish).",
        ),
    ] = False,
) -> None:
    """Tab completion for the shell: print its script, or install it with --install (then open
    a new shell).

    \b
    Example:
      ledger completion bash --install
      ledger completion zsh
    """
    from typer._completion_shared import get_completion_script
    from typer._completion_shared import install as install_script

    chosen = shell.value if shell else os.path.basename(os.environ.get("SHELL", ""))
    if chosen not in {s.value for s in Shell}:
        fail(
            f"cannot tell the shell from $SHELL ({chosen or 'unset'}): name it, bash, zsh or fish",
            2,
        )
    if not install:
        typer.echo(
            get_completion_script(prog_name="ledger", complete_var=COMPLETE_VAR, shell=chosen)
        )
        return
    try:
        _, path = install_script(shell=chosen, prog_name="ledger", complete_var=COMPLETE_VAR)
    except OSError as exc:
        fail(f"cannot install the completion: {exc}", 2)
    typer.echo(f"installed {chosen} completion in {path}; it works in shells opened from now on")
