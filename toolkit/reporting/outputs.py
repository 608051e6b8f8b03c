"""What the commands write besides reports: every table of a run for ``--json``, and the
rule that an output never replaces a file the run reads."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from toolkit.errors import OutputError
from toolkit.model.findings import exit_code

if TYPE_CHECKING:
    from toolkit.comparing import Comparison
    from toolkit.pipeline import CheckResult
    from toolkit.reading import ReadResult
    from toolkit.suite import Suite


def spare_inputs(
    outputs: Iterable[str | Path],
    read: ReadResult | None,
    suite: Suite | None = None,
    files: Iterable[str | Path] = (),
) -> None:
    """Refuse an output that would replace a file the run reads, an export or a suite
    file (of ``suite``, else of the read's): crosscheck never writes its inputs; and one
    file named for two outputs.

    Outputs are compared by the file they name (links followed), so ``./a.csv`` and a
    link to it are the export ``a.csv``. ``files``: exports found but not read here (a
    dask run reads them on its workers).
    """
    suite = suite if suite is not None else read.suite if read is not None else None
    inputs = {os.path.realpath(f.path) for f in (read.files if read is not None else ())}
    inputs |= {os.path.realpath(f) for f in files}
    if suite is not None:  # its YAML files, and the rules and crosswalk it names
        inputs |= {os.path.realpath(r.path) for r in suite.rule_files}
        inputs |= {os.path.realpath(suite.crosswalk)} if suite.crosswalk else set()
    seen: set[str] = set()
    for output in outputs:
        real = os.path.realpath(output)
        if real in seen:
            raise OutputError("is named for two outputs: each needs its own file", output)
        seen.add(real)
        yaml = Path(real).suffix.lower() in (".yaml", ".yml")
        if real in inputs or (
            suite is not None and yaml and os.path.isfile(real) and suite.is_suite_file(Path(real))
        ):
            raise OutputError(
                "is a file this run reads (an export or a suite file); crosscheck never "
                "writes its inputs: name another file",
                output,
            )


def everything(result: CheckResult) -> dict[str, pd.DataFrame | dict[str, int]]:
    """Every table of a run by name, as ``--json`` writes them."""
    rows = result.rows
    findings = result.findings
    summary = pd.DataFrame(
        [
            {
                "suite": result.suite.name,
                "suite_path": result.suite.path,
                "rows_read": rows["read"],
                "rows_accepted": rows["accepted"],
                "rows_rejected": rows["rejected"],
                "figures": rows["figures"],
                "findings": len(findings),
                "errors": int((findings["severity"] == "error").sum()),
                "warnings": int((findings["severity"] == "warning").sum()),
                "exit_code_on_error": exit_code(findings, "error"),
            }
        ]
    )
    files = pd.DataFrame([vars(f) for f in (result.read.files if result.read else ())])
    rules = pd.DataFrame(
        [{"name": r.name, "family": r.family, "severity": r.severity} for r in result.rules]
    )
    out: dict[str, pd.DataFrame | dict[str, int]] = {
        "summary": summary,
        "files": files,
        "rules": rules,
        "findings": findings,
    }
    c = result.comparison
    out |= {
        "comparison": c.by_source(),  # the table, and a column per source
        **explanations(c),
        "figures_compared": c.latest,
        "revisions": c.revisions,
        "scorecard": result.scorecard,
    }
    return out | over_time(c)


def explanations(c: Comparison) -> dict[str, pd.DataFrame | dict[str, int]]:
    """The comparison's conflicts by explanation (unexplained first) and its patterns
    (per source, measure and reading; ``pattern`` marks the systematic ones); none from a
    comparison without them."""
    out: dict[str, pd.DataFrame | dict[str, int]] = {}
    counted = getattr(c, "explanation_counts", None)
    if counted is not None:
        out["explanations"] = counted()
    patterns = getattr(c, "patterns", None)
    if isinstance(patterns, pd.DataFrame):
        out["patterns"] = patterns
    return out


def over_time(c: Comparison) -> dict[str, pd.DataFrame]:
    """The series tables of a comparison over time (none without): the table per date,
    a column per source, its episodes and lags."""
    if c.series is None:
        return {}
    return {
        "over_time": c.series.by_source(),
        "episodes": c.series.episodes,
        "lags": c.series.lags,
    }
