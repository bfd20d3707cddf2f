"""The kinds of change, each declared once: to add a kind, add its declaration here.

A declaration (see `declaration.py`) holds the kind's fields, as a change file and `ledger record`
take them and as its event stores them; the part each party plays; the rows it asserts in the read
model and on the timelines of the aggregates it touches; the entity it names; its summary; and the
blurb and example of its `ledger record` command. A kind whose logic is its own (a merger into a
new or an existing body, a split, a headcount, a retraction) names a hook function, defined here
beside it. The event classes are written out in `events.py` (see there why) and checked against
these declarations by tests/unit/test_kinds.py.

The module is longer than most because the point is to see every kind side by side.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ledger.domain.declaration import (
    ARRIVES,
    LEAVES,
    LEVEL,
    Assertion,
    BadChange,
    Const,
    EntityType,
    EventField,
    Field,
    Find,
    Get,
    Ident,
    Kind,
    Move,
    Namer,
    Names,
    Part,
    Party,
    Relation,
    Row,
    relations_said,
)
from ledger.domain.ids import fold
from ledger.domain.matching import not_one_of

if TYPE_CHECKING:
    from uuid import UUID

RELATIONS = ("hosts", "commissions", "accountable_to", "part_of", "provides_for", "supports")

# The kinds of body a change may give (established, reclassified, a merger's or a split's new
# bodies, a correction) and a question may filter on. A body the ledger brought in without saying
# what it is (a log written before predecessors had to be known) is of kind "unknown".
BODY_KINDS: tuple[str, ...] = (
    "ccg",
    "nhs_trust",
    "foundation_trust",
    "local_authority",
    "gp_practice",
    "community_interest_company",
    "provider",
    "integrated_care_organisation",
    "integrated_care_system",
    "integrated_care_board",
    "partnership",
    "provider_alliance",
    "commissioner",
    "shared_service",
    "national_body",
    "board",
    "committee",
    "group",
    "programme",
    "network",
)


def unknown_body_kind(kind: str) -> str:
    """The one-line refusal of a kind of body not in BODY_KINDS, with the close ones."""
    return not_one_of(kind, BODY_KINDS, "kind of body", "valid kinds")


# --- hooks: what a kind does that its declaration cannot say ---------------------------------


def _merge(find: Find, r: Any) -> dict[str, Any]:
    """Into the successor if it is known (or `into: existing`), else into a new body of `kind`;
    the predecessors are bodies the ledger knows."""
    introduced: list[dict[str, Any]] = []
    successor = find.maybe("organisation", r.successor)
    if successor is None:
        successor = find.by_codes(r.codes)
    if r.into == "new" and successor is not None:
        raise BadChange(
            f"refused merged: the successor {r.successor!r} already exists; use into: existing",
            refused=True,
        )
    if r.into == "existing" and successor is None:
        successor = find.known("organisation", r.successor)  # unknown: says so, with close names
    into_new = successor is None
    if successor is None:
        if not r.kind:
            raise BadChange(f"merged: 'kind' is required because {r.successor!r} is a new body")
        successor = find.new("organisation", r.successor, codes=r.codes)
        introduced.append({"id": successor, "name": r.successor, "kind": r.kind, "codes": r.codes})
    # Every predecessor is a body the ledger knows (unknown: refused, with the close names).
    predecessors = [find.known("organisation", name) for name in r.predecessors]
    if successor in predecessors:
        raise BadChange("merged: the successor cannot also be a predecessor")
    carried_into, carried_relations = (
        ((), ()) if r.no_carry else _carried(find, predecessors, successor, r.effective)
    )
    return {
        "predecessors": tuple(predecessors),
        "successor": successor,
        "into_new": into_new,
        "introduced": tuple(introduced),
        "carried_into": carried_into,
        "carried_relations": carried_relations,
    }


def _carried(
    find: Find,
    given_by: list[UUID],
    successor: UUID,
    effective: Any,
    *,
    apart: tuple[UUID, ...] = (),
) -> tuple[tuple[UUID, ...], tuple[Relation, ...]]:
    """What a successor takes over from the bodies it succeeds (`given_by`) on the day, as
    recorded: the bodies they were members of, which it joins, and their relationships, which it
    holds in their place ((A, R, X) becomes (successor, R, X), and (X, R, A) becomes
    (X, R, successor)). Left out: what it holds already, ties to itself, to another body it
    succeeds or to the bodies in `apart` (a split's other successors), and ties to a body closed
    by then (its closing ended them, though no change said so)."""
    day = effective.start
    inside = {successor, *given_by, *apart}
    held = set(find.member_of(successor, day))
    joins: dict[UUID, None] = {}
    for body in given_by:
        for other in find.member_of(body, day):
            if other not in held and other not in inside and find.in_force(other, day):
                joins.setdefault(other, None)
    holds = set(find.related(successor, day))
    relations: dict[Relation, None] = {}
    for body in given_by:
        for subject, relation, object_ in find.related(body, day):
            other = object_ if subject == body else subject
            if other in inside or not find.in_force(other, day):
                continue
            taken = (
                (successor, relation, other) if subject == body else (other, relation, successor)
            )
            if taken not in holds:
                relations.setdefault(taken, None)
    return tuple(joins), tuple(relations)


def _carried_rows(successor: Any, get: Get, ident: Ident) -> list[Assertion]:
    """The memberships and relationships a successor takes over, starting on the day."""
    rows = [Assertion(successor, "member_start", ident(body)) for body in get("carried_into")]
    for subject, relation, object_ in get("carried_relations"):
        rows.append(Assertion(ident(subject), "rel_start", ident(object_), relation))
    return rows


def _merged_rows(get: Get, ident: Ident) -> list[Assertion]:
    successor = ident(get("successor"))
    rows: list[Assertion] = []
    for predecessor in get("predecessors"):
        rows.append(Assertion(ident(predecessor), "end"))
        rows.append(Assertion(ident(predecessor), "edge", successor, "merged"))
    if get("into_new"):
        rows.append(Assertion(successor, "start"))
    return rows + _carried_rows(successor, get, ident)


def _carried_said(d: Mapping[str, Any], n: Namer, whose: str) -> str:
    """What a succession's summary says the successor took over."""
    said = []
    if d.get("carried_into"):
        said.append(f"joins {', '.join(n(b) for b in d['carried_into'])} in {whose} place")
    if d.get("carried_relations"):
        said.append(f"takes over {relations_said(d['carried_relations'], n)}")
    return " and ".join(said)


def _merged_summary(d: Mapping[str, Any], n: Namer) -> str:
    predecessors = ", ".join(n(p) for p in d["predecessors"])
    into = "new body" if d["into_new"] else "existing body"
    found = f"{predecessors} merged into {n(d['successor'])} ({into})"
    carried = _carried_said(d, n, "their")
    return f"{found}, which {carried}" if carried else found


def _split(find: Find, r: Any) -> dict[str, Any]:
    """Successors the ledger does not know are new bodies, of `kind` or the source's kind. The
    successor named by `carry_to` takes over the source's memberships and relationships."""
    source = find.known("organisation", r.source)
    kind = r.kind or find.kind_of(source) or "unknown"
    successors: list[UUID] = []
    new: list[UUID] = []
    introduced: list[dict[str, Any]] = []
    for name in r.successors:
        found = find.maybe("organisation", name, introducing=True)
        if found is None:
            found = find.new("organisation", name)
            new.append(found)
            introduced.append({"id": found, "name": name, "kind": kind})
        successors.append(found)
    if source in successors:
        raise BadChange("split: the source cannot also be a successor; use source_continues: true")
    carried_to = None
    carried: tuple[tuple[UUID, ...], tuple[Relation, ...]] = ((), ())
    if r.carry_to is not None:
        # A source that continues keeps its own as well (`left`, `relationship-ended` end them).
        carried_to = _carry_to(find, r, successors)
        others = tuple(s for s in successors if s != carried_to)
        carried = _carried(find, [source], carried_to, r.effective, apart=others)
    return {
        "source": source,
        "successors": tuple(successors),
        "new_successors": tuple(new),
        "source_continues": r.source_continues,
        "introduced": tuple(introduced),
        "carried_to": carried_to,
        "carried_into": carried[0],
        "carried_relations": carried[1],
    }


def _carry_to(find: Find, r: Any, successors: list[UUID]) -> UUID:
    """The successor `carry_to` names: as the change names it, or by any name it is known by
    (refused if it is not one of the successors)."""
    for name, successor in zip(r.successors, successors, strict=True):
        if fold(name) == fold(r.carry_to):
            return successor
    known = find.maybe("organisation", r.carry_to)
    if known is not None and known in successors:
        return known
    raise BadChange(
        f"refused split: carry_to {r.carry_to!r} is not one of the successors "
        f"({', '.join(repr(s) for s in r.successors)})",
        refused=True,
    )


def _split_rows(get: Get, ident: Ident) -> list[Assertion]:
    source = ident(get("source"))
    rows = [] if get("source_continues") else [Assertion(source, "end")]
    new = set(get("new_successors"))
    for successor in get("successors"):
        if successor in new:
            rows.append(Assertion(ident(successor), "start"))
        rows.append(Assertion(source, "edge", ident(successor), "split"))
    carried_to = get("carried_to")
    if carried_to is not None:
        rows += _carried_rows(ident(carried_to), get, ident)
    return rows


def _split_summary(d: Mapping[str, Any], n: Namer) -> str:
    found = f"{n(d['source'])} split into {', '.join(n(s) for s in d['successors'])}"
    carried = _carried_said(d, n, "its") if d.get("carried_to") is not None else ""
    return f"{found}; {n(d['carried_to'])} {carried}" if carried else found


def _established_summary(d: Mapping[str, Any], n: Namer) -> str:
    found = f"{d['name']} established ({d['org_kind']})"
    return found + (" (on or before)" if d.get("on_or_before") else "")


def _appointed_summary(d: Mapping[str, Any], n: Namer) -> str:
    flags = [f for f in ("interim", "acting", "shadow") if d.get(f)]
    flag = f" ({', '.join(flags)})" if flags else ""
    return f"{d['person_name']} appointed {n(d['post'])}, {n(d['organisation'])}{flag}"


def _transfer_moves(get: Get, body: Any, ident: Ident) -> tuple[Move, ...]:
    """Staff leave the body they move from and arrive at the one they move to."""
    headcount = get("headcount")
    if headcount is None:
        return ()
    moves: list[Move] = []
    if ident(get("from_body")) == body:
        moves.append((LEAVES, ident(get("function")), headcount, get("function_name")))
    if ident(get("to_body")) == body:
        moves.append((ARRIVES, ident(get("function")), headcount, get("function_name")))
    return tuple(moves)


def _fact_moves(get: Get, body: Any, ident: Ident) -> tuple[Move, ...]:
    """A headcount recorded for a function is the level later transfers move from."""
    value = get("value")
    if get("attribute") == "headcount" and get("function") is not None and value.isdigit():
        return ((LEVEL, ident(get("function")), int(value), "the function"),)
    return ()


def _mentioned(get: Get) -> list[Party]:
    """A retraction mentions what the retracted change touched (read back as a mapping)."""
    return [
        Party(p["entity"], p["id"], "mentions")
        if isinstance(p, dict)
        else Party(p.entity, p.id, "mentions")
        for p in get("touched")
    ]


def _retracted_summary(d: Mapping[str, Any], n: Namer) -> str:
    kind = "cancelled" if d.get("cancelled") else "retracted"
    return f"{kind} change {d.get('retracts', '')[:8]}"


# --- the declarations ------------------------------------------------------------------------

_BODY: EntityType = "organisation"


def _body(key: str, help: str, **more: Any) -> Field:
    """A field naming an organisation the ledger knows."""
    return Field(key, help=help, refers=_BODY, **more)


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "established",
            event="Established",
            observable=True,
            command="Establish",
            blurb="A body comes into being.",
            example='ledger source add health-and-care-act-2022 --title "Health and Care Act 2022" --published 2022-04-28 --issued-by "UK Parliament"\nledger record established "NHS Devon Integrated Care Board" --kind integrated_care_board --code ods:QJK --effective 2022-07-01 --source health-and-care-act-2022:"section 19" --reason "integrated care boards replaced CCGs"',
            fields=(
                _body(
                    "organisation",
                    "Name of the new body.",
                    resolve="find_or_new",
                    codes="codes",
                    keeps="name",
                ),
                Field(
                    "kind",
                    flag="--kind",
                    help="Kind of body: ccg, nhs_trust, partnership, board, ...",
                    event="org_kind",
                    choices=BODY_KINDS,
                ),
                Field(
                    "codes",
                    "codes",
                    flag="--code",
                    help="A code as SCHEME:CODE, e.g. ods:15N (repeatable).",
                    required=False,
                ),
                Field(
                    "on_or_before",
                    "flag",
                    flag="--on-or-before",
                    help="Known to exist on the date; founding date unknown.",
                    required=False,
                ),
            ),
            parties=(Part("organisation", "establishes", when="on_or_before", then="attests"),),
            rows=(
                Row("start", "organisation", when="on_or_before", then="attest"),
                Row("name", "organisation", value="name"),
                Row("kind", "organisation", value="org_kind"),
                Row("code", "organisation", value="codes"),
            ),
            names=(Names("organisation", "organisation", "name", codes="codes"),),
            summary=_established_summary,
        ),
        Kind(
            "renamed",
            event="Renamed",
            observable=True,
            command="Rename",
            blurb="A body takes a new name.",
            example='ledger source add health-and-care-act-2022 --title "Health and Care Act 2022" --published 2022-04-28 --issued-by "UK Parliament"\nledger record renamed "Devon STP" --name "One Devon" --effective 2022-07-01 --source health-and-care-act-2022:"section 20" --reason "the ICS took the name One Devon"',
            fields=(
                _body("organisation", "The body (any name it had)."),
                Field("name", flag="--name", help="The new name."),
            ),
            parties=(Part("organisation", "acts"),),
            rows=(Row("name", "organisation", value="name"),),
            names=(Names("organisation", "organisation", "name"),),
            summary="{organisation} renamed {name}",
            names_before=True,
        ),
        Kind(
            "alias_recorded",
            event="AliasRecorded",
            command="RecordAlias",
            blurb="A body is also known by another name (a full name, a short form); its formal name is unchanged.",
            example='ledger record alias-recorded "Devon STP" "Devon Sustainability and Transformation Partnership" --note "full name" --effective 2017-10-24 --source devon-stp-update-2017-10-24:"Introduction" --reason "full name used"',
            fields=(
                _body("organisation", "The body (any name it has)."),
                Field("alias", help="The other name."),
                Field(
                    "note",
                    flag="--note",
                    help="What the name is: full name, short form, ...",
                    required=False,
                ),
            ),
            parties=(Part("organisation", "acts"),),
            rows=(Row("alias_start", "organisation", value="alias", extra={"note": "note"}),),
            names=(Names("organisation", "organisation", "alias", other=True),),
            summary="{organisation} also known as {alias}[ ({note})]",
        ),
        Kind(
            "alias_ended",
            event="AliasEnded",
            command="EndAlias",
            blurb="A body is no longer known by another name it had.",
            example='ledger record alias-ended "NEW Devon CCG" "NHS NEW Devon CCG" --effective 2019-04-01 --source plymouth-hasc-2019-03-20:"Section One, 3 Merger of the Devon CCGs" --reason "name no longer used"',
            fields=(
                _body("organisation", "The body (any name it has)."),
                Field("alias", help="The other name, as recorded."),
            ),
            parties=(Part("organisation", "ends"),),
            rows=(Row("alias_end", "organisation", value="alias"),),
            summary="{organisation} no longer known as {alias}",
        ),
        Kind(
            "designated",
            event="Designated",
            command="Designate",
            blurb="A body is described as what it is becoming or is recognised as (developing as an accountable care system, an emerging integrated care system); its formal name is unchanged.",
            example='ledger record designated "Cornwall and the Isles of Scilly Health and Social Care Partnership" "Cornwall and the Isles of Scilly Accountable Care System" --qualifier "shadow" --planned --effective 2018-04 --source cios-transformation-2017-12-19:"Critical Path for the development of CIOS Shadow ACS" --reason "shadow working arrangements by April 2018"',
            fields=(
                _body("organisation", "The body (any name it has)."),
                Field(
                    "designation",
                    help="What it is described as, e.g. 'Devon Accountable Care System'.",
                ),
                Field(
                    "qualifier",
                    flag="--qualifier",
                    help="How the sources put it: developing as, emerging, shadow, ...",
                    required=False,
                ),
            ),
            parties=(Part("organisation", "acts"),),
            rows=(
                Row(
                    "desig_start",
                    "organisation",
                    value="designation",
                    extra={"qualifier": "qualifier"},
                ),
            ),
            names=(Names("organisation", "organisation", "designation", other=True),),
            summary="{organisation} designated {designation}[ ({qualifier})]",
        ),
        Kind(
            "designation_ended",
            event="DesignationEnded",
            command="EndDesignation",
            blurb="A body is no longer described as it was.",
            example='ledger record designated "Cornwall and the Isles of Scilly Health and Social Care Partnership" "Cornwall and the Isles of Scilly Accountable Care System" --qualifier "shadow" --effective 2018-04 --source cios-transformation-2017-12-19:"Critical Path for the development of CIOS Shadow ACS" --reason "shadow working from April 2018"\nledger record designation-ended "Cornwall and the Isles of Scilly Health and Social Care Partnership" "Cornwall and the Isles of Scilly Accountable Care System" --effective 2019-04 --source cios-transformation-2017-12-19:"Critical Path for the development of CIOS Shadow ACS" --reason "an example: when the shadow arrangement ends" --dry-run',
            fields=(
                _body("organisation", "The body (any name it has)."),
                Field("designation", help="The designation, as recorded."),
            ),
            parties=(Part("organisation", "ends"),),
            rows=(Row("desig_end", "organisation", value="designation"),),
            summary="{organisation} no longer designated {designation}",
        ),
        Kind(
            "reclassified",
            event="Reclassified",
            observable=True,
            command="Reclassify",
            blurb="A body changes kind.",
            example='ledger record reclassified "Devon STP" --kind integrated_care_system --effective 2018-03-09 --source sdt-lcp-2018-03-09:"Context" --reason "ICS status"',
            fields=(
                _body("organisation", "The body."),
                Field(
                    "kind",
                    flag="--kind",
                    help="The new kind.",
                    event="org_kind",
                    choices=BODY_KINDS,
                ),
            ),
            parties=(Part("organisation", "acts"),),
            rows=(Row("kind", "organisation", value="org_kind"),),
            summary="{organisation} reclassified as {org_kind}",
        ),
        Kind(
            "closed",
            event="Closed",
            command="Close",
            blurb="A body ceases to exist (not in force from the effective date).",
            example='ledger source add health-and-care-act-2022 --title "Health and Care Act 2022" --published 2022-04-28 --issued-by "UK Parliament"\nledger record closed "NHS Devon CCG" --effective 2022-07-01 --source health-and-care-act-2022:"section 14" --reason "CCGs abolished"',
            fields=(_body("organisation", "The body."),),
            parties=(Part("organisation", "closes"),),
            rows=(Row("end", "organisation"),),
            summary="{organisation} closed",
        ),
        Kind(
            "merged",
            event="Merged",
            command="Merge",
            blurb="Several bodies merge into a new or an existing one.",
            example='ledger source add rduh-merger-2022-04-01 --title "Royal Devon University Healthcare NHS Foundation Trust formed" --published 2022-04-01 --issued-by "Royal Devon University Healthcare NHS Foundation Trust"\nledger record merged --predecessor "Northern Devon Healthcare NHS Trust" --successor "Royal Devon University Healthcare NHS Foundation Trust" --kind foundation_trust --effective 2022-04-01 --source rduh-merger-2022-04-01:"section 1" --reason "trust merger"',
            fields=(
                _body(
                    "predecessors",
                    "A merging body (repeatable).",
                    value="names",
                    flag="--predecessor",
                ),
                _body("successor", "The body they become.", flag="--successor"),
                Field(
                    "kind",
                    flag="--kind",
                    help="Kind of the successor, when it is new.",
                    required=False,
                    choices=BODY_KINDS,
                    stored=False,
                ),
                Field(
                    "codes",
                    "codes",
                    flag="--code",
                    help="A code of a new successor as SCHEME:CODE (repeatable).",
                    required=False,
                    stored=False,
                ),
                Field(
                    "into",
                    "choice",
                    flag="--into",
                    help="new or existing (default: existing if the successor is known).",
                    required=False,
                    choices=("new", "existing"),
                    stored=False,
                ),
                Field(
                    "no_carry",
                    "flag",
                    flag="--no-carry",
                    help="The successor takes over nothing: by default it joins the bodies the "
                    "merging bodies were members of on the day, and holds their relationships "
                    "(hosts, commissions, part_of ...) in their place.",
                    required=False,
                    stored=False,
                ),
            ),
            made=(
                EventField("into_new", "flag"),
                EventField("carried_into", "ids", required=False, refers="organisation"),
                EventField("carried_relations", "relations", required=False, refers=_BODY),
            ),
            build=_merge,
            parties=(
                Part("predecessors", "closes"),
                Part("successor", "acts", when="into_new", then="establishes"),
                Part("carried_into", "acts"),
                Part("carried_relations", "acts"),
            ),
            rows=_merged_rows,
            summary=_merged_summary,
        ),
        Kind(
            "split",
            event="Split",
            command="SplitUp",
            blurb="A body splits into several.",
            example='ledger record split "South Devon and Torbay Local Care Partnership" --successor "South Hams Care Partnership" --successor "Torbay Care Partnership" --kind partnership --effective 2021-04-01 --source sdt-lcp-2018-03-09:"Next steps" --reason "split by place"',
            fields=(
                _body("source", "The body that splits."),
                _body(
                    "successors",
                    "A resulting body (repeatable).",
                    value="names",
                    flag="--successor",
                    introduces=True,
                ),
                Field(
                    "kind",
                    flag="--kind",
                    help="Kind of new successors (default: the source's).",
                    required=False,
                    choices=BODY_KINDS,
                    stored=False,
                ),
                Field(
                    "source_continues",
                    "flag",
                    flag="--source-continues",
                    help="The source carries on after the split.",
                    required=False,
                ),
                Field(
                    "carry_to",
                    flag="--carry-to",
                    help="The successor that takes over the source's memberships and "
                    "relationships on the day (by default none does; a source that continues "
                    "keeps its own as well).",
                    required=False,
                    stored=False,
                ),
            ),
            made=(
                EventField("new_successors", "ids", required=False),
                EventField("carried_to", "id", required=False, refers=_BODY),
                EventField("carried_into", "ids", required=False, refers=_BODY),
                EventField("carried_relations", "relations", required=False, refers=_BODY),
            ),
            build=_split,
            parties=(
                Part("source", "closes", when="source_continues", then="acts"),
                Part("successors", "acts", when="new_successors", then="establishes"),
                Part("carried_into", "acts"),
                Part("carried_relations", "acts"),
            ),
            rows=_split_rows,
            summary=_split_summary,
        ),
        Kind(
            "succeeded",
            event="Succeeded",
            command="Succeed",
            blurb="A plain predecessor -> successor edge (ODS style); closes nothing.",
            example='ledger record succeeded "NEW Devon CCG" "NHS Devon CCG" --effective 2019-04-01 --source plymouth-hasc-2019-03-20:"section 2" --reason "the register successor row"',
            fields=(
                _body("predecessor", "The predecessor."),
                _body("successor", "The successor."),
            ),
            parties=(Part("predecessor", "ends"), Part("successor", "acts")),
            rows=(Row("edge", "predecessor", other="successor", value=Const("succeeded")),),
            summary="{predecessor} succeeded by {successor}",
        ),
        Kind(
            "joined",
            event="Joined",
            observable=True,
            command="Join",
            blurb="A body joins a partnership, board or group.",
            example='ledger record joined "Devon County Council" "Devon Mental Health Care Partnership" --role partner --effective 2018-04 --source sdt-lcp-2018-03-09:"Appendix 1" --reason "partner"',
            fields=(
                _body("member", "The member."),
                _body("body", "The partnership or board."),
                Field("role", flag="--role", help="Role in the body.", required=False),
            ),
            parties=(Part("member", "acts"), Part("body", "acts")),
            rows=(Row("member_start", "member", other="body", value="role"),),
            summary="{member} joined {body}[ as {role}]",
        ),
        Kind(
            "left",
            event="Left",
            command="Leave",
            blurb="A body leaves a partnership, board or group.",
            example='ledger source add example-minutes-2020-03 --title "Board minutes (an example for this help)" --published 2020-03 --issued-by "Devon STP"\nledger record left "Torbay Council" "Devon STP" --effective 2020-04 --source example-minutes-2020-03:"item 2" --reason "left the partnership"',
            fields=(_body("member", "The member."), _body("body", "The partnership or board.")),
            parties=(Part("member", "ends"), Part("body", "ends")),
            rows=(Row("member_end", "member", other="body"),),
            summary="{member} left {body}",
        ),
        Kind(
            "relationship_started",
            event="RelationshipStarted",
            observable=True,
            command="StartRelationship",
            blurb="A relationship between two bodies starts (hosts, commissions, accountable_to, part_of, provides_for, supports).",
            example='ledger record relationship-started "NHS Devon CCG" hosts "Devon Strategic Commissioning Group" --effective 2019-04-01 --source plymouth-hasc-2019-03-20:"section 3" --reason "hosting"',
            fields=(
                _body("subject", "The subject body."),
                Field("relation", "choice", help="The relation.", choices=RELATIONS),
                _body("object", "The object body."),
            ),
            parties=(Part("subject", "acts"), Part("object", "acts")),
            rows=(Row("rel_start", "subject", other="object", value="relation"),),
            summary="{subject} {relation} {object} (started)",
        ),
        Kind(
            "relationship_ended",
            event="RelationshipEnded",
            command="EndRelationship",
            blurb="A relationship between two bodies ends.",
            example='ledger record relationship-ended "Devon Acute Services Review" part_of "Devon STP" --effective 2019-03 --source plymouth-hasc-2019-03-20:"section 3" --reason "review concluded"',
            fields=(
                _body("subject", "The subject body."),
                Field("relation", "choice", help="The relation.", choices=RELATIONS),
                _body("object", "The object body."),
            ),
            parties=(Part("subject", "ends"), Part("object", "ends")),
            rows=(Row("rel_end", "subject", other="object", value="relation"),),
            summary="{subject} {relation} {object} (ended)",
        ),
        Kind(
            "function_moved",
            event="FunctionMoved",
            command="MoveFunction",
            blurb="A function moves from one body to another, optionally with its staff.",
            example='ledger source add example-shared-services-2020 --title "Shared services paper (an example for this help)" --published 2020-03 --issued-by "Devon County Council"\nledger record function-moved "payroll" --from "Torbay Council" --to "Devon County Council" --effective 2020-04 --source example-shared-services-2020:"section 2" --reason "shared payroll service"',
            fields=(
                Field(
                    "function",
                    help="The function, e.g. 'adult social care'.",
                    refers="function",
                    resolve="new",
                    keeps="function_name",
                ),
                _body("from", "The body it leaves.", flag="--from", event="from_body"),
                _body("to", "The body it moves to.", flag="--to", event="to_body"),
                Field(
                    "headcount",
                    "count",
                    flag="--headcount",
                    help="Staff moving with it.",
                    required=False,
                    minimum=0,
                ),
            ),
            parties=(Part("function", "acts"), Part("from_body", "ends"), Part("to_body", "acts")),
            rows=(
                Row(
                    "transfer",
                    "from_body",
                    other="to_body",
                    value="function_name",
                    extra={"headcount": "headcount", "moved": Const(True)},
                ),
            ),
            names=(Names("function", "function", "function_name"),),
            moves=_transfer_moves,
            summary="{function_name} moved from {from_body} to {to_body}[ with {headcount} staff]",
            apart=("from", "to"),
        ),
        Kind(
            "staff_transferred",
            event="StaffTransferred",
            command="TransferStaff",
            blurb="Staff (a headcount) transfer from one body to another for a function.",
            example='ledger source add example-shared-services-2020 --title "Shared services paper (an example for this help)" --published 2020-03 --issued-by "Devon County Council"\nledger record staff-transferred "payroll" --from "Torbay Council" --to "Devon County Council" --headcount 12 --effective 2020-04 --source example-shared-services-2020:"section 3" --reason "TUPE transfer"',
            fields=(
                Field(
                    "function",
                    help="The function the staff work in.",
                    refers="function",
                    resolve="new",
                    keeps="function_name",
                ),
                _body("from", "The body they leave.", flag="--from", event="from_body"),
                _body("to", "The body they join.", flag="--to", event="to_body"),
                Field("headcount", "count", flag="--headcount", help="How many staff.", minimum=1),
            ),
            parties=(Part("function", "acts"), Part("from_body", "ends"), Part("to_body", "acts")),
            rows=(
                Row(
                    "transfer",
                    "from_body",
                    other="to_body",
                    value="function_name",
                    extra={"headcount": "headcount", "moved": Const(False)},
                ),
            ),
            names=(Names("function", "function", "function_name"),),
            moves=_transfer_moves,
            summary="{headcount} {function_name} staff transferred from {from_body} to {to_body}",
            apart=("from", "to"),
        ),
        Kind(
            "post_created",
            event="PostCreated",
            observable=True,
            command="CreatePost",
            blurb="A post (a titled role) is created in an organisation.",
            example='ledger record post-created "Director of Finance" --organisation "NHS Devon CCG" --effective 2019-04-01 --source plymouth-hasc-2019-03-20:"section 2" --reason "new post"',
            fields=(
                Field(
                    "post",
                    help="The title.",
                    refers="post",
                    resolve="new",
                    within="organisation",
                    keeps="title",
                ),
                _body("organisation", "The organisation.", flag="--organisation"),
            ),
            parties=(Part("post", "establishes"), Part("organisation", "acts")),
            rows=(Row("post_start", "post", other="organisation", value="title"),),
            names=(Names("post", "post", "title", parent="organisation"),),
            summary="post {title} created in {organisation}",
        ),
        Kind(
            "post_abolished",
            event="PostAbolished",
            command="AbolishPost",
            blurb="A post is abolished.",
            example='ledger record post-abolished "Workforce/OD Lead" --organisation "Devon OD Steering Programme Group" --effective 2018-04 --source sdt-lcp-2018-03-09:"Governance" --reason "merged into another lead role"',
            fields=(
                Field("post", help="The title.", refers="post", within="organisation"),
                _body("organisation", "The organisation.", flag="--organisation"),
            ),
            parties=(Part("post", "closes"), Part("organisation", "ends")),
            rows=(Row("post_end", "post", other="organisation"),),
            summary="post {post} in {organisation} abolished",
        ),
        Kind(
            "appointed",
            event="Appointed",
            observable=True,
            command="Appoint",
            blurb="A person is appointed to a post (substantive unless flagged interim, acting or shadow).",
            example='ledger record appointed "A. Person" --post "Chair" --organisation "NHS Devon CCG" --interim --effective 2019-04-01 --source plymouth-hasc-2019-03-20:"section 2" --reason "interim chair"',
            fields=(
                Field(
                    "person",
                    help="The person's name.",
                    refers="person",
                    resolve="find_or_new",
                    keeps="person_name",
                ),
                Field(
                    "post",
                    flag="--post",
                    help="The post's title.",
                    refers="post",
                    within="organisation",
                ),
                _body("organisation", "The post's organisation.", flag="--organisation"),
                Field(
                    "interim",
                    "flag",
                    flag="--interim",
                    help="An interim appointment.",
                    required=False,
                ),
                Field(
                    "acting", "flag", flag="--acting", help="An acting appointment.", required=False
                ),
                Field(
                    "shadow", "flag", flag="--shadow", help="A shadow appointment.", required=False
                ),
            ),
            parties=(Part("post", "acts"), Part("person", "acts"), Part("organisation", "acts")),
            rows=(
                Row(
                    "appt_start",
                    "post",
                    other="person",
                    value="person_name",
                    extra={"interim": "interim", "acting": "acting", "shadow": "shadow"},
                ),
            ),
            names=(Names("person", "person", "person_name"),),
            summary=_appointed_summary,
        ),
        Kind(
            "appointment_ended",
            event="AppointmentEnded",
            command="EndAppointment",
            blurb="A person leaves a post.",
            example='ledger record appointment-ended "Nick Roberts" --post "Senior Responsible Owner" --organisation "Devon STP Organisational Design Programme" --effective 2018-03-31 --source sdt-lcp-2018-03-09:"Governance" --reason "programme closed"',
            fields=(
                Field("person", help="The person's name.", refers="person"),
                Field(
                    "post",
                    flag="--post",
                    help="The post's title.",
                    refers="post",
                    within="organisation",
                ),
                _body("organisation", "The post's organisation.", flag="--organisation"),
            ),
            parties=(Part("post", "ends"), Part("person", "ends"), Part("organisation", "ends")),
            rows=(Row("appt_end", "post", other="person"),),
            summary="{person} left post {post}, {organisation}",
        ),
        Kind(
            "fact_recorded",
            event="FactRecorded",
            observable=True,
            command="RecordFact",
            blurb="A dated attribute of a body: budget, population served, member practices, headcount ...",
            example='ledger source add example-kernow-report-2019 --title "Annual report (an example for this help)" --published 2019-06 --issued-by "NHS Kernow CCG"\nledger record fact-recorded "NHS Kernow CCG" population_served 570000 --unit people --effective 2019-04 --source example-kernow-report-2019:"page 4" --reason "population"',
            fields=(
                _body("subject", "The body."),
                Field("attribute", help="The attribute, e.g. budget."),
                Field("value", "text", help="The value."),
                Field("unit", flag="--unit", help="Unit, e.g. GBP or people.", required=False),
                Field(
                    "function",
                    flag="--function",
                    help="The function it concerns (for a headcount).",
                    required=False,
                    refers="function",
                    resolve="new",
                    keeps="function_name",
                ),
            ),
            parties=(Part("subject", "acts"),),
            rows=(
                Row(
                    "fact",
                    "subject",
                    value="attribute",
                    extra={"value": "value", "unit": "unit", "function": "function_name"},
                ),
            ),
            moves=_fact_moves,
            summary="{subject}: {attribute}[ ({function_name})] = {value}[ {unit}]",
        ),
        Kind(
            "listed",
            event="Listed",
            observable=True,
            command="RecordListing",
            blurb="A register or list shows a body in force on its date (a release of the NHS register lists it): evidence that it existed then, which changes nothing.",
            example='ledger record listed "NHS Devon CCG" --listing ods:ccg --state active --effective as-at:2019-06-01 --source plymouth-hasc-2019-03-20:"section 2" --reason "the June 2019 release lists it"',
            fields=(
                _body("organisation", "The body the list shows."),
                Field(
                    "listing",
                    "text",
                    flag="--listing",
                    help="The list that shows it, e.g. ods:gp_practice (an ODS release's practice file).",
                ),
                Field(
                    "state",
                    "text",
                    flag="--state",
                    help="Its state as the list gives it (active, dormant, ...).",
                    required=False,
                ),
                Field(
                    "member_of",
                    "text",
                    flag="--member-of",
                    help="The body the list places it in, as the list writes it (a commissioner's code).",
                    required=False,
                ),
            ),
            parties=(Part("organisation", "attests"),),
            rows=(
                Row(
                    "attest",
                    "organisation",
                    value="listing",
                    extra={"state": "state", "member_of": "member_of"},
                ),
            ),
            summary="{organisation} listed in {listing}[ ({state})][, member of {member_of}]",
        ),
        Kind(
            "decision_recorded",
            event="DecisionRecorded",
            command="RecordDecision",
            blurb="A body decided (endorsed, approved, agreed) something on a date.",
            example='ledger record decision-recorded "Devon STP" "endorsed the OD next steps" --effective 2017-09-15 --source devon-pdeg-2017-09-15:"Recommendations" --reason "board decision"',
            fields=(
                _body("body", "The deciding body."),
                Field("decision", "text", help="A short summary of the decision."),
                _body(
                    "about",
                    "An organisation it concerns (repeatable).",
                    value="names",
                    flag="--about",
                    required=False,
                ),
            ),
            parties=(Part("body", "acts"),),
            rows=(Row("decision", "body", value="decision", extra={"about": "about"}),),
            summary="{body} decided: {decision}",
        ),
        Kind(
            # Not recorded as a change of its own: `ledger retract` and `cancel` (and a change
            # file's `retracted` entry) make one from the change they withdraw.
            "retracted",
            event="Retracted",
            command=None,
            made=(
                EventField("retracts", "id"),
                EventField("cancelled", "flag", required=False),
                EventField("touched", "parties", required=False),
            ),
            parties=_mentioned,
            summary=_retracted_summary,
        ),
        Kind(
            # Not recorded as a change of its own: `ledger source add` and a sources file (such as
            # events/sources.yaml, read by `ledger import`) register a source with it.
            "source_registered",
            event="SourceRegistered",
            command=None,
            made=(
                EventField("source_id", "text"),
                EventField("title", "text"),
                EventField("issued_by", "text"),
                EventField("author", "text", required=False),
                EventField("document", "text", required=False),
                EventField("file", "text", required=False),
            ),
            summary="source {source_id} registered: {title}",
        ),
    )
}

# The kinds a user records (in a change file, or with `ledger record`), in the order listed.
RECORDED: tuple[Kind, ...] = tuple(k for k in KINDS.values() if k.command is not None)
