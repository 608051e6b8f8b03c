"""The history database's tables (SQLAlchemy Core) and the migrations between versions.

Version 1 recorded runs, their input files and their findings; version 2 adds what silent
edits and the comparison need: each export's figures, stored once per distinct content
(``snapshots``), and the comparison table of each run; version 3 each conflict's
explanation (and a finding's evidence). A finding's texts are stored once
(``findings``, unique on a hash of its content); a run lists the findings it had
(``run_findings``) with the line each was at that run, and whether it was new.

A database records its version in ``meta``. Opening one of an older version upgrades it,
one migration at a time, each in its own transaction (nothing recorded is dropped); one of
a newer version is refused: an older crosscheck cannot know what it would lose.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

VERSION = 3

metadata = sa.MetaData()

meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("version", sa.String(40), nullable=False),
    sa.Column("suite_name", sa.Text, nullable=False),
    sa.Column("suite_folder", sa.Text, nullable=False),
    sa.Column("suite_hash", sa.String(64), nullable=False),
    sa.Column("command", sa.Text, nullable=False),
    sa.Column("exit_status", sa.Integer, nullable=False),
    sa.Column("files", sa.Integer, nullable=False),
    sa.Column("figures", sa.Integer, nullable=False),
    sa.Column("findings", sa.Integer, nullable=False),
    sa.Column("errors", sa.Integer, nullable=False),
    sa.Column("warnings", sa.Integer, nullable=False),
    sa.Column("infos", sa.Integer, nullable=False),
    sa.Column("new_findings", sa.Integer, nullable=True),
    sa.Index("runs_by_suite", "suite_name", "suite_folder", "id"),
)

run_files = sa.Table(
    "run_files",
    metadata,
    sa.Column("run_id", sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("rows_read", sa.Integer, nullable=False),
    sa.Column("rows_accepted", sa.Integer, nullable=False),
    sa.Column("rows_rejected", sa.Integer, nullable=False),
    sa.Index("run_files_by_run", "run_id"),
)

findings = sa.Table(
    "findings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("content", sa.BigInteger, nullable=False, unique=True),
    sa.Column("fingerprint", sa.BigInteger, nullable=False),
    *(  # spelled out, not taken from the findings' columns: a version's tables stay as they are
        sa.Column(name, sa.Text, nullable=True)
        for name in (
            "kind",
            "code",
            "rule",
            "severity",
            "incident",
            "source",
            "measure",
            "reported_on",
            "origin_file",
            "column_name",
            "observed",
            "expected",
            "message",
            "explanation",  # version 3
            "evidence",  # version 3
        )
    ),
)

run_findings = sa.Table(
    "run_findings",
    metadata,
    sa.Column("run_id", sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("finding_id", sa.ForeignKey("findings.id"), nullable=False),
    sa.Column("origin_row", sa.Integer, nullable=True),
    sa.Column("new", sa.Boolean, nullable=True),
    sa.Index("run_findings_by_run", "run_id"),
)

# version 2
# an export's figures as one suite's profiles read it: the same file read by another suite,
# or after its profile changed, gives other figures
snapshots = sa.Table(
    "snapshots",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("suite_hash", sa.String(64), nullable=False),
    sa.Column("figures", sa.Integer, nullable=False),
    sa.UniqueConstraint("sha256", "suite_hash", name="snapshots_once"),
)

# a figure refers to its snapshot by number: a 64-character checksum on each of millions of
# figure rows (and in their index) would be most of the file
snapshot_figures = sa.Table(
    "snapshot_figures",
    metadata,
    sa.Column("snapshot_id", sa.ForeignKey("snapshots.id"), nullable=False),
    sa.Column("source", sa.Text, nullable=True),
    sa.Column("incident", sa.Text, nullable=True),
    sa.Column("measure", sa.Text, nullable=True),
    sa.Column("reported_on", sa.Text, nullable=True),
    sa.Column("value", sa.Float, nullable=True),
    sa.Column("low", sa.Float, nullable=True),
    sa.Column("high", sa.Float, nullable=True),
    sa.Column("qualifier", sa.Text, nullable=True),
    sa.Column("figure_text", sa.Text, nullable=True),
    sa.Column("origin_row", sa.Integer, nullable=True),
    sa.Index("snapshot_figures_by_snapshot", "snapshot_id"),
)

comparisons = sa.Table(
    "comparisons",
    metadata,
    sa.Column("run_id", sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("incident", sa.Text, nullable=True),
    sa.Column("measure", sa.Text, nullable=True),
    sa.Column("reported_on", sa.Text, nullable=True),
    sa.Column("sources", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("consensus_low", sa.Float, nullable=True),
    sa.Column("consensus_high", sa.Float, nullable=True),
    sa.Column("min", sa.Float, nullable=True),
    sa.Column("max", sa.Float, nullable=True),
    sa.Column("outliers", sa.Text, nullable=True),
    sa.Column("explanation", sa.String(16), nullable=True),  # version 3
    sa.Index("comparisons_by_run", "run_id"),
)

_V1 = (meta, runs, run_files, findings, run_findings)
_V2 = (snapshots, snapshot_figures, comparisons)


def _to_1(conn: sa.Connection) -> None:
    metadata.create_all(conn, tables=list(_V1))


def _to_2(conn: sa.Connection) -> None:
    metadata.create_all(conn, tables=list(_V2))


def _to_3(conn: sa.Connection) -> None:
    """Each conflict's explanation: on findings (with its evidence) and comparisons. A
    database created at this version has the columns already."""
    for table, names in ((findings, ("explanation", "evidence")), (comparisons, ("explanation",))):
        present = {c["name"] for c in sa.inspect(conn).get_columns(table.name)}
        for name in names:
            if name not in present:
                column = table.c[name]
                kind = column.type.compile(dialect=conn.dialect)
                conn.execute(sa.text(f'ALTER TABLE {table.name} ADD COLUMN "{name}" {kind}'))


# MIGRATIONS[v] brings a database of version v - 1 (0: empty) to version v.
MIGRATIONS: dict[int, Callable[[sa.Connection], None]] = {1: _to_1, 2: _to_2, 3: _to_3}
