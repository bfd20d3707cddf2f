"""The one renderer: every command hands it a View and a format (table, json, csv, mermaid, dot)."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

FORMATS = ("table", "json", "csv", "mermaid", "dot")
APPROXIMATE = "~"


@dataclass
class Graph:
    nodes: dict[str, str] = field(default_factory=dict)  # id -> label
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # from, to, label
    groups: dict[str, list[str]] = field(default_factory=dict)  # group label -> node ids
    direction: str = "LR"


@dataclass
class View:
    """What a command has to show: the JSON document, the rows of its table, and its diagram."""

    data: Any
    columns: list[str]
    rows: list[dict[str, Any]]
    graph: Graph
    title: str = ""
    notes: list[str] = field(default_factory=list)


def approx(effective: str | None) -> str:
    """Mark dates known only to the month, quarter or year."""
    if not effective:
        return ""
    return (
        effective if re.fullmatch(r"\d{4}-\d{2}-\d{2}", effective) else f"{effective} {APPROXIMATE}"
    )


def render(view: View, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(view.data, indent=2, ensure_ascii=False, sort_keys=False)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(
            out, fieldnames=view.columns, extrasaction="ignore", lineterminator="\n"
        )
        writer.writeheader()
        for row in view.rows:
            writer.writerow({k: _cell(row.get(k)) for k in view.columns})
        return out.getvalue().rstrip("\n")
    if fmt == "mermaid":
        return mermaid(view.graph)
    if fmt == "dot":
        return dot(view.graph, view.title)
    return table(view)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, (list, tuple)):
        return "; ".join(_cell(v) for v in value)
    return str(value)


def table(view: View) -> str:
    lines = [view.title] if view.title else []
    if not view.rows:
        lines.append("(nothing)")
    else:
        cells = [[_cell(row.get(c)) for c in view.columns] for row in view.rows]
        widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(view.columns)]
        widths = [min(w, 60) for w in widths]
        lines.append(
            "  ".join(c.ljust(w) for c, w in zip(view.columns, widths, strict=True)).rstrip()
        )
        lines.append("  ".join("-" * w for w in widths))
        for r in cells:
            lines.append(
                "  ".join(_clip(v, w).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
            )
    if any(APPROXIMATE in _cell(v) for row in view.rows for v in row.values()):
        lines.append(f"{APPROXIMATE} approximate: known only to the month, quarter or year")
    lines.extend(view.notes)
    return "\n".join(lines)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _mid(node: str) -> str:
    return "n" + re.sub(r"[^A-Za-z0-9_]", "_", node)


def _mlabel(text: str) -> str:
    return text.replace('"', "'").replace("\n", " ")


def mermaid(graph: Graph) -> str:
    lines = [f"flowchart {graph.direction}"]
    grouped = {n for members in graph.groups.values() for n in members}
    for index, (group, members) in enumerate(graph.groups.items()):
        lines.append(f'  subgraph g{index}["{_mlabel(group)}"]')
        for node in members:
            lines.append(f'    {_mid(node)}["{_mlabel(graph.nodes[node])}"]')
        lines.append("  end")
    for node, label in graph.nodes.items():
        if node not in grouped:
            lines.append(f'  {_mid(node)}["{_mlabel(label)}"]')
    for a, b, label in graph.edges:
        arrow = f' -->|"{_mlabel(label)}"| ' if label else " --> "
        lines.append(f"  {_mid(a)}{arrow}{_mid(b)}")
    return "\n".join(lines)


def _dq(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot(graph: Graph, title: str = "") -> str:
    lines = ["digraph ledger {", f"  rankdir={graph.direction};", "  node [shape=box];"]
    if title:
        lines.append(f"  label={_dq(title)};")
    grouped = {n for members in graph.groups.values() for n in members}
    for index, (group, members) in enumerate(graph.groups.items()):
        lines.append(f"  subgraph cluster_{index} {{")
        lines.append(f"    label={_dq(group)};")
        for node in members:
            lines.append(f"    {_dq(node)} [label={_dq(graph.nodes[node])}];")
        lines.append("  }")
    for node, label in graph.nodes.items():
        if node not in grouped:
            lines.append(f"  {_dq(node)} [label={_dq(label)}];")
    for a, b, label in graph.edges:
        attr = f" [label={_dq(label)}]" if label else ""
        lines.append(f"  {_dq(a)} -> {_dq(b)}{attr};")
    lines.append("}")
    return "\n".join(lines)
