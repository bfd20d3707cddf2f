"""Turn query answers (plain dicts, the JSON schema) into Views for the renderer."""

from __future__ import annotations

from typing import Any

from ledger.cli.render import Graph, View, approx


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
    return f"{h['person']}{flag} from {approx(h['from'])}{until}"


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
                "kind": org["kind"],
                "codes": ", ".join(f"{k}:{v}" for k, v in org["codes"].items()),
                "established": approx(org["established"]) or _first_seen(org.get("first_recorded")),
                "member of": [m["name"] for m in org["member_of"]],
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
    return View(
        data=data,
        columns=["name", "kind", "codes", "established", "member of", "posts", "facts", "sources"],
        rows=rows,
        graph=graph,
        title=f"Structure {_when(data)}{known}: {len(rows)} organisations",
    )


def show_view(data: dict[str, Any]) -> View:
    org = data["organisation"]
    state = "in force" if org["in_force"] else "not in force"
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
    if org.get("closed"):
        rows.append({"field": "closes", "value": approx(org["closed"])})
    for m in org["member_of"]:
        rows.append({"field": "member of", "value": f"{m['name']} since {approx(m['since'])}"})
    for m in org["members"]:
        rows.append({"field": "member", "value": f"{m['name']} since {approx(m['since'])}"})
    for r in org["relationships"]:
        rows.append(
            {
                "field": "relationship",
                "value": f"{r['subject']} {r['relation']} {r['object']} since {approx(r['since'])}",
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
    return View(
        data=data,
        columns=["field", "value"],
        rows=rows,
        graph=graph,
        title=f"{org['name']} {_when(data)}",
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
    rows = []
    graph = Graph()
    for e in data["edges"]:
        rows.append(
            {
                "from": e["from"],
                "kind": e["kind"],
                "to": e["to"],
                "effective": approx(e["effective"]),
                "change": e["change"],
                "sources": cite(e["sources"]),
            }
        )
        graph.nodes[e["from_id"]] = e["from"]
        graph.nodes[e["to_id"]] = e["to"]
        graph.edges.append((e["from_id"], e["to_id"], f"{e['kind']} {e['effective']}"))
    org = data["organisation"]
    graph.nodes.setdefault(org["id"], org["name"])
    return View(
        data=data,
        columns=["from", "kind", "to", "effective", "change", "sources"],
        rows=rows,
        graph=graph,
        title=f"Lineage of {org['name']}",
    )


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
                "to": approx(h["to"]),
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
    return View(
        data=data,
        columns=["person", "from", "to", "flags", "change", "sources"],
        rows=rows,
        graph=graph,
        title=f"Holders of {post['title']}, {post['organisation']} {when}",
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
