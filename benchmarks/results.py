"""Keeps benchmarks/RESULTS.md: each benchmark owns one `## ` section and replaces only that."""

from __future__ import annotations

from pathlib import Path

HEAD = "# Benchmark results\n\nFigures measured on the project's machines; each section names the command that produced it.\n"


def replace_section(path: Path, title: str, body: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else HEAD
    heading = f"## {title}\n"
    new = f"{heading}\n{body.rstrip()}\n\n"
    if heading in text:
        before, rest = text.split(heading, 1)
        after = rest.split("\n## ", 1)
        tail = "## " + after[1] if len(after) > 1 else ""
        text = before + new + tail
    else:
        text = text.rstrip() + "\n\n" + new
    path.write_text(text.rstrip() + "\n", encoding="utf-8")
