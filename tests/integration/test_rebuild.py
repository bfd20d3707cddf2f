"""The read model is a cache of the log: rebuilding it, or replaying the events in memory, gives the same answers."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from itertools import pairwise

from ledger.bootstrap import Ledger
from ledger.domain.replay import replay_structure
from ledger.views.axes import Axes
from tests.support.histories import build_history, stored_log


def test_rebuild_and_replay_agree_on_a_random_history(ledger: Ledger, cli) -> None:
    # A few hundred random changes, many recorded out of effective order; refusals are part of the story.
    accepted = build_history(ledger, seed=7, attempts=700)
    assert accepted >= 300, accepted
    log = stored_log(ledger)
    effective = [e.effective.start for _, e in log]
    assert any(b < a for a, b in pairwise(effective)), "history should contain back-dated records"

    rng = random.Random(11)
    dates = [date(2010, 1, 1) + timedelta(days=rng.randrange(4200)) for _ in range(20)]
    before = {d: ledger.queries.structure(Axes(on=d)) for d in dates}
    assert sum(len(s["organisations"]) for s in before.values()) > 100

    # Rebuild the read model from zero through the CLI, as an operator would.
    result = cli.ok("rebuild")
    assert "rebuilt the read model" in result

    for d in dates:
        after = ledger.queries.structure(Axes(on=d))
        assert json.dumps(after, sort_keys=True) == json.dumps(before[d], sort_keys=True), d
        # ... and the same document from a plain in-memory replay of the stored events.
        replayed = replay_structure(log, d)
        assert json.dumps(replayed, sort_keys=True) == json.dumps(before[d], sort_keys=True), d
        # The CLI's JSON is the same document.
        assert (
            json.loads(cli.ok("structure", "--on", d.isoformat(), "--format", "json")) == before[d]
        )
