"""The README's backup and restore recipe, run as written: identical answers and identical log."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import Cli
from tests.support.stores import ENGINE, PG_ADMIN_URL

pytestmark = pytest.mark.postgres(reason="the README's pg_dump and pg_restore recipe")

ROOT = Path(__file__).resolve().parents[2]


def recipe() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- recipe:backup-restore -->", 1)[1]
    found = re.search(r"```sh\n(.*?)```", block, re.S)
    assert found is not None
    return found.group(1)


@pytest.mark.skipif(ENGINE == "sqlite", reason="pg_dump recipe: runs in the PostgreSQL pass")
def test_backup_and_restore_recipe(cli: Cli, tmp_path: Path) -> None:
    cli.ok("import", str(ROOT / "events"))
    restored_db = f"ledger_restored_{uuid.uuid4().hex[:10]}"
    plain = cli.url.replace("postgresql+psycopg://", "postgresql://")
    restored_url = plain.rsplit("/", 1)[0] + "/" + restored_db
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "LEDGER_DATABASE_URL": plain,
        "BACKUP": str(tmp_path / "ledger.dump"),
        "RESTORED_DB": restored_db,
        "RESTORED_URL": restored_url,
        "RESTORED_LOG": str(tmp_path / "restored-log.json"),
    }
    try:
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", recipe()],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        restored = Cli(restored_url, tmp_path)
        # The same log, change for change.
        assert json.loads((tmp_path / "restored-log.json").read_text()) == json.loads(
            cli.ok("log", "--format", "json")
        )
        # The same structure on ten dates.
        for k in range(10):
            on = (date(2014, 1, 1) + timedelta(days=200 * k)).isoformat()
            assert restored.ok("structure", "--on", on, "--format", "json") == cli.ok(
                "structure", "--on", on, "--format", "json"
            )
        # And the restored events are still append-only.
        engine = sa.create_engine(restored_url.replace("postgresql://", "postgresql+psycopg://"))
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM ledger_events"))
        engine.dispose()
    finally:
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{restored_db}" WITH (FORCE)'))
        admin.dispose()
