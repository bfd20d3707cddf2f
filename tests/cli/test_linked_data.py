"""The ledger's knowledge as linked data: `export --format jsonld` read by rdflib and asked in
SPARQL, and `export --format popolo` held to the Popolo JSON schemas (vendored, no network)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import rdflib
from click.testing import CliRunner
from jsonschema import Draft3Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT3

from tests.conftest import Cli, ledger_command, one_line_error

SCHEMAS = Path(__file__).resolve().parents[1] / "fixtures" / "popolo-schemas"
PREFIXES = """
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX opengov: <http://www.w3.org/ns/opengov#>
PREFIX time: <http://www.w3.org/2006/time#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX ledger: <https://ledger.invalid/vocab#>
"""
# (a) the organisations that resulted from the change event of a day, and those it began from
RESULTED = """
SELECT ?resulting ?original WHERE {
  ?event a org:ChangeEvent ; time:hasTime/time:inXSDDate ?day ;
         org:resultingOrganization/skos:prefLabel ?resulting ;
         org:originalOrganization/skos:prefLabel ?original .
}"""
# (b) who held which post on a day: the holding's period contains the day (its start included,
# its end not), each end compared by the day the ledger reckons with
HELD = """
SELECT ?post ?person ?interim WHERE {
  ?holding a org:Membership ; opengov:post ?post ; org:member/foaf:name ?person ;
           ledger:interim ?interim ; org:memberDuring ?during .
  ?during time:hasBeginning/ledger:day ?from .
  OPTIONAL { ?during time:hasEnd/ledger:day ?to }
  FILTER (?from <= ?day && (!BOUND(?to) || ?to > ?day))
}"""


def run(db: Path | str, *args: str) -> str:
    result = CliRunner().invoke(ledger_command(), ["--db", str(db), *args])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def graph(text: str) -> rdflib.Graph:
    found = rdflib.Graph()
    found.parse(data=text, format="json-ld")
    return found


def ask(g: rdflib.Graph, query: str, **bindings: Any) -> list[tuple[str, ...]]:
    values = {k: rdflib.Literal(v, datatype=rdflib.XSD.date) for k, v in bindings.items()}
    return [tuple(str(x) for x in row) for row in g.query(PREFIXES + query, initBindings=values)]


@pytest.fixture(scope="module")
def bundled_graph(bundled_file: Path) -> rdflib.Graph:
    return graph(run(bundled_file, "export", "--format", "jsonld"))


def test_the_merger_of_2019_04_01_resulted_in_nhs_devon_ccg(bundled_graph: rdflib.Graph) -> None:
    # Ask the export which organisations the change event of 1 April 2019 resulted in
    found = ask(bundled_graph, RESULTED, day="2019-04-01")
    assert {r for r, _ in found} == {"NHS Devon CCG"}
    assert {o for _, o in found} == {"NEW Devon CCG", "South Devon and Torbay CCG"}


def test_who_held_which_post_answers_as_the_structure_does(
    bundled_file: Path, bundled_graph: rdflib.Graph
) -> None:
    # The holders SPARQL finds on 24 October 2017 are those `structure` lists on that day
    found = ask(bundled_graph, HELD, day="2017-10-24")
    structure = json.loads(run(bundled_file, "structure", "--on", "2017-10-24", "-f", "json"))
    expected = {
        (post["id"], holder["person"], str(holder["interim"]).lower())
        for body in structure["organisations"]
        for post in body["posts"]
        for holder in post["holders"]
    }
    assert {(p.rsplit("/", 1)[-1], person, interim) for p, person, interim in found} == expected
    # Mairead McAlinden was the STP's interim chief executive
    chief = run(bundled_file, "holders", "Chief Executive, Devon STP", "--on", "2017-10-24")
    assert "Mairead McAlinden" in chief
    assert ("Mairead McAlinden", "true") in {(person, i) for _, person, i in found}


def test_an_export_known_at_an_earlier_position_knows_no_later_change(bundled_file: Path) -> None:
    # Before the merger was recorded, the ledger knew no change event on 1 April 2019
    log = json.loads(run(bundled_file, "log", "--format", "json"))["changes"]
    merger = next(e["position"] for e in log if e["change"] == "devon-ccgs-merge-2019-04")
    before = graph(run(bundled_file, "export", "-f", "jsonld", "--known-at", str(merger - 1)))
    assert ask(before, RESULTED, day="2019-04-01") == []
    then = graph(run(bundled_file, "export", "-f", "jsonld", "--known-at", str(merger)))
    assert {r for r, _ in ask(then, RESULTED, day="2019-04-01")} == {"NHS Devon CCG"}


def popolo_validators() -> dict[str, Draft3Validator]:
    """A validator for each Popolo schema, their $refs resolved to the vendored files."""
    schemas = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in SCHEMAS.glob("*.json")}
    registry: Registry[Any] = Registry().with_resources(
        (schema["id"].rstrip("#"), Resource.from_contents(schema, default_specification=DRAFT3))
        for schema in schemas.values()
    )
    return {name: Draft3Validator(schema, registry=registry) for name, schema in schemas.items()}


def popolo_errors(document: dict[str, Any]) -> list[str]:
    validators = popolo_validators()
    errors = []
    for key, schema in (
        ("organizations", "organization"),
        ("persons", "person"),
        ("posts", "post"),
        ("memberships", "membership"),
    ):
        for item in document[key]:
            errors += [
                f"{key} {item.get('id')}: {e.message}" for e in validators[schema].iter_errors(item)
            ]
    return errors


def test_the_popolo_export_validates_against_the_popolo_schemas(
    bundled_file: Path, bundled_graph: rdflib.Graph
) -> None:
    document = json.loads(run(bundled_file, "export", "--format", "popolo"))
    assert popolo_errors(document) == []
    # Every membership names organisations, posts and persons the export holds
    ids = {key: {item["id"] for item in document[key]} for key in document}
    for m in document["memberships"]:
        assert m["organization_id"] in ids["organizations"]
        assert m.get("person_id", next(iter(ids["persons"]))) in ids["persons"]
        assert m.get("post_id", next(iter(ids["posts"]))) in ids["posts"]
    held = [m for m in document["memberships"] if "person_id" in m]
    # and holds what the JSON-LD export holds: each holding and each body (plans left out)
    holdings = ask(bundled_graph, "SELECT ?h { ?h opengov:post ?p }")
    bodies = ask(bundled_graph, "SELECT ?b { ?b a org:Organization }")
    assert (len(held), len(document["organizations"])) == (len(holdings), len(bodies)) == (25, 39)
    # The validator does refuse what Popolo does not allow
    assert popolo_errors({**document, "posts": [{"id": "p", "start_date": "by:2016"}]})


def test_approximate_and_bounded_dates_keep_their_precision_and_evidence(cli: Cli) -> None:
    # A body founded in April 2015, a member of a partnership by December 2016, and an interim
    # holder seen in post on 24 October 2017
    cite = ["--source", "paper-2017:p1", "--reason", "test"]
    cli.ok("source", "add", "paper-2017", "--published", "2017-10-24", "--title", "A paper",
           "--issued-by", "A board")  # fmt: skip
    cli.ok("record", "established", "Alpha CCG", "--kind", "ccg", "--effective", "2015-04", *cite)
    cli.ok("record", "established", "Beta", "--kind", "partnership", "--effective", "2016", *cite)
    cli.ok("record", "joined", "Alpha CCG", "Beta", "--role", "partner",
           "--effective", "by:2016-12", *cite)  # fmt: skip
    cli.ok("record", "post-created", "Chief Executive", "--organisation", "Beta",
           "--effective", "2016", *cite)  # fmt: skip
    cli.ok("record", "appointed", "A. Person", "--post", "Chief Executive", "--organisation",
           "Beta", "--interim", "--effective", "as-at:2017-10-24", *cite)  # fmt: skip
    g = graph(cli.ok("export", "--format", "jsonld"))

    # The founding is an instant in April 2015, reckoned from its first day
    founded = ask(g, """
        SELECT ?month ?precision ?day WHERE {
          ?body skos:prefLabel "Alpha CCG" ; org:resultedFrom/time:hasTime ?t .
          ?t time:inXSDgYearMonth ?month ; ledger:precision ?precision ; ledger:day ?day .
        }""")  # fmt: skip
    assert founded == [("2015-04", "month", "2015-04-01")]
    # The membership began inside an interval whose beginning is unknown, ending December 2016
    joined = ask(g, """
        SELECT ?evidence ?bound (BOUND(?open) AS ?known) WHERE {
          ?m org:member/skos:prefLabel "Alpha CCG" ; org:memberDuring/time:hasBeginning ?b .
          ?b ledger:evidence ?evidence ; time:inside ?window .
          ?window time:hasEnd/time:inXSDgYearMonth ?bound .
          OPTIONAL { ?window time:hasBeginning ?open }
          FILTER NOT EXISTS { ?b time:inXSDDate ?any }
        }""")  # fmt: skip
    assert joined == [("by", "2016-12", "false")]
    # The interim holder seen on 24 October 2017 holds the post that day, its start unknown
    assert ask(g, HELD, day="2017-10-24") == [(ask(g, "SELECT ?p { ?p a org:Post }")[0][0],
                                               "A. Person", "true")]  # fmt: skip
    seen = ask(g, """
        SELECT ?evidence WHERE { ?h opengov:post ?p ; org:memberDuring/time:hasBeginning ?b .
                                  ?b ledger:evidence ?evidence }""")  # fmt: skip
    assert seen == [("as-at",)]

    # In Popolo, the exact dates are kept at their precision, the bounded ones left unknown
    popolo = json.loads(cli.ok("export", "--format", "popolo"))
    assert popolo_errors(popolo) == []
    alpha = next(o for o in popolo["organizations"] if o["name"] == "Alpha CCG")
    assert alpha["founding_date"] == "2015-04"
    member, holding = popolo["memberships"]
    assert "start_date" not in member and member["ledger_start"] == "by:2016-12"
    assert "start_date" not in holding and holding["ledger_start"] == "as-at:2017-10-24"
    assert holding["label"] == "interim Chief Executive"


def test_known_at_and_base_are_refused_for_the_auditors_export(bundled_file: Path) -> None:
    runner = CliRunner()
    for args in (["--known-at", "3"], ["-f", "jsonld", "--base", "not-an-address"]):
        result = runner.invoke(ledger_command(), ["--db", str(bundled_file), "export", *args])
        assert result.exit_code == 2
        assert one_line_error(result).startswith("ledger: error: --")
