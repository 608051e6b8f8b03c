"""The public API, the pandas accessor, and how results show themselves."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from conftest import AQ, ROOT

import toolkit as cc
from toolkit.errors import NotAFiguresTable

PUBLIC = {
    "read",
    "read_figures",
    "check",
    "compare",
    "match",
    "report",
    "load_suite",
    "ReadResult",
    "CheckResult",
    "Comparison",
    "Matching",
    "Suite",
    "CrosscheckError",
    "InputError",
    "SuiteError",
}


def test_the_exported_names_are_exactly_the_intended_ones():
    assert set(cc.__all__) == PUBLIC
    assert set(dir(cc)) == PUBLIC
    for name in PUBLIC:
        obj = getattr(cc, name)
        assert obj.__doc__, name
    for name in ("read", "check", "compare", "match", "report", "load_suite"):
        assert "Examples" in getattr(cc, name).__doc__, name
    assert issubclass(cc.InputError, cc.CrosscheckError)
    with pytest.raises(AttributeError):
        cc.Views  # noqa: B018  (implementation modules are not the API)


def _imported_after(code: str) -> list[str]:
    out = subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            "-c",
            code + "\nimport json, sys\nheavy = ('pandas', 'great_expectations', 'matplotlib', "
            "'pandera')\nprint(json.dumps(sorted(m for m in heavy if m in sys.modules)))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_toolkit_imports_nothing_heavy_and_the_accessor_comes_with_pandas():
    assert _imported_after("import toolkit") == []
    # pandas imported first: `import toolkit` registers df.crosscheck at once
    assert _imported_after(
        "import pandas, toolkit\nassert hasattr(pandas.DataFrame, 'crosscheck')"
    ) == ["pandas"]
    # toolkit first: df.crosscheck arrives with the first cc. name that loads pandas
    assert "pandas" in _imported_after(
        "import toolkit as cc, pandas\nassert not hasattr(pandas.DataFrame, 'crosscheck')\n"
        "cc.read\nassert hasattr(pandas.DataFrame, 'crosscheck')"
    )
    # no hook left in the import system
    assert (
        _imported_after(
            "import sys, toolkit\nassert not any('toolkit' in repr(f) for f in sys.meta_path)"
        )
        == []
    )


def test_the_accessor_checks_compares_plots_and_gives_intervals():
    figures = cc.read(AQ)
    result = figures.crosscheck.check()
    assert isinstance(result, cc.CheckResult)
    assert result.ok
    comparison = figures.crosscheck.compare(as_of="2017-10-23")
    assert isinstance(comparison, cc.Comparison)
    assert "Associated Press" in set(comparison.latest["source"])
    fig = figures.crosscheck.plot("al-qaryatayn-2017")
    assert fig.axes
    iv = figures.crosscheck.intervals()
    sohr = figures.index[
        (figures["source"].str.startswith("Syrian")) & (figures["measure"] == "killed")
    ]
    assert iv.loc[sohr[0]].tolist() == [128.0, float("inf")]
    about = figures.index[figures["figure_text"] == "about 200"]
    assert iv.loc[about[0]].tolist() == pytest.approx([180.0, 220.0])


def test_the_accessor_on_another_frame_names_the_missing_columns():
    with pytest.raises(NotAFiguresTable) as info:
        _ = pd.DataFrame(
            {
                "incident": [1],
                "source": ["a"],
                "Measure": ["killed"],
                "value": [1],
                "low": [1],
                "hi": [1],
            }
        ).crosscheck
    message = str(info.value)
    assert "missing columns 'measure' (did you mean 'Measure'?)" in message
    assert "'high' (did you mean 'hi'?)" in message
    assert "'qualifier'" in message
    assert isinstance(info.value, cc.CrosscheckError)


def test_reprs_lead_with_the_summary_and_escape_everything():
    hostile = cc.read(ROOT / "fixtures" / "hostile")
    result = cc.check(hostile)
    page = result._repr_html_()
    assert "<script>alert(" not in page
    assert "&lt;script&gt;alert(&#39;incident&#39;)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert page.index("findings (") < page.index("Where sources disagree") < page.index("Findings")
    assert 'src="data:image/svg+xml;base64,' in page  # the worst conflict's chart
    text = repr(result)
    assert text.startswith("<CheckResult suite=")
    assert "error" in text
    comparison = result.comparison
    assert "<script>alert(" not in comparison._repr_html_()
    assert repr(comparison).startswith("<Comparison suite=")
    assert "conflict" in repr(comparison)
