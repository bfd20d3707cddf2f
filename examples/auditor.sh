#!/usr/bin/env bash
# The auditor's walkthrough: the log in recorded order, a correction that supersedes a change
# (the original stays in the log), answers as they stood before the correction (--known-at),
# a replay of the log, the plans as the ledger knew them at an earlier point, and tamper
# evidence: a signed checkpoint, `ledger verify`, an inclusion proof checked offline, and an
# export verified without the database.
#
# Run from the repository root, with `ledger` on PATH (e.g. after `. .venv/bin/activate`):
#   LEDGER_DATABASE_URL=/tmp/x.db bash examples/auditor.sh
#
# EXAMPLE DATA: the Chair appointment below is MADE UP ("Dr Example Chair", source
# "example-board-minutes"), recorded with a deliberately wrong date and then corrected. It is
# appended to the store for real, so use a fresh store (a new file) for each run.
set -euo pipefail

: "${LEDGER_DATABASE_URL:?set LEDGER_DATABASE_URL to the store to use, e.g. /tmp/x.db}"
export LEDGER_DATABASE_URL
# The auditor's own files (key, checkpoints, proof, export) go in a folder of their own.
AUDIT_DIR=$(mktemp -d)
trap 'rm -rf "$AUDIT_DIR"' EXIT

echo "# Import the bundled ledger (events/); a second import appends nothing"
ledger import events/

echo
echo "# EXAMPLE: register the made-up source these examples cite (the store's changes cite registered sources)"
ledger source add example-board-minutes --title "EXAMPLE ONLY: made-up board minutes" \
    --published 2026-12 --issued-by "NHS Devon CCG (example)" --kind "board minutes"

echo
echo "# The first six changes in recorded order (the five papers registered, then the first change): position, recorded-at, recorder, reason, sources"
ledger log --limit 6

echo
echo "# EXAMPLE: record an appointment with a deliberately wrong date (2028-04-01; it should be 2027-04-01)"
ledger record appointed "Dr Example Chair" --post Chair --organisation "NHS Devon CCG" \
    --effective 2028-04-01 \
    --source "example-board-minutes:item 3, chair" \
    --reason "EXAMPLE ONLY: made-up appointment, date deliberately mistyped" \
    --id example-chair-appointment --by example-pmo

echo
echo "# Who chaired NHS Devon CCG on 2027-06-01? Nobody yet, because of the wrong date"
ledger holders "Chair, NHS Devon CCG" --on 2027-06-01

echo
echo "# EXAMPLE: correct the date; a new change supersedes the original, which stays in the log"
ledger correct example-chair-appointment --effective 2027-04-01 \
    --reason "EXAMPLE ONLY: the minutes say April 2027, not 2028" --id example-chair-correction \
    --by example-auditor

echo
echo "# The corrected answer: the chair from 2027-04-01"
ledger holders "Chair, NHS Devon CCG" --on 2027-06-01

echo
echo "# The answer as it stood before the correction (--known-at the original change): from 2028-04-01"
ledger holders "Chair, NHS Devon CCG" --on 2028-06-01 --known-at example-chair-appointment

echo
echo "# Both entries are in the log, in recorded order, with who recorded each; the correction says what it corrects"
ledger log --format csv | grep -E '^position|example-chair'

echo
echo "# Replay the log from the start up to position 10: each step with who recorded it and why"
ledger replay --until 10

echo
echo "# Plans as the ledger knew them just after its last Cornwall change (04-cornwall-2017.yaml; files"
echo "# are imported in name order), before 05-plymouth-devon-2019.yaml: its April 2019 plans are not there yet"
ledger plans --known-at cios-acs-new-form-planned-2019-04-01

echo
echo "# Tamper evidence: make a signing key, and take a signed checkpoint of the whole log"
ledger keygen --out "$AUDIT_DIR/board.key"
ledger checkpoint --sign "$AUDIT_DIR/board.key" --out "$AUDIT_DIR/checkpoint.txt"

echo
echo "# Verify: the chain, the checkpoint and its signature, and the read model against a rebuild"
ledger verify --checkpoint "$AUDIT_DIR/checkpoint.txt" --key "$AUDIT_DIR/board.key.pub"

echo
echo "# Prove that the Devon CCG merger is in the checkpointed log, and check the proof offline"
ledger prove devon-ccgs-merge-2019-04 --checkpoint "$AUDIT_DIR/checkpoint.txt" --out "$AUDIT_DIR/merger.proof.json"
ledger verify-proof "$AUDIT_DIR/merger.proof.json" --checkpoint "$AUDIT_DIR/checkpoint.txt" --key "$AUDIT_DIR/board.key.pub"

echo
echo "# Export every stored event with its hashes, and verify the export without the database"
ledger export --format jsonl --out "$AUDIT_DIR/ledger.jsonl"
ledger verify --from-export "$AUDIT_DIR/ledger.jsonl" --checkpoint "$AUDIT_DIR/checkpoint.txt" --key "$AUDIT_DIR/board.key.pub"

echo
echo "# Replay the first ten changes, checking the chain as it goes"
ledger replay --verify --until 10 --format csv
