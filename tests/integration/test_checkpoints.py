"""Signed checkpoints and inclusion proofs, as an auditor uses them: keys that must match, edits
that are caught, and proofs checked without the database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import SOURCE, Cli, one_line_error
from tests.integration.test_tamper import BODIES

pytestmark = pytest.mark.postgres(
    reason="checkpoints read the chain through a PostgreSQL server-side cursor and land in a guarded table"
)


def signed_checkpoint(cli: Cli, tmp_path: Path) -> tuple[Path, Path, Path]:
    cli.ok("import", str(BODIES))
    key = tmp_path / "board.key"
    out = cli.ok("keygen", "--out", str(key))
    assert "board.key.pub" in out and (tmp_path / "board.key.pub").exists()
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    checkpoint = tmp_path / "checkpoint.txt"
    cli.ok("checkpoint", "--sign", str(key), "--out", str(checkpoint))
    return checkpoint, key, tmp_path / "board.key.pub"


def test_a_signed_checkpoint_holds_with_its_key_and_fails_with_another(
    cli: Cli, tmp_path: Path
) -> None:
    checkpoint, _, public = signed_checkpoint(cli, tmp_path)
    text = checkpoint.read_text()
    assert text.startswith("ledger checkpoint v1\nsize: ")
    assert "\nkey: ed25519:" in text and "\nsignature: " in text
    out = cli.ok("verify", "--checkpoint", str(checkpoint), "--key", str(public))
    assert "signed by ed25519:" in out
    cli.ok("keygen", "--out", str(tmp_path / "other.key"))
    line = one_line_error(
        cli("verify", "--checkpoint", str(checkpoint), "--key", str(tmp_path / "other.key.pub"))
    )
    assert "not by the given key" in line
    assert (
        cli(
            "verify", "--checkpoint", str(checkpoint), "--key", str(tmp_path / "other.key.pub")
        ).exit_code
        == 8
    )


def test_a_checkpoint_edited_by_hand_fails(cli: Cli, tmp_path: Path) -> None:
    checkpoint, _, _ = signed_checkpoint(cli, tmp_path)
    text = checkpoint.read_text()
    for field in ("time: ", "size: ", "position: "):
        start = text.index(field) + len(field)
        edited = tmp_path / f"edited-{field.strip(': ')}.txt"
        digit = text[start + 1]
        edited.write_text(text[: start + 1] + ("1" if digit != "1" else "2") + text[start + 2 :])
        line = one_line_error(cli("verify", "--checkpoint", str(edited)))
        assert "signature does not match its contents" in line, line
    # An unsigned checkpoint whose root was edited no longer matches the log.
    plain = tmp_path / "plain.txt"
    cli.ok("checkpoint", "--out", str(plain))
    root = next(line for line in plain.read_text().splitlines() if line.startswith("root: "))
    forged = root[:-1] + ("0" if root[-1] != "0" else "1")
    (tmp_path / "plain-edited.txt").write_text(plain.read_text().replace(root, forged))
    line = one_line_error(cli("verify", "--checkpoint", str(tmp_path / "plain-edited.txt")))
    assert "the Merkle root differs" in line


def test_an_inclusion_proof_verifies_offline_and_not_against_another_root(
    cli: Cli, tmp_path: Path
) -> None:
    checkpoint, _, public = signed_checkpoint(cli, tmp_path)
    proof = tmp_path / "proof.json"
    cli.ok(
        "prove",
        "plymouth-city-council-established",
        "--checkpoint",
        str(checkpoint),
        "--out",
        str(proof),
    )
    data = json.loads(proof.read_text())
    assert data["change"]["label"] == "plymouth-city-council-established"
    assert all(event["path"] for event in data["events"])
    offline = Cli("sqlite:////nonexistent/never-opened.db", tmp_path)
    out = offline.ok(
        "verify-proof", str(proof), "--checkpoint", str(checkpoint), "--key", str(public)
    )
    assert out.startswith("proof holds: change 'plymouth-city-council-established' (established ")
    # A later checkpoint has another root: the same proof does not lead there.
    cli.ok(
        "record",
        "renamed",
        "Plymouth City Council",
        "--name",
        "Plymouth Council",
        "-e",
        "2020",
        *SOURCE,
    )
    later = tmp_path / "later.txt"
    cli.ok("checkpoint", "--out", str(later))
    line = one_line_error(offline("verify-proof", str(proof), "--checkpoint", str(later)))
    assert "does not lead to the checkpoint's root" in line
    # Nor does a proof whose event was altered.
    data["events"][0]["state"] = data["events"][0]["state"].replace('"reason":"', '"reason":"x', 1)
    proof.write_text(json.dumps(data))
    line = one_line_error(offline("verify-proof", str(proof), "--checkpoint", str(checkpoint)))
    assert "payload does not match its hash" in line


def test_bad_checkpoint_and_proof_files_are_one_line_errors(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("not a checkpoint\n")
    assert "not a ledger checkpoint" in one_line_error(cli("verify", "--checkpoint", str(bad)))
    assert cli("verify", "--checkpoint", str(bad)).exit_code == 2
    assert "cannot read the proof" in one_line_error(
        cli("verify-proof", str(tmp_path / "missing.json"))
    )
    key = tmp_path / "k"
    cli.ok("keygen", "--out", str(key))
    assert "exists" in one_line_error(cli("keygen", "--out", str(key)))
