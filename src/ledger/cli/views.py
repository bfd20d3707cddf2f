"""Turn query answers (plain dicts, the JSON schema) into Views for the renderer.

One function a question, each the table and graph of its answer, sharing `View`, `Graph` and the
small formatters here; over 400 lines because there are many questions, not because any is long.
"""

from __future__ import annotations

from typing import Any

from ledger.cli.render import PRESUMED_LEGEND, Graph, View, approx, legend, presumed


def _first_seen(first: str | None) -> str:
    """When a body not founded in the ledger is first seen: "by 2016-12"; a date that says its own
    evidence (`by:2018-03-09`, `as-at:2018-03-09`) is shown as it is, not as "by by:..."."""
    if not first:
        return ""
    return approx(first) if ":" in first else f"by {approx(first)}"


def cite(sources: list[dict[str, Any]]) -> list[str]:
    """The sources of a row as cited, in order; the renderer shows each once in a cell."""
    return [f"{s['source']} ({s['locator']})" for s in sources]


def _holder_text(h: dict[str, Any]) -> str:
    flags = [f for f in ("interim", "acting", "shadow") if h.get(f)]
    flag = f" ({', '.join(flags)})" if flags else ""
    until = f" to {approx(h['to'])}" if h.get("to") else ""
    plan = f" (planned end {approx(h['planned_end'])})" if h.get("planned_end") else ""
    return f"{h['person']}{flag} from {approx(h['from'])}{until}{plan}{presumed(h)}"


def structure_view(data: dict[str, Any]) -> View:
    rows = []
    graph = Graph()
    for org in data["organisations"]:
        posts = []
        for post in org["posts"]:
            holders = ", ".join(_holder_text(h) for h in post["holders"]) or "vacant"
            posts.append(f"{post['title']}: {holders}")
        facts = [
            f"{f['attribute']}{' (' + f['function'] + ')' if f.get('function') else ''}={f['value']}"
            f"{' ' + f['unit'] if f.get('unit') else ''} ({approx(f['effective'])})"
            for f in org["facts"]
        ]
        rows.append(
            {
                "name": org["name"] + (" [planned]" if org.get("planned") else ""),
                "status": presumed(org).strip(),
                "kind": org["kind"],
                "codes": ", ".join(f"{k}:{v}" for k, v in org["codes"].items()),
                "established": approx(org["established"]) or _first_seen(org.get("first_recorded")),
                "member of": [m["name"] + presumed(m) for m in org["member_of"]],
                "posts": posts,
                "facts": facts,
                "sources": cite(org["sources"]),
            }
        )
        graph.nodes[org["id"]] = org["name"]
        graph.groups.setdefault(org["kind"] or "other", []).append(org["id"])
    shown = set(graph.nodes)
    for org in data["organisations"]:
        for m in org["member_of"]:
            if m["id"] in shown:
                graph.edges.append((org["id"], m["id"], "member of"))
        for r in org.get("relationships", []):
            if r["subject_id"] == org["id"] and r["object_id"] in shown:
                graph.edges.append((r["subject_id"], r["object_id"], r["relation"]))
    known = (
        f" (as known at position {data['known_at']})" if data.get("known_at") is not None else ""
    )
    return legend(
        View(
            data=data,
            columns=[
                "name",
                "status",
                "kind",
                "codes",
                "established",
                "member of",
                "posts",
                "facts",
                "sources",
            ],
            rows=rows,
            graph=graph,
            title=f"Structure {_when(data)}{known}: {len(rows)} organisations",
        )
    )


# How `show` heads each of a body's names other than its formal name on the date.
_NAME_FIELDS = {
    "former": "former name",
    "later": "later name",
    "alias": "also known as",
    "designation": "designation",
}


def _name_text(n: dict[str, Any]) -> str:
    """A name with its note and period: 'Devon ACS (developing as) from 2017-09 ~ to 2018-03-09'."""
    note = f" ({n['note']})" if n.get("note") else ""
    until = f" to {approx(n['to'])}" if n.get("to") else ""
    planned = " [planned]" if n.get("planned") else ""
    return f"{n['name']}{note} from {approx(n['from'])}{until}{planned}"


def show_view(data: dict[str, Any]) -> View:
    org = data["organisation"]
    state = org.get("status") or ("in force" if org["in_force"] else "not in force")
    if org.get("last_evidence"):
        state += f" (last evidence {org['last_evidence']})"
    if org.get("first_evidence"):
        state += f" (first evidence {approx(org['first_evidence'])}; nothing dates it before)"
    rows: list[dict[str, Any]] = [
        {"field": "name", "value": org["name"]},
        {"field": "kind", "value": org["kind"]},
        {"field": "status", "value": state},
        {"field": "codes", "value": ", ".join(f"{k}:{v}" for k, v in org["codes"].items())},
        {
            "field": "established",
            "value": approx(org["established"])
            or (
                approx(org.get("first_recorded")) + " (first recorded)"
                if org.get("first_recorded")
                else ""
            ),
        },
    ]
    rows[1:1] = [
        {"field": _NAME_FIELDS[n["type"]], "value": _name_text(n)}
        for n in org.get("names", ())
        if n["type"] != "formal"
    ]
    if org.get("closed"):
        rows.append({"field": "closes", "value": approx(org["closed"])})
    for m in org["member_of"]:
        rows.append(
            {"field": "member of", "value": f"{m['name']} since {approx(m['since'])}{presumed(m)}"}
        )
    for m in org["members"]:
        rows.append(
            {"field": "member", "value": f"{m['name']} since {approx(m['since'])}{presumed(m)}"}
        )
    for r in org["relationships"]:
        rows.append(
            {
                "field": "relationship",
                "value": f"{r['subject']} {r['relation']} {r['object']} since {approx(r['since'])}"
                + presumed(r),
            }
        )
    for p in org["posts"]:
        holders = ", ".join(_holder_text(h) for h in p["holders"]) or "vacant"
        rows.append({"field": "post", "value": f"{p['title']}: {holders}"})
    for f in org["facts"]:
        fn = f" ({f['function']})" if f.get("function") else ""
        unit = f" {f['unit']}" if f.get("unit") else ""
        rows.append(
            {
                "field": f"fact {f['attribute']}{fn}",
                "value": f"{f['value']}{unit} ({approx(f['effective'])})",
            }
        )
    # A source cited by several changes is one line, naming each change.
    cited: dict[str, list[str]] = {}
    for s in org["sources"]:
        changes = cited.setdefault(f"{s['source']} ({s['locator']})", [])
        if s["change"] not in changes:
            changes.append(s["change"])
    for citation, changes in cited.items():
        which = f"change {changes[0]}" if len(changes) == 1 else f"changes {', '.join(changes)}"
        rows.append({"field": "source", "value": f"{citation} [{which}]"})
    graph = Graph()
    graph.nodes[org["id"]] = org["name"]
    for m in org["member_of"]:
        graph.nodes[m["id"]] = m["name"]
        graph.edges.append((org["id"], m["id"], "member of"))
    for m in org["members"]:
        graph.nodes[m["id"]] = m["name"]
        graph.edges.append((m["id"], org["id"], "member of"))
    for r in org["relationships"]:
        graph.nodes[r["subject_id"]] = r["subject"]
        graph.nodes[r["object_id"]] = r["object"]
        graph.edges.append((r["subject_id"], r["object_id"], r["relation"]))
    for p in org["posts"]:
        graph.nodes[p["id"]] = p["title"] + "".join(f"\n{h['person']}" for h in p["holders"])
        graph.edges.append((org["id"], p["id"], "post"))
    return legend(
        View(
            data=data,
            columns=["field", "value"],
            rows=rows,
            graph=graph,
            title=f"{org['name']} {_when(data)}",
        )
    )


def history_view(data: dict[str, Any]) -> View:
    rows = []
    graph = Graph(direction="TB")
    previous = None
    for c in data["changes"]:
        note = ""
        if c.get("corrects"):
            note = (
                f" (corrects {c['corrects']['change']}, was {approx(c['corrects']['effective'])})"
            )
        if c.get("corrected_by"):
            note += f" (corrected by {c['corrected_by']})"
        if c.get("superseded_at") is not None:
            note += f" (superseded at position {c['superseded_at']})"
        rows.append(
            {
                "effective": approx(c["effective"]),
                "change": c["change"],
                "kind": c["kind"] + (" [planned]" if c["status"] == "planned" else ""),
                "what": c["summary"] + note,
                "position": c["position"],
                "sources": cite(c["sources"]),
            }
        )
        node = c["change_id"]
        graph.nodes[node] = f"{c['effective']} {c['summary']}"
        if previous is not None:
            graph.edges.append((previous, node, ""))
        previous = node
    org = data["organisation"]
    return View(
        data=data,
        columns=["effective", "change", "kind", "what", "position", "sources"],
        rows=rows,
        graph=graph,
        title=f"History of {org['name']}: {len(rows)} changes",
    )


def lineage_view(data: dict[str, Any]) -> View:
    steps: list[tuple[Any, dict[str, Any]]] = []
    graph = Graph()
    for e in data["edges"]:
        steps.append((_day(e["effective"]), _step(e["from"], e["kind"], e["to"], e)))
        graph.nodes[e["from_id"]] = e["from"]
        graph.nodes[e["to_id"]] = e["to"]
        graph.edges.append((e["from_id"], e["to_id"], f"{e['kind']} {e['effective']}"))
    org = data["organisation"]
    graph.nodes.setdefault(org["id"], org["name"])
    # A body's names over time are steps too: its renames, and what else it was known as.
    for r in data.get("renames", ()):
        steps.append((_day(r["effective"]), _step(r["from"], "renamed", r["to"], r)))
        graph.edges.append((r["id"], r["id"], f"renamed {r['to']} {r['effective']}"))
    formal: dict[str, list[tuple[Any, str]]] = {}
    for n in data.get("names", ()):
        if n["type"] in ("former", "formal", "later"):
            formal.setdefault(n["id"], []).append((_day(n["from"]), n["name"]))
    for n in data.get("names", ()):
        if n["type"] in ("alias", "designation"):
            start = _day(n["from"])
            called = [name for day, name in formal.get(n["id"], ()) if day <= start]
            what = "designated" if n["type"] == "designation" else "also known as"
            note = f" ({n['note']})" if n.get("note") else ""
            step = _step(called[-1] if called else "", what, n["name"] + note, n)
            if n.get("to"):
                step["effective"] += f" to {approx(n['to'])}"
            steps.append((start, step))
    steps.sort(key=lambda step: step[0])
    rows = [step for _, step in steps]
    view = View(
        data=data,
        columns=["from", "kind", "to", "effective", "change", "sources"],
        rows=rows,
        graph=graph,
        title=f"Lineage of {org['name']}",
    )
    bodies = data.get("bodies", [])
    if bodies and any(b["status"] != "not in force" for b in bodies):
        # Where each body stands on the date: in force, presumed (marked) or unknown.
        said = [
            f"{b['name']} {presumed(b).strip()}"
            if b["status"] == "presumed"
            else f"{b['name']} {b['status']}"
            for b in bodies
            if b["status"] != "not in force"
        ]
        view.notes.append(f"On {data['on']}: " + "; ".join(said))
        if any(b["status"] == "presumed" for b in bodies):
            view.notes.append(PRESUMED_LEGEND)
    return view


def _day(effective: str) -> Any:
    """The first day of an effective date, to put the steps of a lineage in order."""
    from ledger.domain.dates import parse_day

    return parse_day(effective)


def _step(start: str, kind: str, end: str, said: dict[str, Any]) -> dict[str, Any]:
    return {
        "from": start,
        "kind": kind,
        "to": end,
        "effective": approx(said["effective"] if "effective" in said else said["from"]),
        "change": said["change"],
        "sources": cite(said["sources"]),
    }


def holders_view(data: dict[str, Any]) -> View:
    post = data["post"]
    rows = []
    graph = Graph()
    graph.nodes[post["id"]] = f"{post['title']}, {post['organisation']}"
    for h in data["holders"]:
        flags = [f for f in ("interim", "acting", "shadow") if h.get(f)]
        rows.append(
            {
                "person": h["person"],
                "from": approx(h["from"]),
                "to": approx(h["to"])
                + (f" (planned {approx(h['planned_end'])})" if h.get("planned_end") else ""),
                "status": presumed(h).strip(),
                "flags": ", ".join(flags),
                "change": h["change"],
                "sources": cite(h["sources"]),
            }
        )
        node = f"{post['id']}:{h['person']}:{h['from']}"
        graph.nodes[node] = h["person"]
        graph.edges.append(
            (
                post["id"],
                node,
                f"{h['from']} to {h['to'] or 'now'}" + (f" ({', '.join(flags)})" if flags else ""),
            )
        )
    when = _when(data) if data.get("on") else "over time"
    return legend(
        View(
            data=data,
            columns=["person", "from", "to", "flags", "status", "change", "sources"],
            rows=rows,
            graph=graph,
            title=f"Holders of {post['title']}, {post['organisation']} {when}",
        )
    )


def person_view(data: dict[str, Any]) -> View:
    who = data["person"]
    rows = []
    graph = Graph()
    graph.nodes[who["id"]] = who["name"]
    for p in data["posts"]:
        flags = [f for f in ("interim", "acting", "shadow") if p.get(f)]
        rows.append(
            {
                "post": p["title"],
                "organisation": p["organisation"],
                "from": approx(p["from"]),
                "to": approx(p["to"]),
                "flags": ", ".join(flags + (["planned"] if p.get("planned") else [])),
                "change": p["change"] + (f", {p['ended_by']}" if p.get("ended_by") else ""),
                "sources": cite(p["sources"]),
            }
        )
        node = f"{p['post_id']}:{p['from']}"
        graph.nodes[node] = f"{p['title']}, {p['organisation']}"
        graph.edges.append((who["id"], node, f"{p['from']} to {p['to'] or 'now'}"))
    return View(
        data=data,
        columns=["post", "organisation", "from", "to", "flags", "change", "sources"],
        rows=rows,
        graph=graph,
        title=f"Posts held by {who['name']}: {len(rows)}",
    )


def search_view(data: dict[str, Any]) -> View:
    rows = [
        {
            "score": m["score"],
            "type": m["type"],
            "name": m["name"],
            "matched": m["matched"] if m["matched"] != m["name"] else "",
            "detail": m["detail"],
            "id": m["id"],
        }
        for m in data["matches"]
    ]
    graph = Graph()
    for m in data["matches"]:
        graph.nodes[m["id"]] = f"{m['type']}: {m['name']}"
    more = f" (and {data['more']} more: use --limit)" if data["more"] else ""
    return View(
        data=data,
        columns=["score", "type", "name", "matched", "detail", "id"],
        rows=rows,
        graph=graph,
        title=f"Search for {data['query']!r}: {len(rows)} matches{more}",
    )


def log_view(entries: list[dict[str, Any]]) -> View:
    rows = []
    graph = Graph(direction="TB")
    previous = None
    for c in entries:
        rows.append(
            {
                "position": c["position"],
                "recorded_at": c["recorded_at"],
                "recorder": c["recorder"],
                "change": c["change"],
                "kind": c["kind"] + (" [planned]" if c["status"] == "planned" else ""),
                "effective": approx(c["effective"]),
                "what": c["summary"],
                "reason": c["reason"],
                "sources": cite(c["sources"]),
            }
        )
        node = str(c["position"])
        graph.nodes[node] = f"{c['position']}: {c['summary']}"
        if previous is not None:
            graph.edges.append((previous, node, ""))
        previous = node
    return View(
        data={"changes": entries},
        columns=[
            "position",
            "recorded_at",
            "recorder",
            "change",
            "kind",
            "effective",
            "what",
            "reason",
            "sources",
        ],
        rows=rows,
        graph=graph,
        title=f"Log: {len(rows)} changes in recorded order",
    )


def _when(data: dict[str, Any]) -> str:
    """What an answer's dates are: `on` a day, or from a period's first day to its last."""
    if data.get("until"):
        return f"from {data['on']} to {data['until']}"
    return f"on {data['on']}"


def diff_view(data: dict[str, Any]) -> View:
    """What differs between two dates, each difference with the changes that caused it; the
    changes themselves follow (JSON: `bodies` and `changes`)."""
    rows = []
    graph = Graph()
    for d in data["bodies"]:
        rows.append(
            {
                "body": d["body"],
                "what": d["what"],
                "detail": d["detail"],
                "changes": d["changes"],
            }
        )
        node = f"{d['body_id']}:{d['what']}:{d['detail']}"
        graph.nodes[node] = f"{d['body']}: {d['what']} ({d['detail']})"
        for change in d["changes"]:
            graph.nodes.setdefault(f"change:{change}", change)
            graph.edges.append((f"change:{change}", node, ""))
    changes = data["changes"]
    view = View(
        data=data,
        columns=["body", "what", "detail", "changes"],
        rows=rows,
        graph=graph,
        title=(
            f"Between {data['from']} and {data['to']}: {len(rows)} differences, "
            f"from {len(changes)} changes effective after {data['from']} up to {data['to']}"
        ),
    )
    if changes:
        view.notes.append(
            "changes: "
            + "; ".join(f"{c['change']} ({c['kind']} {c['effective']})" for c in changes)
        )
    return view


def sources_view(data: dict[str, Any]) -> View:
    rows = []
    graph = Graph(direction="LR")
    for source in data["sources"]:
        supports = source["supports"]
        rows.append(
            {
                "source": source["id"],
                "published": source["published"] or "",
                "issued by": source["issued_by"] or "(not registered)",
                "title": source["title"] or "",
                "supports": f"{len(supports)} changes"
                + (": " + ", ".join(c["change"] for c in supports[:3]) if supports else "")
                + (", ..." if len(supports) > 3 else ""),
            }
        )
        graph.nodes[source["id"]] = f"{source['id']} ({len(supports)} changes)"
    by = data.get("published_by")
    return View(
        data=data,
        columns=["source", "published", "issued by", "title", "supports"],
        rows=rows,
        graph=graph,
        title=f"Sources: {len(rows)}" + (f" published by {by}" if by else ""),
    )
