"""The pieces a bulk import leans on: a bounded aggregate cache, and the progress line."""

from __future__ import annotations

import io
import uuid
import weakref

from ledger.application.batch import AggregateCache
from ledger.cli.progress import Progress
from ledger.domain.model import Entity, new_entity


class Cycle:
    me: object = None


def organisation(entries: int, version: int = 1) -> Entity:
    aggregate = new_entity("organisation", uuid.uuid4())
    aggregate.version = version
    aggregate.entries = {uuid.uuid4(): None for _ in range(entries)}  # type: ignore[misc]
    return aggregate


def test_the_cache_forgets_the_least_recently_used_beyond_its_bound() -> None:
    cache = AggregateCache(max_entries=30)
    old, middle, new = organisation(9), organisation(9), organisation(9)
    cache.keep([old, middle, new])
    assert len(cache) == 3
    # Taking an aggregate out and keeping it again makes it the most recently used
    taken = cache.take(old.id)
    assert taken is old and cache.take(old.id) is None
    cache.keep([old])
    cache.keep([organisation(9)])
    assert cache.take(middle.id) is None  # the oldest went to make room
    assert cache.take(old.id) is old


def test_the_cache_drops_an_aggregate_another_writer_has_appended_to() -> None:
    cache = AggregateCache()
    mine = organisation(3, version=4)
    cache.keep([mine])
    other = organisation(3)
    cache.keep([other])
    cache.forget(mine.id)  # another writer recorded a change to it
    assert cache.take(mine.id) is None
    assert cache.take(other.id) is other


def test_the_cache_skips_reading_back_only_what_this_process_wrote_right_after_its_position() -> (
    None
):
    cache = AggregateCache()
    cache.position = 100
    cache.appended(5, 105)  # positions 101..105 are all ours
    assert cache.position == 105
    cache.appended(3, 110)  # 106..110 holds five events and only three are ours
    assert cache.position == 105
    cache.appended(0, 105)
    assert cache.position == 105


def test_the_progress_line_shows_share_rate_and_eta_only_when_enabled() -> None:
    shown, hidden = io.StringIO(), io.StringIO()
    for stream, enabled in ((shown, True), (hidden, False)):
        bar = Progress(stream, total_bytes=1000, enabled=enabled)
        bar.start_file(500, entries=10)
        bar.advance(5, 5)
        bar.end_file(10)
        bar.clear()
    assert hidden.getvalue() == ""
    text = shown.getvalue()
    assert "50%" in text and "10 changes" in text and "/s" in text and "ETA" in text
    assert text.endswith("\r\033[K")  # rubbed out before ordinary output


def test_a_paced_batch_restores_the_collector_and_unfreezes_what_it_froze() -> None:
    import gc

    from ledger.application.batch import collect_now, paced_collection

    assert gc.isenabled()
    collect_now(freeze=True)  # outside a paced batch: does nothing
    assert gc.get_freeze_count() == 0
    with paced_collection():
        assert not gc.isenabled()  # only collect_now collects
        with paced_collection():  # nested: the outer one keeps the pacing
            pass
        assert not gc.isenabled()
        kept = [object() for _ in range(10)]
        garbage = Cycle()
        garbage.me = garbage  # only the collector frees a cycle
        gone = weakref.ref(garbage)
        del garbage
        assert gone() is not None  # not collected by itself while paced
        collect_now(freeze=True)
        assert gone() is None
        assert gc.get_freeze_count() > 0
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    assert len(kept) == 10
