"""The walkthroughs in examples/ run as a user would run them (bash, `ledger` on PATH, the store in
LEDGER_DATABASE_URL, from the repository root) and give the answers their comments promise."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.cli.render import PRESUMED
from tests.conftest import Cli

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SCRIPTS = ["historian.sh", "programme-office.sh", "auditor.sh"]


def run_script(name: str, db_url: str | None) -> subprocess.CompletedProcess[str]:
    """Run examples/NAME with bash from the repository root; stderr is merged into stdout, in order,
    so that a refusal message appears right after the question that provoked it."""
    env = dict(os.environ)
    env.pop("LEDGER_DATABASE_URL", None)
    if db_url is not None:
        env["LEDGER_DATABASE_URL"] = db_url
    # The `ledger` of the interpreter running the tests comes first on PATH.
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return subprocess.run(
        ["bash", str(EXAMPLES / name)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
    )


def ran_ok(name: str, db_url: str) -> str:
    done = run_script(name, db_url)
    assert done.returncode == 0, f"examples/{name} exited {done.returncode}:\n{done.stdout}"
    assert "Traceback" not in done.stdout, done.stdout
    return done.stdout


def sections(output: str) -> list[tuple[str, str]]:
    """The output cut at each `# ...` narration line: (narration, what follows it)."""
    found: list[tuple[str, list[str]]] = []
    for line in output.splitlines():
        if line.startswith("# "):
            found.append((line, []))
        elif found:
            found[-1][1].append(line)
    return [(head, "\n".join(body)) for head, body in found]


def answer(output: str, question: str) -> str:
    """What follows the narration line that contains `question` (up to the next narration line)."""
    matches = [body for head, body in sections(output) if question in head]
    assert len(matches) == 1, f"expected one narration containing {question!r} in:\n{output}"
    return matches[0]


def table_names(body: str) -> set[str]:
    """First-column values of the table rows in a section (lines after the dashes line)."""
    lines = body.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("---"))
    legend = ("~ ", f"{PRESUMED} ")  # the marks' legend, below the rows
    rows = [line for line in lines[start + 1 :] if line.strip() and not line.startswith(legend)]
    return {re.split(r"\s{2,}", row.strip())[0] for row in rows}


# --- each script is documented, uses only LEDGER_DATABASE_URL, and fails clearly without it --------


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_is_documented_and_strict(name: str) -> None:
    text = (EXAMPLES / name).read_text()
    assert "set -euo pipefail" in text
    assert f"LEDGER_DATABASE_URL=/tmp/x.db bash examples/{name}" in text
    assert "ledger import events/" in text
    # No store is hard-coded: the scripts never pass --db.
    assert "--db" not in text


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_refuses_to_run_without_a_store(name: str) -> None:
    done = run_script(name, None)
    assert done.returncode != 0
    assert "LEDGER_DATABASE_URL" in done.stdout
    # It stopped before running any ledger command.
    assert "appended" not in done.stdout


# --- historian ----------------------------------------------------------------------------------


def test_historian(db_url: str) -> None:
    out = ran_ok("historian.sh", db_url)
    assert "total: appended 244 changes from 5 files" in out

    before = answer(out, "on 2019-03-31")
    assert table_names(before) == {"NEW Devon CCG", "South Devon and Torbay CCG", "NHS Kernow CCG"}

    after = answer(out, "on 2019-04-01")
    assert table_names(after) == {"NHS Devon CCG", "NHS Kernow CCG"}

    lineage = answer(out, "What did NEW Devon CCG become?")
    assert re.search(r"NEW Devon CCG\s+merged\s+NHS Devon CCG\s+2019-04-01", lineage), lineage
    assert re.search(r"South Devon and Torbay CCG\s+merged\s+NHS Devon CCG\s+2019-04-01", lineage)
    assert "plymouth-hasc-2019-03-20" in lineage

    led = answer(out, "Who led the Devon STP in October 2017?")
    assert re.search(r"Mairead McAlinden\s+2017-10-24\s+interim", led), led

    history = answer(out, "Livewell Southwest")
    assert "staff_transferred" in history
    assert "173 adult social care (Plymouth) staff transferred" in history
    assert "plymouth-hasc-2019-03-20 (Purpose of the report)" in history

    merger = answer(out, "around the merger")
    assert "devon-ccgs-merge-2019-04" in merger


# --- programme office ---------------------------------------------------------------------------


def test_programme_office(db_url: str, cli: Cli) -> None:
    out = ran_ok("programme-office.sh", db_url)

    dry = answer(out, "with --dry-run (shows what would be appended")
    assert "would record: appointed 2027-01-04" in dry
    assert "dry run: nothing was appended" in dry

    assert "recorded: appointed 2027-01-04 (change example-coo" in answer(out, "record it for real")
    assert "Alex Example" in answer(out, "Who holds the post in March 2027?")

    refused = answer(out, "a second substantive holder")
    assert "ledger: error: refused appointed 2027-03-01" in refused
    assert "already has a substantive holder" in refused
    assert "conflicts with change 'example-coo'" in refused

    transfer = answer(out, "check a staff transfer of 12")
    assert "dry run: nothing was appended" in transfer
    assert "recorded: staff_transferred 2027-04-01 (change example-mo-transfer" in transfer

    too_many = answer(out, "exceeds the 28 left")
    assert "ledger: error: refused staff_transferred 2027-06-01" in too_many
    assert "only 28 recorded there" in too_many
    assert "conflicts with change 'example-mo-headcount'" in too_many

    # The refusals wrote nothing: only the four accepted examples are in the log.
    labels = [c["change"] for c in json.loads(cli.ok("log", "--format", "json"))["changes"]]
    assert [label for label in labels if label.startswith("example-")] == [
        "example-coo-post",
        "example-coo",
        "example-mo-headcount",
        "example-mo-transfer",
    ]
    holders = json.loads(
        cli.ok(
            "holders",
            "Chief Operating Officer, NHS Devon CCG",
            "--on",
            "2027-06-01",
            "--format",
            "json",
        )
    )["holders"]
    assert [h["person"] for h in holders] == ["Alex Example"]

    history = answer(out, "history to the end of 2027")
    assert "example-coo" in history and "example-mo-transfer" in history
    assert "Sam Sample" not in history


# --- auditor ------------------------------------------------------------------------------------


def test_auditor(db_url: str, cli: Cli) -> None:
    out = ran_ok("auditor.sh", db_url)

    # The papers are registered first (events/sources.yaml), then the changes that cite them.
    first = answer(out, "The first six changes in recorded order")
    assert "Log: 6 changes in recorded order" in first
    assert re.search(r"^1\s+\S+\s+ledger-curators\s+source:devon-pdeg-2017-09-15", first, re.M)
    assert re.search(r"^6\s+\S+\s+ledger-curators\s+devon-stp-established", first, re.M), first

    assert "(nothing)" in answer(out, "Nobody yet, because of the wrong date")

    corrected = answer(out, "The corrected answer")
    assert re.search(r"Dr Example Chair\s+2027-04-01", corrected), corrected
    assert "2028-04-01" not in corrected

    before = answer(out, "as it stood before the correction")
    assert re.search(r"Dr Example Chair\s+2028-04-01", before), before
    assert "example-chair-appointment" in before

    logged = answer(out, "Both entries are in the log")
    original = next(line for line in logged.splitlines() if ",example-chair-appointment," in line)
    correction = next(line for line in logged.splitlines() if ",example-chair-correction," in line)
    assert logged.index(original) < logged.index(correction)
    assert ",example-pmo," in original and ",2028-04-01," in original
    assert ",example-auditor," in correction and ",2027-04-01," in correction
    assert "corrects example-chair-appointment, was 2028-04-01" in correction

    replay = answer(out, "Replay the log from the start up to position 10")
    positions = [int(m) for m in re.findall(r"^(\d+)\s", replay, re.M)]
    assert positions and positions[0] == 1 and max(positions) <= 10

    plans = answer(out, "its April 2019 plans are not there yet")
    assert "as known at cios-acs-new-form-planned-2019-04-01" in plans
    assert "cios-shadow-working-2018-04-01" in plans
    assert "cios-acs-new-form-planned-2019-04-01" in plans
    assert "integrated-commissioning-executive-planned" not in plans

    # The same before/after answers straight from the store.
    def chair_from(*known_at: str) -> list[str]:
        doc = json.loads(
            cli.ok(
                "holders",
                "Chair, NHS Devon CCG",
                "--on",
                "2028-06-01",
                *known_at,
                "--format",
                "json",
            )
        )
        return [h["from"] for h in doc["holders"]]

    assert chair_from() == ["2027-04-01"]
    assert chair_from("--known-at", "example-chair-appointment") == ["2028-04-01"]

    # Tamper evidence, with the commands of the README's "For auditors" section.
    signed = answer(out, "take a signed checkpoint")
    assert "ledger checkpoint v1" in signed and "\nsignature: " in signed
    size = int(re.search(r"^size: (\d+)$", signed, re.M).group(1))  # type: ignore[union-attr]
    verified = answer(out, "Verify: the chain")
    assert verified.strip().startswith(f"verified {size} events (positions 1-{size})"), verified
    assert "signed by ed25519:" in verified and "the read model equals a rebuild" in verified
    proof = answer(out, "check the proof offline")
    assert "proof holds: change 'devon-ccgs-merge-2019-04' (merged 2019-04-01)" in proof
    exported = answer(out, "verify the export without the database")
    assert f"exported {size} events" in exported and f"verified {size} events" in exported
    replayed = answer(out, "checking the chain as it goes")
    assert "the hash chain holds up to position 10" in replayed
    assert [line.split(",", 1)[0] for line in replayed.splitlines()[1:11]] == [
        str(p) for p in range(1, 11)
    ]


# --- all three on one store ---------------------------------------------------------------------


@pytest.mark.slow
def test_the_walkthroughs_share_one_store(db_url: str, cli: Cli) -> None:
    # A user may run all three on one store; the examples do not collide, and the historian's
    # walkthrough (read-only but for the idempotent import) can run again afterwards.
    for name in SCRIPTS:
        ran_ok(name, db_url)
    labels = {c["change"] for c in json.loads(cli.ok("log", "--format", "json"))["changes"]}
    assert {
        "example-coo",
        "example-mo-transfer",
        "example-chair-appointment",
        "example-chair-correction",
    } <= labels

    again = ran_ok("historian.sh", db_url)
    assert "nothing new" in answer(again, "Import the bundled ledger")
    assert table_names(answer(again, "on 2019-04-01")) == {"NHS Devon CCG", "NHS Kernow CCG"}
    assert "Mairead McAlinden" in answer(again, "Who led the Devon STP in October 2017?")


def test_the_readme_auditor_commands_are_the_ones_the_example_runs() -> None:
    # The README's "For auditors" commands are run by examples/auditor.sh (and so by the test
    # above): each README line is, with the example's folder for the auditor's files taken off,
    # the start of a command the example runs.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## For auditors", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    documented = [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]
    script = (EXAMPLES / "auditor.sh").read_text(encoding="utf-8")
    run = [
        line.strip().replace('"$AUDIT_DIR/', "").replace('"', "")
        for line in script.splitlines()
        if line.strip().startswith("ledger ")
    ]
    assert len(documented) >= 8
    for command in documented:
        assert any(line.startswith(command) for line in run), (
            f"not in examples/auditor.sh: {command}"
        )
