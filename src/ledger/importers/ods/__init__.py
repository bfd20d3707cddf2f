"""Imports the NHS ODS register: organisation files (27 columns) and the successor file (5 columns).

By stage: `read` parses the files into rows and problems; `plan` turns the rows into the changes
the ledger does not hold yet, against what it already holds, so a re-import appends nothing and a
newer release appends only what changed; `report` is what the import tells the user; `importing`
runs the whole and records the plan with one `LedgerApp.record_many` call: the import is
all-or-nothing. `names` puts the register's upper-case names in a readable case. docs/ods.md
explains the semantics.
"""

from ledger.importers.ods.importing import import_ods
from ledger.importers.ods.names import readable
from ledger.importers.ods.report import ranges

__all__ = ["import_ods", "ranges", "readable"]
