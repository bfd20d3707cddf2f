"""The `ledger` command: the root app (cli/app.py) with every command module registered on it, and
`run`, the console script's entry point.

The commands live one module per group: questions, recording (init, import, rebuild, grant and the
corrections), record (a subcommand per kind of change), audit and ods; the options they share are in
options.py. `ledger --help` lists them in the order app.LISTED declares, whatever the order here.

Heavy modules (eventsourcing, SQLAlchemy, pydantic models) are imported inside commands, so
`ledger --help` starts fast. For the same reason the modules that define commands (app, questions,
recording, record, audit, ods) do not postpone annotations (`from __future__ import annotations`):
typer reads every command's options at start-up, and from strings it compiled each one (368, about
35 ms of `--help`). Names imported only for type checking are quoted where they are used.
"""

import gc

from ledger.cli import audit, completion, ods, questions, record, recording, web  # noqa: F401  (they register)
from ledger.cli.app import app

__all__ = ["app", "run"]


def run() -> None:
    try:
        app()
    finally:
        # The process ends here: frozen, what it holds is not walked again by the collections
        # of its exit but left to the operating system.
        gc.freeze()


if __name__ == "__main__":
    run()
