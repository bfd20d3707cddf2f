#!/usr/bin/env bash
# The historian's walkthrough: what existed when, what a body became, who held a post, with sources.
#
# Run from the repository root, with `ledger` on PATH (e.g. after `. .venv/bin/activate`):
#   LEDGER_DATABASE_URL=/tmp/x.db bash examples/historian.sh
#
# It only reads, apart from importing the bundled ledger (idempotent), so it can be run any number
# of times on the same store.
set -euo pipefail

: "${LEDGER_DATABASE_URL:?set LEDGER_DATABASE_URL to the store to use, e.g. /tmp/x.db}"
export LEDGER_DATABASE_URL

echo "# Import the bundled ledger (events/); a second import appends nothing"
ledger import events/

echo
echo "# Which CCGs existed on 2019-03-31, the day before the Devon merger?"
ledger structure --on 2019-03-31 --kind ccg

echo
echo "# Which CCGs existed on 2019-04-01?"
ledger structure --on 2019-04-01 --kind ccg

echo
echo "# What did NEW Devon CCG become? (predecessors and successors, with dates and sources)"
ledger lineage "NEW Devon CCG"

echo
echo "# Who led the Devon STP in October 2017?"
ledger holders "Chief Executive, Devon STP" --on 2017-10-31

echo
echo "# Everything that touched Livewell Southwest, in effective order, with the papers it comes from"
ledger history "Livewell Southwest"

echo
echo "# What changed across the whole system around the merger (2019-03-20 to 2019-04-01)?"
ledger diff 2019-03-20 2019-04-01
