"""The bundled ledger says what its five papers say, no more and no less (issue 18, item 8).

A fact-by-fact check of events/ against the papers found things recorded wrongly, things recorded
that no paper supports, things missing, and attributions weaker than the papers allow. One test per
group asks the corrected ledger, through the CLI in JSON, what a historian would ask; each comment
cites the paper (its source id in events/sources.yaml) and the place in it that the answer rests on.
The store is imported once for the module: the questions only read it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli
from tests.support.stores import fresh_store

pytestmark = pytest.mark.postgres(
    reason="slice: the corrected bundled ledger, asked through the CLI what the papers say"
)

EVENTS = Path(__file__).resolve().parents[2] / "events"
LCPS = {
    "North Devon Local Care Partnership",
    "East Devon Local Care Partnership",
    "South Devon and Torbay Local Care Partnership",
    "West Devon Local Care Partnership",
}
MHCP = "Devon Mental Health Care Partnership"


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    """One store holding the bundled ledger, imported as a user would, shared by the module."""
    with fresh_store() as url:
        cli = Cli(url, tmp_path_factory.mktemp("bundled"))
        assert "total: appended" in cli.ok("import", str(EVENTS))
        yield cli


def as_json(cli: Cli, *args: str) -> Any:
    return json.loads(cli.ok(*args, "--format", "json"))


def names(cli: Cli, on: str, *extra: str) -> dict[str, dict[str, Any]]:
    return {o["name"]: o for o in as_json(cli, "structure", "--on", on, *extra)["organisations"]}


def plans(cli: Cli) -> dict[str, dict[str, Any]]:
    return {p["change"]: p for p in as_json(cli, "plans")["changes"]}


def history(cli: Cli, body: str) -> dict[str, dict[str, Any]]:
    return {c["change"]: c for c in as_json(cli, "history", body)["changes"]}


def facts_of(cli: Cli, body: str, on: str) -> dict[str, dict[str, Any]]:
    shown = as_json(cli, "show", body, "--on", on)["organisation"]
    return {f["attribute"]: f for f in shown["facts"]}


def cited(change: dict[str, Any]) -> set[tuple[str, str]]:
    return {(s["source"], s["locator"]) for s in change["sources"]}


def test_what_was_recorded_wrongly(bundled: Cli) -> None:
    # Were the four Local Care Partnerships and the Devon Mental Health Care Partnership in force in
    # June 2018? No paper says so. The discussion document of 9 March 2018 says the Devon ICS "will
    # include" them (sdt-lcp-2018-03-09, Introduction, l.11) and that the prospective LCPs have been
    # asked to start working on proposals (section 1.2 (iii), l.90; the SDT LCP is what the paper
    # proposes, section 1.3, l.110). They are plans, dated on or after that paper.
    partnerships = names(bundled, "2018-06-01", "--kind", "partnership")
    assert not (LCPS | {MHCP}) & set(partnerships)
    # Nor in the whole ledger's later structure: nothing records that any of them began.
    assert not (LCPS | {MHCP}) & set(names(bundled, "2019-04-01"))
    open_plans = plans(bundled)
    for change in (
        "north-devon-lcp-established",
        "east-devon-lcp-established",
        "sdt-lcp-established",
        "west-devon-lcp-established",
        "devon-mhcp-established",
    ):
        plan = open_plans[change]
        assert plan["status"] == "planned"
        assert plan["effective"] == "after:2018-03-09"
        assert {s for s, _ in cited(plan)} == {"sdt-lcp-2018-03-09"}
    # Their place in the ICS is planned with them.
    assert open_plans["sdt-lcp-part-of-ics"]["effective"] == "after:2018-03-09"
    # Asked with the plans, they appear, marked as planned.
    with_plans = names(bundled, "2018-06-01", "--kind", "partnership", "--include-planned")
    assert LCPS | {MHCP} <= set(with_plans)
    assert all(with_plans[n]["planned"] is True for n in LCPS | {MHCP})

    # When was Plymouth Hospitals NHS Trust renamed University Hospitals Plymouth NHS Trust? The
    # papers do not say. The October 2017 update still writes PHNT (devon-stp-update-2017-10-24,
    # section 2: Phase 2, l.99); the March 2019 report writes University Hospital Plymouth
    # (plymouth-hasc-2019-03-20, Section Two, 2.1, l.141). The rename is dated on or before
    # 20 March 2019, not on it.
    rename = history(bundled, "University Hospitals Plymouth NHS Trust")[
        "plymouth-hospitals-renamed-uhp"
    ]
    assert rename["kind"] == "renamed"
    assert rename["effective"] == "by:2019-03-20"
    assert ("plymouth-hasc-2019-03-20", "Section Two, 2.1 Strategic Direction") in cited(rename)
    assert ("devon-stp-update-2017-10-24", "section 2: Phase 2") in cited(rename)


def test_what_no_paper_supports_is_gone(bundled: Cli) -> None:
    # What kind of body is Livewell Southwest? The Plymouth report says only that it was developed
    # as an integrated community health and care provider (plymouth-hasc-2019-03-20, Purpose of the
    # report, l.22): a provider, its legal form not given.
    livewell = as_json(bundled, "show", "Livewell Southwest", "--on", "2015-05-15")["organisation"]
    assert livewell["kind"] == "provider"
    # Nor does any paper say that it provides for Plymouth City Council: the report says that its
    # services are delivered under two separate contracts (Section Two, 3, l.190) and that the
    # council's adult social care service and 173 staff transferred to it in April 2015
    # (Purpose of the report, l.22; Section Two, 2.1, l.141); the transfer is recorded, no relation.
    assert livewell["in_force"] is True and livewell["relationships"] == []
    moved = {c["kind"] for c in history(bundled, "Livewell Southwest").values()}
    assert {"function_moved", "staff_transferred"} <= moved
    assert "relationship_started" not in moved

    # Which council does the Cornwall paper mean? It writes only "Council" (joint commissioning
    # intentions between Council and CCG; the ISC business case going to council and CCG:
    # cios-transformation-2017-12-19, Integrated Strategic Commissioning, l.57). The ledger does not
    # say Cornwall Council, and the Director of Adult Social Care and Health Integration, an
    # appointment reported under the Accountable Care Partnership element for December 2017 (l.58),
    # is a post of the CIOS system, not of a council the paper does not name.
    refused = bundled("show", "Cornwall Council")
    assert refused.exit_code != 0 and "unknown organisation 'Cornwall Council'" in refused.stderr
    council = as_json(bundled, "show", "CIOS Council", "--on", "2017-12-31")["organisation"]
    assert council["kind"] == "local_authority" and council["posts"] == []
    cios = names(bundled, "2017-12-31")[
        "Cornwall and the Isles of Scilly Health and Social Care Partnership"
    ]
    director = next(
        p
        for p in cios["posts"]
        if p["title"] == "Director of Adult Social Care and Health Integration"
    )
    assert director["holders"] == []

    # From whom were Devon's corporate services to move into the shared service? From all
    # organisations (devon-pdeg-2017-09-15, Appendix 1, section 3, l.177), none named: a planned
    # decision of the STP's partners, not a move out of the STP itself.
    move = plans(bundled)["devon-corporate-services-move-planned"]
    assert move["kind"] == "decision_recorded" and move["status"] == "planned"
    assert move["effective"] == "2018-Q2"  # Q1 2018/19 (Next Steps, section 2(iii), l.80)
    assert "all partner organisations" in move["summary"]
    assert ("devon-pdeg-2017-09-15", "Appendix 1, section 3") in cited(move)

    # Since when is the South Devon and Torbay ICO known, and was it an STP partner? It is first
    # named in the March 2018 paper, already created (sdt-lcp-2018-03-09, section 1.3,
    # l.100-102); no paper names it among the STP's partners (the September 2017 background,
    # devon-pdeg-2017-09-15 l.18, names no provider but Livewell Southwest).
    ico = history(bundled, "South Devon and Torbay ICO")
    assert ico["sdt-ico-established"]["effective"] == "by:2018-03-09"
    assert cited(ico["sdt-ico-established"]) == {("sdt-lcp-2018-03-09", "section 1.3")}
    assert not {c["kind"] for c in ico.values()} & {"joined"}
    stp = as_json(bundled, "show", "Devon STP", "--on", "2018-03-09")["organisation"]
    assert "South Devon and Torbay ICO" not in {m["name"] for m in stp["members"]}


def test_what_was_missing_is_recorded(bundled: Cli) -> None:
    # Who was NHS England's chief executive in September 2017? Simon Stevens, named and quoted in
    # the core narrative (devon-pdeg-2017-09-15, Appendix 1, l.128): seen in post on that day.
    stevens = as_json(bundled, "holders", "Chief Executive, NHS England", "--on", "2017-09-15")
    assert [(h["person"], h["from"]) for h in stevens["holders"]] == [
        ("Simon Stevens", "as-at:2017-09-15")
    ]

    # Which areas of work were to shape Devon's integrated delivery? Three (devon-pdeg-2017-09-15,
    # Appendix 1, section 2, l.167-171): West Devon with Plymouth, specialist mental health
    # services, and North, East, South Devon and Torbay.
    facts = facts_of(bundled, "Devon STP", "2017-09-15")
    areas = facts["integrated_delivery_work_areas"]
    assert areas["value"].startswith("3: West Devon") and areas["effective"] == "as-at:2017-09-15"

    # What was due during a financial year? The ledger has no financial-year date: a target for
    # 2017/18 is planned on or before March 2018, one for 2018/19 on or before March 2019
    # (devon-pdeg-2017-09-15, Next Steps, section 1, l.49 and l.51; section 2(i), l.59; and the
    # Integrated Commissioning Executive's 2019/20 review, plymouth-hasc-2019-03-20, Section One, 5).
    open_plans = plans(bundled)
    for change, effective, year in (
        ("devon-commissioning-staging-plan-2017-18", "by:2018-03", "2017/18"),
        ("devon-commissioning-first-phase-plan-2018-19", "by:2019-03", "2018/19"),
        ("devon-mental-health-model-plan-2017-18", "by:2018-03", "2017/18"),
        ("ice-review-2019-20-planned", "by:2020-03", "2019/20"),
    ):
        assert open_plans[change]["effective"] == effective
        assert f"During {year}" in open_plans[change]["summary"]

    # How long had the STP's leaders worked together by October 2017? "The past 18 months"
    # (devon-stp-update-2017-10-24, Introduction, l.12; the advert, l.50), beside the other papers'
    # "since December 2016": both as the papers say them.
    october = facts_of(bundled, "Devon STP", "2017-10-24")
    assert october["collaborative_working_period"]["value"] == "the past 18 months"
    assert october["collaborative_working_period"]["effective"] == "as-at:2017-10-24"

    # What had Cornwall's system done by December 2017? An options appraisal of the accountable care
    # partnership's configuration had begun (cios-transformation-2017-12-19, Accountable Care
    # Partnership, l.58), and ACS stakeholder events were held in May and October 2017 (Accountable
    # Care System Leadership, l.56).
    cios = history(bundled, "Cornwall and the Isles of Scilly Health and Social Care Partnership")
    assert cios["cios-acp-options-appraisal-2017-12"]["effective"] == "by:2017-12-19"
    assert cios["cios-acp-options-appraisal-2017-12"]["status"] == "happened"
    assert cios["cios-acs-stakeholder-event-2017-05"]["effective"] == "2017-05"
    assert cios["cios-acs-stakeholder-event-2017-10"]["effective"] == "2017-10"

    # Who scrutinises health in Devon and Torbay? The health overview and scrutiny functions of both
    # councils, to continue (sdt-lcp-2018-03-09, section 6, l.217).
    spring_2018 = names(bundled, "2018-03-09")
    for body, council in (
        ("Devon health overview and scrutiny function", "Devon County Council"),
        ("Torbay health overview and scrutiny function", "Torbay Council"),
    ):
        assert spring_2018[body]["kind"] == "committee"
        assert ("part_of", council) in {
            (r["relation"], r["object"]) for r in spring_2018[body]["relationships"]
        }

    # What came next for the South Devon and Torbay LCP? A partner workshop the CCG was arranging
    # for early April 2018 (sdt-lcp-2018-03-09, section 9, l.240): a plan.
    workshop = open_plans["sdt-lcp-partner-workshop-2018-04"]
    assert workshop["effective"] == "2018-04" and workshop["status"] == "planned"

    # What had the Devon STP developed by March 2019? A blueprint for an Integrated Care Model for
    # out-of-hospital care (plymouth-hasc-2019-03-20, Section Two, 2.2, l.149).
    blueprint = history(bundled, "Devon STP")["devon-stp-integrated-care-model-blueprint"]
    assert blueprint["effective"] == "by:2019-03-20" and blueprint["status"] == "happened"


def test_attributions_are_no_stronger_than_the_papers(bundled: Cli) -> None:
    # On what does McAlinden's interim leadership rest? On the October 2017 update she wrote as
    # Interim Lead Chief Executive (devon-stp-update-2017-10-24, header, l.5), not on the September
    # paper's plan for a joint chief executive (devon-pdeg-2017-09-15, Next Steps, section 1,
    # Phase 1, l.47), which names nobody.
    lead = as_json(bundled, "holders", "Chief Executive, Devon STP", "--on", "2017-10-24")
    (holder,) = lead["holders"]
    assert holder["person"] == "Mairead McAlinden" and holder["interim"] is True
    assert {s["source"] for s in holder["sources"]} == {"devon-stp-update-2017-10-24"}

    # Did Dame Ruth Carnell hold a substantive Independent Chair post? No: PDEG endorsed plans to
    # establish a substantive ACS Independent Chair to replace the role she occupied
    # (devon-stp-update-2017-10-24, section 1, l.62). Her holding is recorded as not substantive
    # (interim, the vocabulary's word for it); the substantive post is only the PDEG decision.
    chair = as_json(bundled, "holders", "Independent Chair, Devon STP", "--on", "2017-10-24")
    assert [(h["person"], h["interim"]) for h in chair["holders"]] == [("Dame Ruth Carnell", True)]
    pdeg = history(bundled, "Devon STP Programme Delivery Executive Group")
    assert "substantive" in pdeg["devon-pdeg-independent-chair-2017-10-20"]["summary"]

    # Did NHS England decide to re-procure the Mayflower practice? The report says only that there
    # is a need for it to (plymouth-hasc-2019-03-20, Section Two, 2.3, l.180; 3): a fact about the
    # practice's contract, no decision of NHS England's.
    england = history(bundled, "NHS England")
    assert not [c for c in england.values() if c["kind"] == "decision_recorded"]
    mayflower = facts_of(bundled, "Mayflower Practice", "2019-03-20")["contract_status"]
    assert "needs to re-procure" in mayflower["value"]

    # Who renewed the South Devon and Torbay risk share agreement? "Partners", unnamed
    # (sdt-lcp-2018-03-09, section 1.3, l.104): the ICO's agreement is recorded as a fact seen on
    # the paper's day, not as the ICO's decision.
    ico = history(bundled, "South Devon and Torbay ICO")
    assert ico["sdt-ico-risk-share-extended"]["kind"] == "fact_recorded"
    assert ico["sdt-ico-risk-share-extended"]["effective"] == "as-at:2018-03-09"
    assert not [c for c in ico.values() if c["kind"] == "decision_recorded"]

    # Were NHS Devon CCG's Accountable Officer and Director of Commissioning in force on 1 April
    # 2019? The report proposes them as core members of the Integrated Commissioning Executive,
    # from April 2019 (plymouth-hasc-2019-03-20, Section One, 4.1, l.93-97; 5): plans.
    ccg = as_json(bundled, "show", "NHS Devon CCG", "--on", "2019-04-01")["organisation"]
    titles = {p["title"] for p in ccg["posts"]}
    assert not titles & {"Accountable Officer", "Director of Commissioning"}
    open_plans = plans(bundled)
    for change in (
        "nhs-devon-ccg-accountable-officer-post",
        "nhs-devon-ccg-director-of-commissioning-post",
    ):
        assert open_plans[change]["effective"] == "2019-04"

    # Did the merger happen on 1 April 2019? The report, twelve days before, gives that day as the
    # start of the new statutory CCG (plymouth-hasc-2019-03-20, Section One, 3, l.67); no paper is
    # later. It stays recorded as happened, its reason saying so (events/README.md, Plans).
    merger = history(bundled, "NHS Devon CCG")["devon-ccgs-merge-2019-04"]
    assert merger["status"] == "happened" and merger["effective"] == "2019-04-01"
    assert "no later paper confirms it" in merger["reason"]
