"""The web commands: `ledger serve` (the read-only web application) and `ledger atlas` (its pages as
a static site). Both read the store only; the pages live in ledger.web. No `from __future__ import
annotations` here: see cli/main.py.
"""

import sys
from pathlib import Path
from typing import Annotated

import typer

from ledger.cli.app import app, fail, reading
from ledger.cli.options import ProgressOpt


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="The port to listen on (0: any free).")
    ] = 8000,
) -> None:
    """A read-only web application over the store: the structure on any date (moving through the
    days on which anything changed), each body's names, members, posts, facts, changes and
    lineage, people, posts, sources, changes with their proofs, diffs and plans; every page at
    an address that encodes its dates, and its JSON (what --format json prints) at the same
    address ending .json. Stop it with Ctrl-C.

    \b
    Example:
      ledger serve
      ledger serve --host 0.0.0.0 --port 8080
    """
    with reading(ctx) as led:
        from werkzeug.serving import make_server

        from ledger.web.server import create_app

        try:
            server = make_server(host, port, create_app(led.queries), threaded=True)
        except (OSError, SystemExit) as exc:
            fail(f"cannot listen on {host}:{port}: {exc}", 2)
        address = f"http://{host}:{server.server_port}/"
        typer.echo(f"serving the ledger at {address} (read-only); Ctrl-C stops", err=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()


@app.command()
def atlas(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="The folder to write the site into.")],
    force: Annotated[
        bool, typer.Option("--force", help="Write into --out even if it is not empty.")
    ] = False,
    progress: ProgressOpt = True,
) -> None:
    """The pages of `ledger serve` as a static site, to publish a ledger: the structure on each
    milestone and on every day a change took effect, each body on each of them, and every body,
    person, post, source and change, each page beside its JSON. Links are relative: the site
    opens from the file system (OUT/index.html) with no server.

    \b
    Example:
      ledger atlas --out site/
    """
    from ledger.cli.progress import Progress

    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not force)):
        what = "is not a folder" if not out.is_dir() else "is not empty"
        fail(f"{out} {what}; give --force to write into it, or another --out", 2)
    with reading(ctx) as led:
        from ledger.web.atlas import write_atlas

        bar: Progress | None = None

        def step(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = Progress(
                    sys.stderr, total, enabled=progress and sys.stderr.isatty(), unit="pages"
                )
            bar.reached(done)

        try:
            count = write_atlas(led.queries, out, progress=step)
        except OSError as exc:
            fail(f"cannot write {out}: {exc}", 2)
        finally:
            if bar is not None:
                bar.clear()
        typer.echo(f"wrote {count} pages to {out} (open {out / 'index.html'})")
