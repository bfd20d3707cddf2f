"""`ledger serve` for the tests: a free port, and a served store in a thread of the test process."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import make_server

from ledger.bootstrap import open_reader
from ledger.web.server import create_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(url: str) -> Iterator[str]:
    """The store at URL served as `ledger serve` serves it, on a free port; yields its address."""
    reader = open_reader(url)
    server = make_server("127.0.0.1", 0, create_app(reader.queries), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        reader.close()
