"""Checkpoints: (size, position, chain hash, Merkle root, time) as a few lines of text, optionally signed.

The text is small enough to paste into board minutes or commit to git. A signed checkpoint carries
the Ed25519 public key that signed it and a signature over every line above the signature, so any
edit by hand breaks it, and `--key` tells whose key it must be.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

HEADER = "ledger checkpoint v1"
FIELDS = ("size", "position", "chain", "root", "time")
KEY_SCHEME = "ed25519"


class CheckpointError(ValueError):
    """A checkpoint, key or signature that cannot be read or does not hold."""


@dataclass(frozen=True)
class Checkpoint:
    size: int  # number of events in the log it covers
    position: int  # log position of the last of them
    chain: str  # chain hash at that position
    root: str  # RFC 6962 Merkle root over the first `size` events
    time: str  # when it was taken, UTC, to the second
    key: str | None = None  # "ed25519:<base64 public key>" when signed
    signature: str | None = None  # base64 Ed25519 signature over `body()`

    @staticmethod
    def now() -> str:
        return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def body(self) -> str:
        lines = [HEADER, *(f"{name}: {getattr(self, name)}" for name in FIELDS)]
        if self.key:
            lines.append(f"key: {self.key}")
        return "\n".join(lines) + "\n"

    def text(self) -> str:
        return self.body() + (f"signature: {self.signature}\n" if self.signature else "")

    def sign(self, private_key_pem: bytes) -> Checkpoint:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        try:
            key = load_pem_private_key(private_key_pem, password=None)
        except (ValueError, TypeError) as exc:
            raise CheckpointError(f"not an unencrypted PEM private key ({exc})") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise CheckpointError(
                "the signing key is not an Ed25519 key (make one with ledger keygen)"
            )
        unsigned = replace(self, key=public_key_text(key.public_key()), signature=None)
        signature = base64.b64encode(key.sign(unsigned.body().encode())).decode()
        return replace(unsigned, signature=signature)

    def check_signature(self, expected_key: str | None = None) -> None:
        """Raise CheckpointError unless the signature holds (and was made by `expected_key`)."""
        from cryptography.exceptions import InvalidSignature

        if not self.signature or not self.key:
            if expected_key:
                raise CheckpointError("checkpoint is not signed, but a key was given")
            return
        if expected_key and expected_key != self.key:
            raise CheckpointError(
                f"checkpoint was signed by {fingerprint(self.key)}, not by the given key "
                f"{fingerprint(expected_key)}"
            )
        try:
            load_public_key(self.key).verify(
                base64.b64decode(self.signature, validate=True), self.body().encode()
            )
        except (InvalidSignature, ValueError):
            raise CheckpointError(
                "checkpoint signature does not match its contents (edited after signing?)"
            ) from None

    @property
    def signer(self) -> str | None:
        return fingerprint(self.key) if self.key else None


def parse(text: str, source: str = "checkpoint") -> Checkpoint:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines or lines[0] != HEADER:
        raise CheckpointError(f"{source}: not a ledger checkpoint (first line must be {HEADER!r})")
    values: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or name.strip() not in (*FIELDS, "key", "signature"):
            raise CheckpointError(f"{source}: unexpected line {line!r}")
        if name.strip() in values:
            raise CheckpointError(f"{source}: {name.strip()} given twice")
        values[name.strip()] = value.strip()
    missing = [name for name in FIELDS if name not in values]
    if missing:
        raise CheckpointError(f"{source}: missing {', '.join(missing)}")
    try:
        size, position = int(values["size"]), int(values["position"])
    except ValueError:
        raise CheckpointError(f"{source}: size and position must be whole numbers") from None
    for name in ("chain", "root"):
        if len(values[name]) != 64 or any(c not in "0123456789abcdef" for c in values[name]):
            raise CheckpointError(f"{source}: {name} must be 64 lower-case hex digits")
    if ("key" in values) != ("signature" in values):
        raise CheckpointError(f"{source}: a signed checkpoint needs both key and signature")
    return Checkpoint(
        size=size,
        position=position,
        chain=values["chain"],
        root=values["root"],
        time=values["time"],
        key=values.get("key"),
        signature=values.get("signature"),
    )


def read(path: Path) -> Checkpoint:
    try:
        return parse(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path}: cannot read checkpoint ({exc})") from None


# --- keys -------------------------------------------------------------------------------------


def public_key_text(public_key: Ed25519PublicKey) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return f"{KEY_SCHEME}:{base64.b64encode(raw).decode()}"


def load_public_key(text: str) -> Ed25519PublicKey:
    """A public key from its `ed25519:<base64>` text (what ledger keygen writes to KEY.pub)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    scheme, _, data = text.strip().partition(":")
    if scheme != KEY_SCHEME:
        raise CheckpointError(f"not an {KEY_SCHEME} public key (expected '{KEY_SCHEME}:<base64>')")
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(data, validate=True))
    except ValueError as exc:
        raise CheckpointError(f"not a valid {KEY_SCHEME} public key ({exc})") from None


def read_public_key(path: Path) -> str:
    """The `ed25519:<base64>` text of a public key file (ledger keygen's KEY.pub)."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path}: cannot read public key ({exc})") from None
    load_public_key(text)
    return text


def fingerprint(key_text: str) -> str:
    """A short name for a key: its scheme and the first 16 hex digits of its SHA-256."""
    return f"{KEY_SCHEME}:{hashlib.sha256(key_text.encode()).hexdigest()[:16]}"


def new_key_pair() -> tuple[bytes, str]:
    """A fresh Ed25519 key: (private key as PEM, public key text)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    return pem, public_key_text(key.public_key())
