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
    Row,
)

if TYPE_CHECKING:
    from uuid import UUID

RELATIONS = ("hosts", "commissions", "accountable_to", "part_of", "provides_for", "supports")


# --- hooks: what a kind does that its declaration cannot say ---------------------------------


def _merge(find: Find, r: Any) -> dict[str, Any]:
    """Into the successor if it is known (or `into: existing`), else into a new body of `kind`;
    predecessors the ledger does not know are brought in, of the successor's kind."""
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
    successor_kind = r.kind or (find.kind_of(successor) if successor else None)
    if successor is None:
        if not r.kind:
            raise BadChange(f"merged: 'kind' is required because {r.successor!r} is a new body")
        successor = find.new("organisation", r.successor, codes=r.codes)
        introduced.append({"id": successor, "name": r.successor, "kind": r.kind, "codes": r.codes})
    predecessors: list[UUID] = []
    for name in r.predecessors:
        found = find.maybe("organisation", name, introducing=True)
        if found is None:
            found = find.new("organisation", name)
            introduced.append({"id": found, "name": name, "kind": successor_kind or "unknown"})
        predecessors.append(found)
    if successor in predecessors:
        raise BadChange("merged: the successor cannot also be a predecessor")
    return {
        "predecessors": tuple(predecessors),
        "successor": successor,
        "into_new": into_new,
        "introduced": tuple(introduced),
    }


def _merged_rows(get: Get, ident: Ident) -> list[Assertion]:
    successor = ident(get("successor"))
    rows: list[Assertion] = []
    for predecessor in get("predecessors"):
        rows.append(Assertion(ident(predecessor), "end"))
        rows.append(Assertion(ident(predecessor), "edge", successor, "merged"))
    if get("into_new"):
        rows.append(Assertion(successor, "start"))
    return rows


def _merged_summary(d: Mapping[str, Any], n: Namer) -> str:
    predecessors = ", ".join(n(p) for p in d["predecessors"])
    into = "new body" if d["into_new"] else "existing body"
    return f"{predecessors} merged into {n(d['successor'])} ({into})"


def _split(find: Find, r: Any) -> dict[str, Any]:
    """Successors the ledger does not know are new bodies, of `kind` or the source's kind."""
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
    return {
        "source": source,
        "successors": tuple(successors),
        "new_successors": tuple(new),
        "source_continues": r.source_continues,
        "introduced": tuple(introduced),
    }


def _split_rows(get: Get, ident: Ident) -> list[Assertion]:
    source = ident(get("source"))
    rows = [] if get("source_continues") else [Assertion(source, "end")]
    new = set(get("new_successors"))
    for successor in get("successors"):
        if successor in new:
            rows.append(Assertion(ident(successor), "start"))
        rows.append(Assertion(source, "edge", ident(successor), "split"))
    return rows


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
            command="Establish",
            blurb="A body comes into being.",
            example='ledger record established "NHS Devon CCG" --kind ccg --code ods:15N --effective 2019-04-01 --source plymouth-hasc-2019-03-20:"section 2" --reason "new CCG"',
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
            command="Rename",
            blurb="A body takes a new name.",
            example='ledger record renamed "Devon STP" --name "Devon ACS" --effective 2017-09 --source devon-pdeg-2017-09-15:"section 1" --reason "STP became an ACS"',
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
            example='ledger record alias-recorded "NEW Devon CCG" "Northern, Eastern and Western Devon CCG" --note "full name" --effective 2019-03-20 --source plymouth-hasc-2019-03-20:"Section One, 3 Merger of the Devon CCGs" --reason "full name used"',
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
            example='ledger record designated "Devon STP" "Devon Accountable Care System" --qualifier "developing as" --effective 2017-09 --source devon-pdeg-2017-09-15:"Next Steps" --reason "the STP is to evolve into an ACS"',
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
            example='ledger record designation-ended "Devon STP" "Devon Accountable Care System" --effective 2018-03-09 --source sdt-lcp-2018-03-09:"Introduction" --reason "now described as an emerging ICS"',
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
            command="Reclassify",
            blurb="A body changes kind.",
            example='ledger record reclassified "Devon STP" --kind integrated_care_system --effective 2018 --source sdt-lcp-2018-03-09:"Context" --reason "ICS status"',
            fields=(
                _body("organisation", "The body."),
                Field("kind", flag="--kind", help="The new kind.", event="org_kind"),
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
            example='ledger record closed "Old Board" --effective 2019-03-31 --source plymouth-hasc-2019-03-20:"section 4" --reason "dissolved"',
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
            example='ledger record merged --predecessor "NEW Devon CCG" --predecessor "South Devon and Torbay CCG" --successor "NHS Devon CCG" --kind ccg --effective 2019-04-01 --source plymouth-hasc-2019-03-20:"section 2" --reason "CCG merger"',
            fields=(
                _body(
                    "predecessors",
                    "A merging body (repeatable).",
                    value="names",
                    flag="--predecessor",
                    introduces=True,
                ),
                _body("successor", "The body they become.", flag="--successor"),
                Field(
                    "kind",
                    flag="--kind",
                    help="Kind of the successor, when it is new.",
                    required=False,
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
            ),
            made=(EventField("into_new", "flag"),),
            build=_merge,
            parties=(
                Part("predecessors", "closes"),
                Part("successor", "acts", when="into_new", then="establishes"),
            ),
            rows=_merged_rows,
            summary=_merged_summary,
        ),
        Kind(
            "split",
            event="Split",
            command="SplitUp",
            blurb="A body splits into several.",
            example='ledger record split "Old Trust" --successor "North Trust" --successor "South Trust" --effective 2020-04-01 --source board:"item 4" --reason "split"',
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
                    stored=False,
                ),
                Field(
                    "source_continues",
                    "flag",
                    flag="--source-continues",
                    help="The source carries on after the split.",
                    required=False,
                ),
            ),
            made=(EventField("new_successors", "ids", required=False),),
            build=_split,
            parties=(
                Part("source", "closes", when="source_continues", then="acts"),
                Part("successors", "acts", when="new_successors", then="establishes"),
            ),
            rows=_split_rows,
            summary="{source} split into {successors}",
        ),
        Kind(
            "succeeded",
            event="Succeeded",
            command="Succeed",
            blurb="A plain predecessor -> successor edge (ODS style); closes nothing.",
            example='ledger record succeeded "Torbay and Southern Devon Health and Care NHS Trust" "Torbay and South Devon NHS Foundation Trust" --effective 2015-10-01 --source ods:"succ row 2" --reason "ODS succession"',
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
            command="Join",
            blurb="A body joins a partnership, board or group.",
            example='ledger record joined "Plymouth City Council" "Devon STP" --effective 2016 --source devon-pdeg-2017-09-15:"Appendix 1" --reason "STP partner"',
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
            example='ledger record left "Plymouth City Council" "Devon STP" --effective 2020 --source minutes:"item 2" --reason "left"',
            fields=(_body("member", "The member."), _body("body", "The partnership or board.")),
            parties=(Part("member", "ends"), Part("body", "ends")),
            rows=(Row("member_end", "member", other="body"),),
            summary="{member} left {body}",
        ),
        Kind(
            "relationship_started",
            event="RelationshipStarted",
            command="StartRelationship",
            blurb="A relationship between two bodies starts (hosts, commissions, accountable_to, part_of, provides_for, supports).",
            example='ledger record relationship-started "NHS Devon CCG" hosts "Devon ICS" --effective 2019-04 --source plymouth-hasc-2019-03-20:"section 3" --reason "hosting"',
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
            example='ledger record relationship-ended "NHS Devon CCG" hosts "Devon ICS" --effective 2022-07 --source minutes:"item 3" --reason "ended"',
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
            example='ledger record function-moved "adult social care" --from "Plymouth City Council" --to "Livewell Southwest" --headcount 173 --effective 2015-04 --source plymouth-hasc-2019-03-20:"section 3" --reason "integration"',
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
        ),
        Kind(
            "staff_transferred",
            event="StaffTransferred",
            command="TransferStaff",
            blurb="Staff (a headcount) transfer from one body to another for a function.",
            example='ledger record staff-transferred "adult social care" --from "Plymouth City Council" --to "Livewell Southwest" --headcount 173 --effective 2015-04 --source plymouth-hasc-2019-03-20:"section 3" --reason "TUPE transfer"',
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
        ),
        Kind(
            "post_created",
            event="PostCreated",
            command="CreatePost",
            blurb="A post (a titled role) is created in an organisation.",
            example='ledger record post-created "Chief Executive" --organisation "Devon STP" --effective 2017-10 --source devon-stp-update-2017-10-24:"section 1" --reason "new post"',
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
            example='ledger record post-abolished "Chief Executive" --organisation "Devon STP" --effective 2019 --source minutes:"item 5" --reason "abolished"',
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
            command="Appoint",
            blurb="A person is appointed to a post (substantive unless flagged interim, acting or shadow).",
            example='ledger record appointed "A. Person" --post "Chief Executive" --organisation "Devon STP" --interim --effective 2017-10-01 --source devon-stp-update-2017-10-24:"section 1" --reason "interim lead"',
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
            example='ledger record appointment-ended "A. Person" --post "Chief Executive" --organisation "Devon STP" --effective 2018-03-31 --source minutes:"item 2" --reason "contract ended"',
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
            command="RecordFact",
            blurb="A dated attribute of a body: budget, population served, member practices, headcount ...",
            example='ledger record fact-recorded "NHS Devon CCG" budget 1.8 --unit "GBP bn" --effective 2019-04 --source plymouth-hasc-2019-03-20:"section 2" --reason "budget"',
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
    )
}

# The kinds a user records (in a change file, or with `ledger record`), in the order listed.
RECORDED: tuple[Kind, ...] = tuple(k for k in KINDS.values() if k.command is not None)
