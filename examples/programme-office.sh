#!/usr/bin/env bash
# The programme office's walkthrough: append changes through the CLI, check them first with
# --dry-run, and see a change that contradicts the recorded history refused.
#
# Run from the repository root, with `ledger` on PATH (e.g. after `. .venv/bin/activate`):
#   LEDGER_DATABASE_URL=/tmp/x.db bash examples/programme-office.sh
#
# EXAMPLE DATA: the post, appointment, headcount and transfer below are MADE UP (future-dated, people
# "Alex Example" and "Sam Sample", source "example-board-minutes"); they are not from the papers.
# They are appended to the store for real, so use a fresh store (a new file) for each run.
set -euo pipefail

: "${LEDGER_DATABASE_URL:?set LEDGER_DATABASE_URL to the store to use, e.g. /tmp/x.db}"
export LEDGER_DATABASE_URL

echo "# Import the bundled ledger (events/); a second import appends nothing"
ledger import events/

echo
echo "# EXAMPLE: register the made-up source these examples cite (the store's changes cite registered sources)"
ledger source add example-board-minutes --title "EXAMPLE ONLY: made-up board minutes" \
    --published 2026-12 --issued-by "NHS Devon CCG (example)" --kind "board minutes"

# Every change needs a source (SOURCE_ID:LOCATOR) and a reason; these say they are examples.
APPOINTMENT_SOURCE=(--source "example-board-minutes:item 7, appointments"
                    --reason "EXAMPLE ONLY: made-up appointment to show the programme office workflow")
WORKFORCE_SOURCE=(--source "example-board-minutes:item 8, workforce"
                  --reason "EXAMPLE ONLY: made-up figures to show the programme office workflow")
FUNCTION="medicines optimisation (example)"

echo
echo "# NHS Devon CCG as merged on 2019-04-01"
ledger show "NHS Devon CCG" --on 2019-04-01

echo
echo "# EXAMPLE: a post to appoint to (the papers only propose the CCG's executive posts)"
ledger record post-created "Chief Operating Officer" --organisation "NHS Devon CCG" \
    --effective 2027-01-04 "${APPOINTMENT_SOURCE[@]}" --id example-coo-post

echo
echo "# EXAMPLE: check an appointment first with --dry-run (shows what would be appended; appends nothing)"
ledger record appointed "Alex Example" --post "Chief Operating Officer" --organisation "NHS Devon CCG" \
    --effective 2027-01-04 "${APPOINTMENT_SOURCE[@]}" --dry-run

echo
echo "# EXAMPLE: record it for real, with a stable label"
ledger record appointed "Alex Example" --post "Chief Operating Officer" --organisation "NHS Devon CCG" \
    --effective 2027-01-04 "${APPOINTMENT_SOURCE[@]}" --id example-coo

echo
echo "# Who holds the post in March 2027?"
ledger holders "Chief Operating Officer, NHS Devon CCG" --on 2027-03-01

echo
echo "# EXAMPLE: a second substantive holder of the same post is refused (one line, nothing written)"
if ledger record appointed "Sam Sample" --post "Chief Operating Officer" --organisation "NHS Devon CCG" \
    --effective 2027-03-01 "${APPOINTMENT_SOURCE[@]}"; then
    echo "expected the second substantive appointment to be refused" >&2
    exit 1
fi
echo "# (refused, as expected; an --interim or --acting appointment would be accepted)"

echo
echo "# EXAMPLE: record the headcount of a function, so that transfers out of it can be checked"
ledger record fact-recorded "NHS Devon CCG" headcount 40 --unit people --function "$FUNCTION" \
    --effective 2027-01 "${WORKFORCE_SOURCE[@]}" --id example-mo-headcount

echo
echo "# EXAMPLE: check a staff transfer of 12 with --dry-run, then record it"
ledger record staff-transferred "$FUNCTION" --from "NHS Devon CCG" --to "Livewell Southwest" \
    --headcount 12 --effective 2027-04-01 "${WORKFORCE_SOURCE[@]}" --dry-run
ledger record staff-transferred "$FUNCTION" --from "NHS Devon CCG" --to "Livewell Southwest" \
    --headcount 12 --effective 2027-04-01 "${WORKFORCE_SOURCE[@]}" --id example-mo-transfer

echo
echo "# EXAMPLE: a further transfer of 30 exceeds the 28 left, and is refused"
if ledger record staff-transferred "$FUNCTION" --from "NHS Devon CCG" --to "Livewell Southwest" \
    --headcount 30 --effective 2027-06-01 "${WORKFORCE_SOURCE[@]}"; then
    echo "expected the transfer exceeding the headcount to be refused" >&2
    exit 1
fi
echo "# (refused, as expected)"

echo
echo "# NHS Devon CCG's history to the end of 2027: the accepted examples are there, the refused ones are not"
ledger history "NHS Devon CCG" --on 2027-12-31
