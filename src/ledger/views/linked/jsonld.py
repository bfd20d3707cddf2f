"""The ledger's knowledge as JSON-LD: W3C ORG for bodies, posts and memberships, PROV-O for where
each statement comes from, OWL-Time for dates (with their precision and evidence), and a few terms
of the ledger's own (`ledger:`) where none of those says it. docs/linked-data.md is the mapping.

The context is inline (no consumer fetches anything); node IRIs are relative to `@base`, which
`ledger export --base` sets.

One module, though over 400 lines: every node shares the dates (`instant`, `interval`) and the
provenance of one document (`_Document`); split by kind of node, each part would import the rest.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from uuid import UUID

from ledger.domain.dates import Effective, parse_stored
from ledger.views.linked.knowledge import Holding, Knowledge
from ledger.views.log import summarise
from ledger.views.rows import Period, Row

# Where the ledger's own terms live, and the default base of the nodes' IRIs. `.invalid` never
# resolves (RFC 2606): a publisher gives `--base` the address the export is published under.
VOCAB = "https://ledger.invalid/vocab#"
BASE = "https://ledger.invalid/"

_SECTION = {"organisation": "body", "post": "post", "person": "person", "function": "function"}
# Relationships ORG names; the others are the ledger's (ledger:hosts, ledger:commissions, ...).
_CAMEL = {
    "accountable_to": "accountableTo",
    "provides_for": "providesFor",
}
_LINKS = (
    # properties whose values are nodes: written as IRIs (the context makes them so)
    "org:member", "org:organization", "org:postIn", "org:heldBy", "org:holds", "org:role",
    "org:originalOrganization", "org:resultingOrganization", "org:resultedFrom", "org:changedBy",
    "org:subOrganizationOf", "org:hasSubOrganization", "org:classification",
    "opengov:post", "opengov:heldThrough", "prov:wasGeneratedBy", "prov:wasDerivedFrom",
    "dcterms:source", "ledger:concerns", "ledger:endedBy", "ledger:corrects", "ledger:object",
    "ledger:kind", "ledger:from", "ledger:to", "ledger:decidedBy", "ledger:about",
    "ledger:hosts", "ledger:commissions", "ledger:accountableTo", "ledger:providesFor",
    "ledger:supports",
)  # fmt: skip


def context(base: str) -> dict[str, Any]:
    """The inline context: the prefixes, the base, and which properties take IRIs."""
    found: dict[str, Any] = {
        "@base": base,
        "org": "http://www.w3.org/ns/org#",
        "opengov": "http://www.w3.org/ns/opengov#",
        "prov": "http://www.w3.org/ns/prov#",
        "time": "http://www.w3.org/2006/time#",
        "skos": "http://www.w3.org/2004/02/skos/core#",
        "dcterms": "http://purl.org/dc/terms/",
        "foaf": "http://xmlns.com/foaf/0.1/",
        "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "ledger": VOCAB,
    }
    for term in _LINKS:
        found[term] = {"@type": "@id"}
    return found


def document(k: Knowledge, base: str = BASE) -> dict[str, Any]:
    """The whole of what the ledger knows, as one JSON-LD document."""
    doc = _Document(k)
    graph: list[dict[str, Any]] = []
    graph += [doc.source(key) for key in doc.cited_sources()]
    graph += [doc.organisation(org) for org in k.organisations()]
    graph += [doc.membership(member, body, p) for member, body, p in k.memberships()]
    graph += [doc.post(post, p) for post, p in k.posts()]
    graph += [doc.person(person) for person in doc.people()]
    graph += [doc.holding(h) for h in doc.holdings]
    graph += [doc.function(f) for f, (entity, _) in k.entity.items() if entity == "function"]
    graph += [doc.change(c) for c in k.changes]
    about: dict[str, Any] = {
        "@id": "",
        "@type": ["prov:Entity", "ledger:Export"],
        "rdfs:comment": "What the ledger had recorded"
        + (f" by log position {k.known_at}" if k.known_at is not None else ""),
    }
    if k.known_at is not None:
        about["ledger:knownAt"] = k.known_at
    return {"@context": context(base), "@graph": [about, *graph]}


def typed(value: str, datatype: str) -> dict[str, str]:
    return {"@value": value, "@type": f"xsd:{datatype}"}


def _position(e: Effective) -> dict[str, Any]:
    """Where OWL-Time places a date given at its precision (without its evidence). A quarter has
    no XSD type: it is the interval of its days."""
    if e.precision == "day":
        return {"time:inXSDDate": typed(e.start.isoformat(), "date")}
    if e.precision == "month":
        return {"time:inXSDgYearMonth": typed(e.day_text(), "gYearMonth")}
    if e.precision == "year":
        return {"time:inXSDgYear": typed(e.day_text(), "gYear")}
    return {
        "time:inside": {
            "@type": "time:ProperInterval",
            "time:hasBeginning": _day(e.start.isoformat()),
            "time:hasEnd": _day(e.last_day.isoformat()),
        }
    }


def _day(day: str) -> dict[str, Any]:
    return {"@type": "time:Instant", "time:inXSDDate": typed(day, "date")}


def instant(text: str, *, seen: bool = False) -> dict[str, Any]:
    """A date the ledger holds as an OWL-Time instant. Exact: placed at its precision. `by:` and
    `as-at:` (and a body's first sighting, `seen`): inside an interval whose beginning is unknown
    and whose end is the date; `after:`: inside one that begins on the date and whose end is
    unknown. `ledger:day` is the day the ledger reckons with (the first day of the period)."""
    e = parse_stored(text)
    evidence = "by" if seen and e.evidence == "exact" else e.evidence
    node: dict[str, Any] = {
        "@type": "time:Instant",
        "ledger:date": text,
        "ledger:day": typed(e.start.isoformat(), "date"),
        "ledger:precision": e.precision,
        "ledger:evidence": evidence,
    }
    bound = {"@type": "time:Instant", **_position(e)}
    if evidence == "exact":
        node.update(_position(e))
    elif evidence == "after":
        node["time:inside"] = {"@type": "time:Interval", "time:hasBeginning": bound}
    else:
        node["time:inside"] = {"@type": "time:Interval", "time:hasEnd": bound}
    return node


def interval(start: Row, end: Row | None, *, seen: bool = False) -> dict[str, Any]:
    """A period as an OWL-Time interval: from the change that opened it (included) to the one that
    closed it (excluded); no end: still open, as known."""
    found: dict[str, Any] = {
        "@type": "time:Interval",
        "time:hasBeginning": instant(start.effective, seen=seen),
    }
    if end is not None:
        found["time:hasEnd"] = instant(end.effective)
    return found


class _Document:
    """The nodes of one document, sharing the knowledge and the sources each change cites."""

    def __init__(self, k: Knowledge) -> None:
        self.k = k
        self.cited = {c.id: [s["source"] for s in c.sources] for c in k.changes}
        self.holdings = k.holdings()
        # Each node's own statements, found by its id rather than by a walk of them all.
        self.held: dict[str, list[Holding]] = defaultdict(list)
        self.holds: dict[str, list[Holding]] = defaultdict(list)
        for h in self.holdings:
            self.held[h.post].append(h)
            self.holds[h.person].append(h)
        self.related: dict[str, list[tuple[str, str, str, Period]]] = defaultdict(list)
        for r in k.relationships():
            self.related[r[0]].append(r)
            if r[2] != r[0]:
                self.related[r[2]].append(r)
        self.facts: dict[str, list[Period]] = defaultdict(list)
        for (subject, _, _), periods in sorted(k.facts().items(), key=_fact_order):
            self.facts[subject] += periods

    def iri(self, entity: str) -> str:
        kind = self.k.entity.get(entity, ("organisation", ""))[0]
        return f"{_SECTION.get(kind, 'entity')}/{entity}"

    def provenance(self, start: Row, end: Row | None = None) -> dict[str, Any]:
        """What a statement rests on: the change that made it, its sources, the change ending it."""
        found: dict[str, Any] = {
            "prov:wasGeneratedBy": f"change/{start.change}",
            "prov:wasDerivedFrom": [f"source/{s}" for s in self.cited.get(start.change, [])],
        }
        if end is not None:
            found["ledger:endedBy"] = f"change/{end.change}"
        return found

    def cited_sources(self) -> list[str]:
        keys = set(self.k.sources)
        for found in self.cited.values():
            keys.update(found)
        return sorted(keys, key=lambda key: (self.k.sources.get(key, {}).get("published", ""), key))

    def source(self, key: str) -> dict[str, Any]:
        data = self.k.sources.get(key)
        node: dict[str, Any] = {
            "@id": f"source/{key}",
            "@type": ["prov:Entity", "dcterms:BibliographicResource"],
            "dcterms:identifier": key,
            "ledger:registered": data is not None,
        }
        if data is None:
            return node
        node["dcterms:title"] = data["title"]
        node["dcterms:issued"] = _issued(data["published"])
        node["dcterms:publisher"] = {"@type": "foaf:Agent", "foaf:name": data["issued_by"]}
        if data.get("author"):
            node["dcterms:creator"] = {"@type": "foaf:Agent", "foaf:name": data["author"]}
        if data.get("document"):
            node["dcterms:type"] = data["document"]
        return node

    # --- bodies ---------------------------------------------------------------------------------
    def organisation(self, org: str) -> dict[str, Any]:
        k = self.k
        life = k.life(org)
        founded = life.start.aspect == "start"
        node: dict[str, Any] = {
            "@id": self.iri(org),
            "@type": "org:Organization",
            "skos:prefLabel": k.name(org),
            "ledger:existedDuring": {
                **interval(life.start, life.end, seen=not founded),
                **self.provenance(life.start, life.end),
            },
        }
        others = sorted({n.name for n in k.names.get(org, []) if n.name != k.name(org)})
        if others:
            node["skos:altLabel"] = others
        node["ledger:name"] = [
            {
                "@type": ["ledger:Name", "prov:Entity"],
                "rdfs:label": n.name,
                "ledger:nameType": n.type,
                **({"ledger:note": n.note} if n.note else {}),
                "ledger:during": interval(n.start, n.end),
                **self.provenance(n.start, n.end),
            }
            for n in k.names.get(org, [])
        ]
        kinds = k.kinds(org)
        if kinds:
            node["org:classification"] = f"kind/{kinds[-1].start.value}"
            node["ledger:classified"] = [
                {
                    "@type": ["ledger:Classification", "prov:Entity"],
                    "ledger:kind": f"kind/{p.start.value}",
                    "ledger:during": interval(p.start, p.end),
                    **self.provenance(p.start, p.end),
                }
                for p in kinds
            ]
        codes = k.world.codes.get(org, {})
        if codes:
            node["org:identifier"] = [codes[s] for s in sorted(codes)]
            node["ledger:code"] = [
                {"ledger:scheme": s, "skos:notation": codes[s]} for s in sorted(codes)
            ]
        if founded:
            node["org:resultedFrom"] = f"change/{life.start.change}"
        if life.end is not None:
            node["org:changedBy"] = f"change/{life.end.change}"
        self._relations(org, node)
        self._facts(org, node)
        return node

    def _facts(self, subject: str, node: dict[str, Any]) -> None:
        if self.facts.get(subject):
            node["ledger:fact"] = [self.fact(p) for p in self.facts[subject]]

    def _relations(self, org: str, node: dict[str, Any]) -> None:
        dated = []
        for subject, relation, obj, p in self.related.get(org, []):
            if org == obj and relation == "part_of":
                node.setdefault("org:hasSubOrganization", []).append(self.iri(subject))
            if org != subject:
                continue
            term = (
                "org:subOrganizationOf"
                if relation == "part_of"
                else f"ledger:{_CAMEL.get(relation, relation)}"
            )
            node.setdefault(term, []).append(self.iri(obj))
            dated.append(
                {
                    "@type": ["ledger:Relationship", "prov:Entity"],
                    "ledger:relation": relation,
                    "ledger:object": self.iri(obj),
                    "ledger:during": interval(p.start, p.end),
                    **self.provenance(p.start, p.end),
                }
            )
        if dated:
            node["ledger:relationship"] = dated

    def fact(self, p: Period) -> dict[str, Any]:
        extra = p.start.extra or {}
        node: dict[str, Any] = {
            "@type": ["ledger:Fact", "prov:Entity"],
            "ledger:attribute": p.start.value,
            "rdf:value": extra.get("value"),
        }
        for key in ("unit", "function"):
            if extra.get(key) is not None:
                node[f"ledger:{key}"] = extra[key]
        node["ledger:during"] = interval(p.start, p.end)
        return node | self.provenance(p.start, p.end)

    def membership(self, member: str, body: str, p: Period) -> dict[str, Any]:
        node: dict[str, Any] = {
            "@id": f"membership/{p.start.change}/{member}/{body}",
            "@type": ["org:Membership", "prov:Entity"],
            "org:member": self.iri(member),
            "org:organization": self.iri(body),
        }
        if p.start.value:
            node["ledger:role"] = p.start.value
        node["org:memberDuring"] = interval(p.start, p.end)
        return node | self.provenance(p.start, p.end)

    # --- posts, people and holdings -------------------------------------------------------------
    def post(self, post: str, p: Period) -> dict[str, Any]:
        held = self.held.get(post, [])
        node: dict[str, Any] = {
            "@id": self.iri(post),
            "@type": ["org:Post", "prov:Entity"],
            "skos:prefLabel": p.start.value,
            "org:postIn": self.iri(p.start.other or ""),
            "org:role": {
                "@id": f"{self.iri(post)}/role",
                "@type": "org:Role",
                "skos:prefLabel": p.start.value,
            },
            "ledger:existedDuring": interval(p.start, p.end),
        }
        if held:
            node["org:heldBy"] = sorted({self.iri(h.person) for h in held})
            node["opengov:heldThrough"] = [self._holding_iri(h) for h in held]
        return node | self.provenance(p.start, p.end)

    def people(self) -> list[str]:
        found = {h.person for h in self.holdings}
        found |= {e for e, (entity, _) in self.k.entity.items() if entity == "person"}
        return sorted(found, key=lambda e: (self.k.entity.get(e, ("", e))[1], e))

    def person(self, person: str) -> dict[str, Any]:
        node: dict[str, Any] = {
            "@id": self.iri(person),
            "@type": ["foaf:Person", "prov:Agent"],
            "foaf:name": self.k.entity.get(person, ("person", person))[1],
        }
        posts = sorted({self.iri(h.post) for h in self.holds.get(person, [])})
        if posts:
            node["org:holds"] = posts
        return node

    @staticmethod
    def _holding_iri(h: Holding) -> str:
        return f"holding/{h.start.change}/{h.post}/{h.person}"

    def holding(self, h: Holding) -> dict[str, Any]:
        post = self.k.world.posts.get(h.post)
        node: dict[str, Any] = {
            "@id": self._holding_iri(h),
            "@type": ["org:Membership", "prov:Entity"],
            "org:member": self.iri(h.person),
            "opengov:post": self.iri(h.post),
            "org:role": f"{self.iri(h.post)}/role",
        }
        if post is not None and post.other:
            node["org:organization"] = self.iri(post.other)
        flags = h.start.extra or {}
        for flag in ("interim", "acting", "shadow"):
            node[f"ledger:{flag}"] = bool(flags.get(flag))
        node["org:memberDuring"] = interval(h.start, h.end)
        return node | self.provenance(h.start, h.end)

    def function(self, function: str) -> dict[str, Any]:
        node: dict[str, Any] = {
            "@id": self.iri(function),
            "@type": "ledger:Function",
            "rdfs:label": self.k.entity[function][1],
        }
        self._facts(function, node)
        return node

    # --- changes ----------------------------------------------------------------------------------
    def change(self, c: Any) -> dict[str, Any]:
        k = self.k
        original, resulting, touched = k.parties(c.id)
        node: dict[str, Any] = {
            "@id": f"change/{c.id}",
            "@type": "org:ChangeEvent",
            "ledger:changeKind": c.kind,
            "rdfs:label": summarise(c.kind, c.details, self._name),
            "time:hasTime": instant(c.effective),
        }
        if c.label:
            node["ledger:label"] = c.label
        if original:
            node["org:originalOrganization"] = [self.iri(o) for o in original]
        if resulting:
            node["org:resultingOrganization"] = [self.iri(o) for o in resulting]
        if touched:
            node["ledger:concerns"] = [self.iri(e) for e in touched]
        node["dcterms:source"] = _unique([f"source/{s['source']}" for s in c.sources])
        node["ledger:citation"] = [
            {"dcterms:source": f"source/{s['source']}", "ledger:locator": s["locator"]}
            for s in c.sources
        ]
        extras = self._moves_and_decisions(c.id)
        node.update(extras)
        node["ledger:reason"] = c.reason
        node["ledger:recorder"] = c.recorder
        node["ledger:recordedAt"] = typed(c.recorded_at, "dateTime")
        node["ledger:position"] = c.position
        if c.supersedes:
            node["ledger:corrects"] = f"change/{c.supersedes}"
        return node

    def _moves_and_decisions(self, change: str) -> dict[str, Any]:
        moves, decisions = [], []
        for r in self.k.touched.get(change, []):
            extra = r.extra or {}
            if r.aspect == "transfer":
                move: dict[str, Any] = {
                    "@type": "ledger:Transfer",
                    "ledger:function": r.value,
                    "ledger:from": self.iri(r.subject),
                    "ledger:to": self.iri(r.other or ""),
                }
                if extra.get("headcount") is not None:
                    move["ledger:headcount"] = extra["headcount"]
                moves.append(move)
            elif r.aspect == "decision":
                decisions.append(
                    {
                        "@type": "ledger:Decision",
                        "ledger:decidedBy": self.iri(r.subject),
                        "rdf:value": r.value,
                        **(
                            {"ledger:about": [self.iri(UUID(a).hex) for a in extra["about"]]}
                            if extra.get("about")
                            else {}
                        ),
                    }
                )
        found: dict[str, Any] = {}
        if moves:
            found["ledger:transfer"] = moves
        if decisions:
            found["ledger:decision"] = decisions
        return found

    def _name(self, value: Any) -> str:
        try:
            return self.k.name(UUID(str(value)).hex)
        except ValueError:
            return str(value)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _fact_order(item: tuple[tuple[str, str, str | None], list[Period]]) -> tuple[str, str, str]:
    (subject, attribute, function), _ = item
    return (subject, attribute, function or "")


def _issued(text: str) -> Any:
    """A source's date as a typed literal at its precision (a quarter, which XSD cannot type,
    as written)."""
    e = Effective.parse(text)
    if e.precision == "day":
        return typed(e.day_text(), "date")
    if e.precision == "month":
        return typed(e.day_text(), "gYearMonth")
    if e.precision == "year":
        return typed(e.day_text(), "gYear")
    return e.day_text()
