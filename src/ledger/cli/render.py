"""The one renderer: every command hands it a View and a format (table, json, csv, mermaid, dot).

A table is laid out at its natural width, one line a row, when nothing bounds it (a pipe, a file).
Bounded by a terminal's width (or COLUMNS) it does not fit, or in colour, it is laid out by `rich`,
imported only then: the columns share the width and long cells wrap onto more lines, never cut.
Both layouts give the same text for a table that fits."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

FORMATS = ("table", "json", "csv", "mermaid", "dot")
APPROXIMATE = "~"
# An item past its last evidence with no end recorded (docs/evidence.md), as the web marks it.
PRESUMED = "◐"
PRESUMED_LEGEND = (
    f"{PRESUMED} presumed: no end recorded, none seen after the date (--attested omits)"
)


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


def presumed(item: dict[str, Any]) -> str:
    """The mark of an item presumed past its last evidence, with that date ("" if in force)."""
    if item.get("status") != "presumed":
        return ""
    return f" {PRESUMED} {item.get('last_evidence') or ''}".rstrip()


def legend(view: View) -> View:
    """The view with the presumption legend among its notes, if any of its cells has the mark."""
    marked = any(PRESUMED in str(value) for row in view.rows for value in row.values())
    if marked and PRESUMED_LEGEND not in view.notes:
        view.notes.append(PRESUMED_LEGEND)
    return view


def render(view: View, fmt: str, *, width: int | None = None, colour: bool = False) -> str:
    """The view in the format; a table fitted to `width` columns (None: unbounded), in colour
    if asked (for a terminal)."""
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
    return table(view, width=width, colour=colour)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, (list, tuple)):
        return "; ".join(dict.fromkeys(_cell(v) for v in value))
    return str(value)


SEPARATOR = 2  # spaces between columns

# What colour shows on a terminal: the evidence of a date (approximate, first recorded, planned).
STYLES = (
    (rf"\S+ {re.escape(APPROXIMATE)}", "yellow"),
    (r"\(first recorded\)|\bby \S+", "yellow"),
    (r"\[planned\]", "cyan"),
    (r"\bvacant\b", "dim"),
)


def table(view: View, *, width: int | None = None, colour: bool = False) -> str:
    lines = [view.title] if view.title else []
    if not view.rows:
        lines.append("(nothing)")
    else:
        # A cell is one line of text (a decision's summary may hold line breaks).
        cells = [
            [" ".join(_cell(row.get(c)).split("\n")) for c in view.columns] for row in view.rows
        ]
        widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(view.columns)]
        natural = sum(widths) + SEPARATOR * (len(widths) - 1)
        if colour or (width is not None and natural > width):
            bound = width or natural
            lines.extend(_fitted(view.columns, cells, bound, colour, apart=natural > bound))
        else:
            gap = " " * SEPARATOR
            lines.append(
                gap.join(c.ljust(w) for c, w in zip(view.columns, widths, strict=True)).rstrip()
            )
            lines.append(gap.join("-" * w for w in widths))
            for r in cells:
                lines.append(gap.join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
    if any(APPROXIMATE in _cell(v) for row in view.rows for v in row.values()):
        lines.append(f"{APPROXIMATE} approximate: known only to the month, quarter or year")
    lines.extend(view.notes)
    if colour and view.title:
        lines[0] = f"\x1b[1m{lines[0]}\x1b[0m"
    return "\n".join(lines)


def _shares(columns: list[str], cells: list[list[str]], width: int) -> list[int]:
    """How many of `width` columns each table column gets. A column is given its longest word, so
    that text wraps between words, up to an even share of the width (a longer word folds); the
    first column names the row (a body, a person, a change) and keeps its words whole while
    they take at most half the width. What is left is shared out evenly, a column taking no more
    than its longest line: the narrow columns stay whole, the long ones wrap."""
    texts = [[name, *(r[i] for r in cells)] for i, name in enumerate(columns)]
    natural = [max(len(t) for t in column) for column in texts]
    words = [max(len(w) for t in column for w in t.split() or [""]) for column in texts]
    room = max(width - SEPARATOR * (len(columns) - 1), len(columns))
    first = min(words[0], room // 2)
    # A header's words are kept whole in any case (and the cap leaves room for them).
    heading = [max(len(w) for w in name.split()) for name in columns]
    cap = max(room // len(columns), 1)
    while (
        cap > 1
        and first + sum(max(min(n, cap), h) for n, h in zip(words[1:], heading[1:], strict=True))
        > room
    ):
        cap -= 1
    least = [
        max(first, heading[0]),
        *(max(min(n, cap), h) for n, h in zip(words[1:], heading[1:], strict=True)),
    ]
    shares = least[:]
    level = 0
    while sum(shares) < room and any(s < n for s, n in zip(shares, natural, strict=True)):
        level += 1
        grown = [min(max(low, level), n) for low, n in zip(least, natural, strict=True)]
        if sum(grown) > room:
            for k, (s, n) in enumerate(zip(shares, natural, strict=True)):
                if sum(shares) < room and s < n:
                    shares[k] += 1
            break
        shares = grown
    return shares


def _fitted(
    columns: list[str], cells: list[list[str]], width: int, colour: bool, *, apart: bool
) -> list[str]:
    """The table laid out by rich in `width` columns: the same header, dashes and gaps as the
    natural layout; a cell too long for its share wraps (a word longer than the column folds);
    when cells wrap (`apart`), rows are set apart by a blank line."""
    import io

    from rich.console import Console, Group
    from rich.rule import Rule
    from rich.table import Table
    from rich.text import Text

    shares = _shares(columns, cells, width)

    grid = Table(box=None, padding=(0, SEPARATOR, 0, 0), pad_edge=False, show_edge=False)
    for name, share in zip(columns, shares, strict=True):
        title = Text(name, style="bold" if colour else "")
        # The dashes under a header fill whatever width its column is given.
        grid.add_column(
            Group(title, Rule(characters="-", style="", end="")), overflow="fold", width=share
        )
    for row in cells:
        # A row that opens with BOUNDARY marks where the next row begins: rich's wrapping may
        # leave a line of spaces within a row, which is dropped, and the rows are set apart
        # (when they wrap) by one blank line of ours.
        grid.add_row(BOUNDARY, *([""] * (len(columns) - 1)))
        texts = []
        for value in row:
            text = Text(value)
            if colour:
                for pattern, style in STYLES:
                    text.highlight_regex(pattern, style)
            texts.append(text)
        grid.add_row(*texts)
    console = Console(
        width=width,
        file=io.StringIO(),
        color_system="standard" if colour else None,
        force_terminal=colour,
        highlight=False,
        legacy_windows=False,
    )
    with console.capture() as captured:
        console.print(grid)
    out: list[str] = []
    rows = 0
    for line in captured.get().splitlines():
        if BOUNDARY in line:
            if apart and rows:
                out.append("")
            rows += 1
            continue
        # Lines end at their last character (before any closing colour code), as the natural
        # layout's do.
        line = _TRAILING.sub(r"\1", line)
        if _PLAIN.sub("", line).strip():
            out.append(line)
    return out


BOUNDARY = "\ue000"  # a private-use character: never in a ledger's text
_PLAIN = re.compile(r"\x1b\[[0-9;]*m")
_TRAILING = re.compile(r"\s+((?:\x1b\[[0-9;]*m)*)$")


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
