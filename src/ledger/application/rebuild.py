"""A rebuild of a long log with the projection in worker processes.

Decoding and projecting an event costs more than inserting its rows, so on a long log (and a store
another process can open) worker processes read and project chunks of positions while the
rebuilding process, inside its one transaction, writes the chunks in log order as they come back.
`ReadModel.store` settles what a chunk cannot know alone: corrections of earlier chunks' changes,
entities and names already written, and a change projected again because its stored events
straddle two chunks.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from sqlalchemy.engine import Connection

from ledger.adapters.audit import max_position, stored_rows
from ledger.adapters.mapper import PydanticMapper
from ledger.adapters.readmodel import ChangeReader, PendingRows, ReadModel, stored_change_id
from ledger.application.errors import StoreUnavailable

CHUNK = 5_000  # positions per task
PARALLEL_FROM = (
    50_000  # a shorter log is rebuilt in the calling process: workers take ~1 s to start
)


def shareable(engine: Any) -> bool:
    """Whether another process can open this store (an in-memory SQLite database it cannot)."""
    url = engine.url
    if url.get_backend_name() != "sqlite":
        return True
    database = url.database or ""
    return database not in ("", ":memory:") and "mode=memory" not in str(url)


def project_in_workers(
    conn: Connection,
    readmodel: ReadModel,
    env: Mapping[str, str],
    workers: int,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Project positions up to the log's head (as it is now) in `workers` processes, each opening
    the store of the application at `env`, and store the chunks in order through `conn` into
    `readmodel`. Returns the last position stored (0 if the log is too short, or the store cannot
    be shared, to be worth it: the caller then projects it all itself)."""
    until = max_position(conn)
    if workers < 1 or until < PARALLEL_FROM or not shareable(conn.engine):
        return 0
    chunks = [(after, min(after + CHUNK, until)) for after in range(0, until, CHUNK)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(dict(env),)
    ) as pool:
        waiting: deque[Future[PendingRows]] = deque()
        queued = iter(chunks)
        stored = 0
        for _, last in chunks:
            while len(waiting) < 2 * workers:  # a few chunks ahead, never the whole log in memory
                chunk = next(queued, None)
                if chunk is None:
                    break
                waiting.append(pool.submit(_project_chunk, *chunk))
            try:
                pending = waiting.popleft().result()
            except Exception as exc:  # nothing is written: the rebuild's transaction rolls back
                raise StoreUnavailable(
                    f"rebuild failed: a worker could not project positions up to {last}: "
                    f"{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}"
                ) from None
            readmodel.store(conn, pending)
            ReadModel.set_position(conn, last)
            stored = last
            if progress is not None:
                progress(last)
    return stored


_worker: dict[str, Any] = {}


def worker_engine(env: dict[str, str]) -> Any:
    """An engine on the store the application at `env` opened, for a worker process that only
    reads the log: it must not construct the application, whose start-up writes (and would wait on
    the write lock the rebuilding process holds)."""
    from sqlalchemy import create_engine

    from ledger.adapters.store import configure_schema, configure_sqlite

    engine = create_engine(env["SQLALCHEMY_URL"])
    if env.get("LEDGER_SCHEMA"):
        configure_schema(engine, env["LEDGER_SCHEMA"])
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine)
    return engine


def _start_worker(env: dict[str, str]) -> None:
    gc.freeze()  # what is loaded by now lives as long as the worker: the collector can skip it
    engine = worker_engine(env)
    _worker["engine"] = engine
    _worker["reader"] = ChangeReader(PydanticMapper().decode)
    _worker["readmodel"] = ReadModel(engine.dialect)


def _project_chunk(after: int, until: int) -> PendingRows:
    """The read-model rows of positions (after, until], read and projected in a worker."""
    engine = _worker["engine"]
    reader: ChangeReader = _worker["reader"]
    readmodel: ReadModel = _worker["readmodel"]
    batch = []
    seen: set[str] = set()
    with engine.connect() as conn:
        for position, originator_id, version, topic, state in stored_rows(conn, after, until):
            key = stored_change_id(state)
            if key is not None:
                if key in seen:
                    continue
                seen.add(key)
            batch.append((position, reader.read(topic, originator_id, version, state)))
    return readmodel.project_all(batch)
