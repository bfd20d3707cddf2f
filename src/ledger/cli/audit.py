"""The auditor's commands: keygen, checkpoint, verify, export, prove, verify-proof.
`verify --from-export` and `verify-proof` never open a database. No `from __future__ import
annotations` here: see cli/main.py."""

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ledger.cli.app import app, fail, handled, ledger, reading
from ledger.cli.options import JobsOpt, KeyOpt, KnownAtOpt

if TYPE_CHECKING:
    from ledger.application.verification import Report
    from ledger.bootstrap import Ledger, Reader
    from ledger.domain.checkpoint import Checkpoint


class ReportFormat(StrEnum):
    text = "text"
    json = "json"


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    jsonld = "jsonld"
    popolo = "popolo"


CheckpointsOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--checkpoint",
        "-c",
        help="A checkpoint file (from ledger checkpoint) the log must still match; repeatable.",
    ),
]


def _checkpoints(paths: list[Path] | None) -> list[tuple[str, "Checkpoint"]]:
    from ledger.domain.checkpoint import read

    return [(str(path), read(path)) for path in paths or []]


def _key(path: Path | None) -> str | None:
    from ledger.domain.checkpoint import read_public_key

    return read_public_key(path) if path else None


def _conclude(report: "Report", fmt: ReportFormat) -> None:
    """Print the report; a failure is one line on stderr (and exit 8), whatever the format."""
    from ledger.application.errors import VerificationFailed

    if fmt == ReportFormat.json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    elif report.ok:
        typer.echo(report.summary())
    if not report.ok:
        raise VerificationFailed(report.summary())


@app.command()
def keygen(
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Private key file to write; KEY.pub is written beside it."
        ),
    ],
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing key files.")] = False,
) -> None:
    """Make an Ed25519 key pair for signing checkpoints: KEY (private, keep it safe) and KEY.pub.

    \b
    Example:
      ledger keygen --out board.key
      ledger checkpoint --sign board.key --out checkpoint.txt
    """
    from ledger.domain.checkpoint import fingerprint, new_key_pair

    public_path = out.with_name(out.name + ".pub")
    with handled():
        for path in (out, public_path):
            if path.exists() and not force:
                fail(f"{path} exists; give --force to overwrite it", 2)
        pem, public = new_key_pair()
        try:
            descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(pem)
            public_path.write_text(public + "\n", encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write the key: {exc}", 2)
        typer.echo(f"wrote {out} (private) and {public_path} (public, {fingerprint(public)})")


@app.command()
def checkpoint(
    ctx: typer.Context,
    sign: Annotated[
        Path | None, typer.Option("--sign", help="Sign with this private key (from ledger keygen).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Also write the checkpoint to this file.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the --out file if it exists.")
    ] = False,
) -> None:
    """Check the chain and record a checkpoint of the whole log: size, position, chain hash,
    Merkle root and time, optionally signed. Paste it into minutes or commit it to git; later,
    `ledger verify --checkpoint FILE` shows the log still extends it.

    \b
    Example:
      ledger checkpoint --out checkpoint.txt
      ledger keygen --out board.key
      ledger checkpoint --sign board.key --out checkpoint-signed.txt
    """
    from ledger.application.audit import Audit

    if out is not None and out.exists() and not force:
        # A checkpoint kept outside the database is what a rewrite cannot reach: never lose one
        # (a signed one, say) to a later, perhaps unsigned, one by accident.
        fail(f"{out} exists; give --force to overwrite it, or another --out", 2)
    with ledger(ctx) as led:
        key = None
        if sign is not None:
            try:
                key = sign.read_bytes()
            except OSError as exc:
                fail(f"cannot read the signing key: {exc}", 2)
        cp = Audit(led.app).checkpoint(key)
        if out is not None:
            try:
                out.write_text(cp.text(), encoding="utf-8")
            except OSError as exc:
                fail(f"cannot write {out}: {exc}", 2)
        typer.echo(cp.text(), nl=False)


@app.command()
def verify(
    ctx: typer.Context,
    checkpoints: CheckpointsOpt = None,
    key: KeyOpt = None,
    from_export: Annotated[
        Path | None,
        typer.Option(
            "--from-export", help="Verify this export (ledger export) instead of the database."
        ),
    ] = None,
    skip_read_model: Annotated[
        bool,
        typer.Option("--skip-read-model", help="Do not rebuild and compare the read model."),
    ] = False,
    jobs: JobsOpt = None,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="text (a summary line) or json.")
    ] = ReportFormat.text,
) -> None:
    """Recompute everything from the stored events: the hash chain, each checkpoint's Merkle root
    (and signature), their consistency, and that the read model equals a rebuild. Exit 0 with a
    one-line summary when all holds; otherwise exit 8 naming the first position that fails.

    \b
    Example:
      ledger keygen --out board.key
      ledger checkpoint --sign board.key --out checkpoint.txt
      ledger verify --checkpoint checkpoint.txt --key board.key.pub
      ledger export --out ledger.jsonl
      ledger verify --from-export ledger.jsonl --checkpoint checkpoint.txt --key board.key.pub
    """
    from ledger.application.audit import Audit
    from ledger.application.verification import verify_export

    if from_export is not None:
        with handled():
            given = _checkpoints(checkpoints)
            expected = _key(key)
            try:
                with from_export.open(encoding="utf-8") as lines:
                    report = verify_export(lines, given, expected, str(from_export))
            except (OSError, UnicodeDecodeError) as exc:
                fail(f"cannot read {from_export}: {exc}", 2)
            _conclude(report, fmt)
        return
    with ledger(ctx) as led:
        report = Audit(led.app).verify(
            _checkpoints(checkpoints), _key(key), read_model=not skip_read_model, workers=jobs
        )
        _conclude(report, fmt)


@app.command()
def export(
    ctx: typer.Context,
    fmt: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            "-f",
            help="jsonl: one stored event a line, for auditors; jsonld: the ledger's knowledge "
            "as linked data (W3C ORG, PROV-O, OWL-Time); popolo: Popolo JSON.",
        ),
    ] = ExportFormat.jsonl,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here instead of standard output.")
    ] = None,
    known_at: KnownAtOpt = None,
    base: Annotated[
        str | None,
        typer.Option(
            "--base",
            help="jsonld and popolo: the address the export is published under; every body, "
            "post, person, change and source is named below it. Default: https://ledger.invalid/",
        ),
    ] = None,
) -> None:
    """Every stored event with its hashes, for auditors (jsonl): a header line, then one JSON
    object per event (position, originator and version: the change and 1, or in a log written
    before each change was stored once, the body and its version; type, the stored payload, its
    chain entry). Or what the ledger knows, for other tools (jsonld, popolo; as known now, or at
    --known-at): every body with its names, kinds and codes over time, posts, people,
    memberships and holdings with their periods, relationships, facts, and each change with its
    effective date and sources (docs/linked-data.md).

    \b
    Example:
      ledger export --format jsonl --out ledger.jsonl
      ledger checkpoint --out checkpoint.txt
      ledger verify --from-export ledger.jsonl --checkpoint checkpoint.txt
      ledger export --format jsonld --out ledger.jsonld
      ledger export --format popolo --known-at devon-ccgs-merge-2019-04 --out popolo.json
    """
    from ledger.application.audit import Audit

    linked = fmt != ExportFormat.jsonl
    if not linked and (known_at is not None or base is not None):
        fail("--known-at and --base are for --format jsonld or popolo; jsonl is the whole log", 2)
    if base is not None and not _absolute(base):
        fail(f"--base {base!r} is not an absolute address (e.g. https://example.org/ledger/)", 2)
    # The linked formats read the read model alone (no application), with the collector off
    # meanwhile, as a question does: the document is millions of objects on a long log.
    with reading(ctx) if linked else ledger(ctx) as led:

        def write(handle: Any) -> str:
            if not linked:
                return f"{Audit(led.app).export(handle)} events"
            document = _knowledge(led, fmt, known_at, base)
            # One line, encoded at once (the C encoder: an indented dump is 3.5 times slower)
            handle.write(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n")
            return "the ledger's knowledge" if fmt == ExportFormat.jsonld else "Popolo JSON"

        if out is None:
            write(sys.stdout)
            return
        partial = out.with_name(out.name + ".partial")
        try:
            with partial.open("w", encoding="utf-8") as handle:
                what = write(handle)
            partial.replace(out)  # never leave half an export under the real name
        except OSError as exc:
            partial.unlink(missing_ok=True)
            fail(f"cannot write {out}: {exc}", 2)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        typer.echo(f"exported {what} to {out}", err=True)


def _absolute(base: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(base)
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme in ("urn", "tag"))


def _knowledge(
    led: "Ledger | Reader", fmt: ExportFormat, known_at: str | None, base: str | None
) -> Any:
    """The JSON-LD or Popolo document of what the ledger had recorded by `known_at`."""
    from ledger.views.linked import jsonld, popolo

    position = led.queries.known_at(known_at)
    found = led.queries.knowledge(position)
    if not base:
        base = jsonld.BASE
    if fmt == ExportFormat.jsonld:
        return jsonld.document(found, base)
    return popolo.document(found, base)


@app.command()
def prove(
    ctx: typer.Context,
    change: Annotated[
        str, typer.Argument(help="The change: its label or id (as ledger log shows).")
    ],
    checkpoint_file: Annotated[
        Path, typer.Option("--checkpoint", "-c", help="The checkpoint the proof leads to.")
    ],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the proof here instead of stdout.")
    ] = None,
) -> None:
    """An inclusion proof that a change's stored events are in the log a checkpoint attests;
    `ledger verify-proof` checks it without the database.

    \b
    Example:
      ledger checkpoint --out checkpoint.txt
      ledger prove devon-ccgs-merge-2019-04 --checkpoint checkpoint.txt --out merger.proof.json
      ledger verify-proof merger.proof.json --checkpoint checkpoint.txt
    """
    from ledger.application.audit import Audit

    with ledger(ctx) as led:
        proof = Audit(led.app).prove(change, _checkpoints([checkpoint_file])[0][1])
        text = json.dumps(proof, indent=2, ensure_ascii=False) + "\n"
        if out is None:
            typer.echo(text, nl=False)
            return
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {out}: {exc}", 2)
        typer.echo(f"wrote the proof of {change!r} to {out}", err=True)


@app.command("verify-proof")
def verify_proof(
    proof_file: Annotated[Path, typer.Argument(help="A proof from ledger prove.")],
    checkpoint_file: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint",
            "-c",
            help="Your own copy of the checkpoint (default: the one inside the proof).",
        ),
    ] = None,
    key: KeyOpt = None,
) -> None:
    """Check an inclusion proof offline (no database): the change's events hash to leaves whose
    audit paths lead to the checkpoint's Merkle root, and the checkpoint's signature holds.

    \b
    Example:
      ledger keygen --out board.key
      ledger checkpoint --sign board.key --out checkpoint.txt
      ledger prove devon-ccgs-merge-2019-04 --checkpoint checkpoint.txt --out merger.proof.json
      ledger verify-proof merger.proof.json --checkpoint checkpoint.txt --key board.key.pub
    """
    from ledger.application.errors import VerificationFailed
    from ledger.application.verification import verify_proof as check
    from ledger.domain.checkpoint import CheckpointError, parse

    with handled():
        try:
            proof: Any = json.loads(proof_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            fail(f"cannot read the proof {proof_file}: {exc}", 2)
        if checkpoint_file is not None:
            cp = _checkpoints([checkpoint_file])[0][1]
        elif isinstance(proof, dict) and isinstance(proof.get("checkpoint"), str):
            cp = parse(proof["checkpoint"], f"{proof_file} (its checkpoint)")
            typer.echo(
                "note: checked against the checkpoint inside the proof; give --checkpoint with "
                "your own copy",
                err=True,
            )
        else:
            fail(f"{proof_file} carries no checkpoint; give --checkpoint", 2)
        try:
            typer.echo(check(proof, cp, _key(key)))
        except CheckpointError as exc:
            raise VerificationFailed(f"proof fails: {exc}") from None
