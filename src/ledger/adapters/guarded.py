"""On PostgreSQL only the ledger writes the ledger's tables: through functions owned by the owner.

A recorder holds no INSERT, UPDATE or DELETE on any of the ledger's tables. It appends through
`ledger_append`, a SECURITY DEFINER function that takes the append lock, checks that the
append-only guards are in place and that every stored event is sealed, inserts the events it is
given, seals exactly those into the chain (the hashes computed in the database, as docs/audit.md
defines them) and notes which database user appended which positions in `ledger_appends`. The read
model follows in the same transaction through `ledger_put_*`, `ledger_supersede`,
`ledger_close_periods` and `ledger_track`, which write only rows about the positions this
transaction appended (a change row must also name the change stored at its position). A stored
checkpoint is written by `ledger_checkpoint`, which holds it to the chain. Maintenance that rewrites
the read model (`ledger rebuild`) writes the tables directly, with the owner's rights.

What the functions cannot know is whether a change makes sense: the checks of the history run in
the application. A recorder who calls `ledger_append` by hand appends a change that was never
checked, under their own database name in `ledger_appends`, sealed like any other; `ledger verify`
holds the read model to it. See docs/roles.md.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.engine import Connection

from ledger.adapters.store import APPEND_LOCK, PG_GUARD_BODY
from ledger.adapters.tables import (
    APPENDED,
    PERIODS_TRACKING,
    changes,
    entities,
    facts,
    names,
    parties,
    periods,
    through_functions,
)

VERSION = "ledger functions 2"  # the comment on ledger_append: made again when it differs
APPENDS_TABLE = "ledger_appends"  # who appended which positions: written by ledger_append alone
FOREIGN_EVENT = "LG001"  # SQLSTATEs the functions raise
GUARD_FAULT = "LG002"

# The read-model tables written row by row, and the columns that hold a log position each row is
# known from (each must be one this transaction appended) or closed at (likewise, or null).
_PUT: dict[str, tuple[Table, tuple[str, ...], tuple[str, ...]]] = {
    "changes": (changes, ("position",), ("superseded_at",)),
    "facts": (facts, ("known_from",), ("known_to",)),
    "parties": (parties, ("position",), ()),
    "entities": (entities, ("first_position",), ()),
    "names": (names, (), ()),
    "periods": (periods, ("known_from",), ("known_to",)),
}
_IDENTITY = ("subject", "aspect", "other", "value", "extra", "change_id", "effective", "eff_start",
             "position", "planned", "first_eff", "first_position", "valid_from", "valid_to",
             "last_seen", "views")  # fmt: skip


def appended(conn: Connection) -> bool:
    """Whether this PostgreSQL transaction appended events, so its writes go through the functions
    (`tables.bulk_insert` and `set_tracking` send theirs to `ledger_put_*` and `ledger_track`)."""
    return through_functions(conn)


def _json(rows: Sequence[dict[str, Any]]) -> str:
    return json.dumps(rows, default=str, separators=(",", ":"))


def append(conn: Connection, events: Sequence[Any]) -> list[int]:
    """Append and seal stored events through `ledger_append`; their positions, in order."""
    found = conn.execute(
        text(
            "SELECT ledger_append(CAST(:ids AS uuid[]), CAST(:versions AS bigint[]), "
            "CAST(:topics AS text[]), CAST(:states AS bytea[]))"
        ),
        {
            "ids": [e.originator_id for e in events],
            "versions": [e.originator_version for e in events],
            "topics": [e.topic for e in events],
            "states": [e.state for e in events],
        },
    )
    positions = [int(row[0]) for row in found]
    conn.execution_options(**{APPENDED: True})
    return positions


def supersede(conn: Connection, pairs: list[dict[str, Any]]) -> None:
    """Close the rows of earlier changes ({target, at}) that this transaction superseded."""
    rows = [{"target": pair["target"], "closed_at": pair["at"]} for pair in pairs]
    conn.execute(text("SELECT ledger_supersede(CAST(:rows AS jsonb))"), {"rows": _json(rows)})


def close_periods(conn: Connection, closes: list[dict[str, Any]]) -> None:
    """Close open periods (each given by its identity, `_column`, and `at`)."""
    rows = [
        {("closed_at" if key == "at" else key.lstrip("_")): value for key, value in close.items()}
        for close in closes
    ]
    conn.execute(text("SELECT ledger_close_periods(CAST(:rows AS jsonb))"), {"rows": _json(rows)})


def store_checkpoint(conn: Connection, size: int, position: int, root: str, text_: str) -> None:
    conn.execute(
        text("SELECT ledger_checkpoint(:size, :position, :root, :text)"),
        {"size": size, "position": position, "root": root, "text": text_},
    )


# --- the functions ---------------------------------------------------------------------------------


def _type(table: Table, column: str, conn: Connection) -> str:
    return str(table.c[column].type.compile(dialect=conn.dialect))


def _in_range(column: str, nullable: bool) -> str:
    inside = f"r.{column} BETWEEN v_lo AND v_hi"
    return f"(r.{column} IS NULL OR {inside})" if nullable else inside


def _put_function(short: str, conn: Connection) -> str:
    table, known, closed = _PUT[short]
    columns = [c.name for c in table.columns if c.autoincrement is not True]
    listed = ", ".join(columns)
    picked = ", ".join(f"r.{c}" for c in columns)
    checks = [_in_range(c, False) for c in known] + [_in_range(c, True) for c in closed]
    if short == "changes":  # a change row names the change stored at its position
        checks.append(
            "r.change_id = (SELECT replace(convert_from(e.state, 'UTF8')::jsonb->>'change_id', "
            "'-', '') FROM ledger_events e WHERE e.id = r.position)"
        )
    wrong = " OR ".join(f"NOT coalesce({c}, false)" for c in checks) or "false"
    return f"""
CREATE OR REPLACE FUNCTION ledger_put_{short}(p_rows jsonb) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {{schema}}, pg_temp AS $fn$
DECLARE v_lo bigint; v_hi bigint; v_bad bigint;
BEGIN
  SELECT min(first_position), max(last_position) INTO v_lo, v_hi
    FROM ledger_appends WHERE txid = txid_current();
  IF v_lo IS NULL THEN
    RAISE EXCEPTION '{table.name} is written only with the events it follows'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT count(*) INTO v_bad FROM jsonb_populate_recordset(NULL::{table.name}, p_rows) r
    WHERE {wrong};
  IF v_bad > 0 THEN
    RAISE EXCEPTION '{table.name}: % rows are not about the events this transaction appended', v_bad
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  INSERT INTO {table.name} ({listed})
    SELECT {picked} FROM jsonb_populate_recordset(NULL::{table.name}, p_rows) r;
END $fn$"""


def _close_function(conn: Connection) -> str:
    typed = ", ".join(f"{c} {_type(periods, c, conn)}" for c in _IDENTITY)
    same = " AND ".join(
        f"p.{c} IS NOT DISTINCT FROM r.{c}" if periods.c[c].nullable else f"p.{c} = r.{c}"
        for c in _IDENTITY
    )
    return f"""
CREATE OR REPLACE FUNCTION ledger_close_periods(p_rows jsonb) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {{schema}}, pg_temp AS $fn$
DECLARE v_lo bigint; v_hi bigint; r record;
BEGIN
  SELECT min(first_position), max(last_position) INTO v_lo, v_hi
    FROM ledger_appends WHERE txid = txid_current();
  FOR r IN SELECT * FROM jsonb_to_recordset(p_rows) AS x({typed}, closed_at bigint) LOOP
    IF v_lo IS NULL OR r.closed_at IS NULL OR r.closed_at NOT BETWEEN v_lo AND v_hi THEN
      RAISE EXCEPTION 'ledger_periods: a period is closed only at a position this transaction appended'
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    UPDATE ledger_periods p SET known_to = r.closed_at WHERE p.known_to IS NULL AND {same};
  END LOOP;
END $fn$"""


_FIXED = """
CREATE TABLE IF NOT EXISTS ledger_appends (
  id bigserial PRIMARY KEY,
  txid bigint NOT NULL,
  appended_by text NOT NULL,
  first_position bigint NOT NULL,
  last_position bigint NOT NULL,
  events integer NOT NULL,
  appended_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ledger_appends_txid ON ledger_appends (txid);

CREATE OR REPLACE FUNCTION ledger_guard_fault() RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $fn$
DECLARE v_table text; v_name text; v_enabled boolean;
BEGIN
  IF (SELECT array_to_string(regexp_split_to_array(btrim(prosrc, E' \\n'), E'\\\\s+'), ' ')
        FROM pg_proc WHERE oid = to_regprocedure('{schema}.ledger_append_only()'))
     IS DISTINCT FROM {guard_body} THEN
    RETURN 'the append-only guard function ledger_append_only() is missing or altered';
  END IF;
  FOREACH v_table IN ARRAY ARRAY['ledger_events', 'ledger_chain', 'ledger_checkpoints'] LOOP
    FOREACH v_name IN ARRAY ARRAY['ledger_append_only_rows', 'ledger_append_only_truncate'] LOOP
      SELECT t.tgenabled <> 'D' INTO v_enabled FROM pg_trigger t
        WHERE t.tgrelid = to_regclass('{schema}.' || v_table) AND t.tgname = v_name
          AND t.tgfoid = to_regprocedure('{schema}.ledger_append_only()');
      IF v_enabled IS NULL THEN
        RETURN format('the append-only guard %s on %s is missing', v_name, v_table);
      ELSIF NOT v_enabled THEN
        RETURN format('the append-only guard %s on %s is disabled', v_name, v_table);
      END IF;
    END LOOP;
  END LOOP;
  RETURN NULL;
END $fn$;

CREATE OR REPLACE FUNCTION ledger_append(p_ids uuid[], p_versions bigint[], p_topics text[],
                                         p_states bytea[]) RETURNS SETOF bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $fn$
DECLARE
  v_seq bigint; v_previous text; v_after bigint; v_foreign bigint; v_fault text;
  v_position bigint; v_first bigint; v_payload text; v_content text; i integer;
BEGIN
  PERFORM pg_advisory_xact_lock({lock});
  v_fault := ledger_guard_fault();
  IF v_fault IS NOT NULL THEN
    RAISE EXCEPTION '%', v_fault USING ERRCODE = '{guard_fault}';
  END IF;
  SELECT seq, hash, position INTO v_seq, v_previous, v_after
    FROM ledger_chain ORDER BY seq DESC LIMIT 1;
  IF NOT FOUND THEN
    v_seq := 0; v_previous := repeat('0', 64); v_after := 0;
  END IF;
  SELECT min(id) INTO v_foreign FROM ledger_events WHERE id > v_after;
  IF v_foreign IS NOT NULL THEN
    RAISE EXCEPTION 'position % holds an event the ledger did not seal', v_foreign
      USING ERRCODE = '{foreign_event}', DETAIL = v_foreign::text;
  END IF;
  FOR i IN 1 .. coalesce(array_length(p_ids, 1), 0) LOOP
    INSERT INTO ledger_events (originator_id, originator_version, topic, state)
      VALUES (p_ids[i], p_versions[i], p_topics[i], p_states[i]) RETURNING id INTO v_position;
    v_payload := encode(sha256(p_states[i]), 'hex');
    v_content := encode(sha256(convert_to(concat_ws(E'\\n', 'ledger-content/1',
      replace(p_ids[i]::text, '-', ''), p_versions[i]::text, p_topics[i], v_payload), 'UTF8')), 'hex');
    v_previous := encode(sha256(convert_to(concat_ws(E'\\n', 'ledger-chain/1', v_position::text,
      v_previous, v_content), 'UTF8')), 'hex');
    v_seq := v_seq + 1;
    INSERT INTO ledger_chain (seq, position, payload_hash, content_hash, hash)
      VALUES (v_seq, v_position, v_payload, v_content, v_previous);
    v_first := coalesce(v_first, v_position);
    RETURN NEXT v_position;
  END LOOP;
  IF v_first IS NOT NULL THEN
    INSERT INTO ledger_appends (txid, appended_by, first_position, last_position, events)
      VALUES (txid_current(), session_user, v_first, v_position, array_length(p_ids, 1));
    PERFORM pg_notify('ledger_events', '');
  END IF;
END $fn$;

CREATE OR REPLACE FUNCTION ledger_supersede(p_rows jsonb) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $fn$
DECLARE v_lo bigint; v_hi bigint; r record;
BEGIN
  SELECT min(first_position), max(last_position) INTO v_lo, v_hi
    FROM ledger_appends WHERE txid = txid_current();
  FOR r IN SELECT * FROM jsonb_to_recordset(p_rows) AS x(target text, closed_at bigint) LOOP
    IF v_lo IS NULL OR r.closed_at IS NULL OR r.closed_at NOT BETWEEN v_lo AND v_hi THEN
      RAISE EXCEPTION 'a change is superseded only at a position this transaction appended'
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    UPDATE ledger_changes SET superseded_at = r.closed_at
      WHERE change_id = r.target AND superseded_at IS NULL;
    UPDATE ledger_facts SET known_to = r.closed_at WHERE change_id = r.target AND known_to IS NULL;
  END LOOP;
END $fn$;

CREATE OR REPLACE FUNCTION ledger_track(p_name text, p_at bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $fn$
DECLARE v_lo bigint; v_hi bigint;
BEGIN
  SELECT min(first_position), max(last_position) INTO v_lo, v_hi
    FROM ledger_appends WHERE txid = txid_current();
  IF p_name NOT IN ('readmodel', '{periods_tracking}') OR v_lo IS NULL OR p_at NOT BETWEEN v_lo AND v_hi THEN
    RAISE EXCEPTION 'ledger_tracking moves only to a position this transaction appended'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  UPDATE ledger_tracking SET position = p_at WHERE name = p_name;
  IF NOT FOUND THEN
    INSERT INTO ledger_tracking (name, position) VALUES (p_name, p_at);
  END IF;
END $fn$;

CREATE OR REPLACE FUNCTION ledger_checkpoint(p_size bigint, p_position bigint, p_root text,
                                             p_text text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $fn$
DECLARE v_entry record; v_lines text[];
BEGIN
  PERFORM pg_advisory_xact_lock({lock});
  SELECT * INTO v_entry FROM ledger_chain WHERE seq = p_size;
  v_lines := string_to_array(p_text, E'\\n');
  IF v_entry IS NULL OR v_entry.position <> p_position
     OR NOT v_entry.seq = (SELECT max(seq) FROM ledger_chain)
     OR v_lines[1] <> 'ledger checkpoint v1'
     OR v_lines[2] <> 'size: ' || p_size OR v_lines[3] <> 'position: ' || p_position
     OR v_lines[4] <> 'chain: ' || v_entry.hash OR v_lines[5] <> 'root: ' || p_root THEN
    RAISE EXCEPTION 'a checkpoint is stored only of the chain as it stands'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  INSERT INTO ledger_checkpoints (size, position, root, text)
    VALUES (p_size, p_position, p_root, p_text);
END $fn$;
"""

# Every function a recorder may execute (nobody else may: PUBLIC's default right is revoked).
SIGNATURES = (
    "ledger_append(uuid[], bigint[], text[], bytea[])",
    *(f"ledger_put_{short}(jsonb)" for short in _PUT),
    "ledger_supersede(jsonb)",
    "ledger_close_periods(jsonb)",
    "ledger_track(text, bigint)",
    "ledger_checkpoint(bigint, bigint, text, text)",
)
_INTERNAL = ("ledger_guard_fault()",)


def current(conn: Connection) -> bool:
    """Whether this schema's functions are those of this version."""
    found = conn.execute(
        text(
            "SELECT obj_description(to_regprocedure(current_schema() || "
            "'.ledger_append(uuid[], bigint[], text[], bytea[])'), 'pg_proc')"
        )
    ).scalar()
    return bool(found == VERSION)


def install(conn: Connection) -> None:
    """Make (or make again) the functions in the current schema, as its owner."""
    schema = conn.execute(text("SELECT current_schema()")).scalar()
    quoted = conn.dialect.identifier_preparer.quote(str(schema))
    body = " ".join(PG_GUARD_BODY.split()).replace("'", "''")
    sql = _FIXED.format(
        schema=quoted,
        lock=APPEND_LOCK,
        guard_fault=GUARD_FAULT,
        foreign_event=FOREIGN_EVENT,
        guard_body=f"'{body}'",
        periods_tracking=PERIODS_TRACKING,
    )
    sql += ";\n".join(_put_function(short, conn) for short in _PUT).replace("{schema}", quoted)
    sql += ";\n" + _close_function(conn).replace("{schema}", quoted) + ";\n"
    for signature in (*SIGNATURES, *_INTERNAL):
        sql += f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC;\n"
    sql += f"COMMENT ON FUNCTION {SIGNATURES[0]} IS '{VERSION}';\n"
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor:
        cursor.execute(sql)
