"""``crosscheck profile EXPORT...``: draft a source profile from one outlet's exports."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any, TextIO

from toolkit.errors import CrosscheckError, OutputError


def add_parser(sub: Any) -> None:
    """The ``profile`` command's options (``sub``: the CLI's subparsers)."""
    p = sub.add_parser("profile", help="draft a source profile (YAML) from an outlet's export")
    p.add_argument("paths", nargs="+", metavar="EXPORT", help="one or more exports of one outlet")
    p.add_argument("-o", "--output", metavar="FILE.yaml", help="write the draft to FILE")
    p.add_argument("--source", metavar="NAME", help="the outlet's name (default: the file's)")
    p.add_argument(
        "--into",
        metavar="DIR",
        help="write the draft into the profiles folder of the suite DIR holds (never replacing)",
    )


def _profiles_folder(into: Path) -> Path:
    """The profiles folder of the suite ``into`` holds, or the first folder above it holds
    (as ``read`` finds a suite)."""
    from toolkit.suite.loading import SUITE_FILE, suite_above

    found = suite_above(into)
    if found is None:
        raise CrosscheckError(f"{into}: no {SUITE_FILE} here, in its expectations/, nor above it")
    return found / "profiles"


def _slug(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "-", name.lower()).strip("-") or "profile"


def run(args: argparse.Namespace, out: TextIO) -> int:
    from toolkit.reading.drafting import draft_profile
    from toolkit.reading.draftyaml import to_yaml
    from toolkit.reporting import console
    from toolkit.reporting.writers import write_text
    from toolkit.suite import load_suite

    suite = load_suite(_profiles_folder(Path(args.into)).parent) if args.into else load_suite()
    paths = [Path(p) for p in args.paths]
    draft = draft_profile(paths, suite.taxonomy, args.source, suite.limits)
    text = to_yaml(draft)
    targets = [Path(args.output)] if args.output else []
    if args.into and "\nfigures: []" in text and draft.long is None:
        for line in text.splitlines():  # shown, not written: a profile with no figure
            print(line, file=out)  # would stop every read of the suite
        raise CrosscheckError(
            "the draft maps no figure column, so it would not load: it is printed above; "
            "map a figure and save it in the suite's profiles/ yourself"
        )
    if args.into:
        target = _profiles_folder(Path(args.into)) / f"{_slug(draft.name)}.yaml"
        if target.exists():
            raise OutputError("exists: a draft never replaces a profile (use -o FILE)", target)
        targets.append(target)
    if not targets:
        for line in text.splitlines():
            print(line, file=out)
        return 0
    written = [write_text(t, text) for t in targets]
    if args.into:  # the suite read above is cached: a later read in this process must see the draft
        from toolkit.suite import loading

        loading._load.cache_clear()
    console.wrote(written, out)
    reviews = text.count("# review:")
    print(f"{reviews} line(s) to review: search the draft for '# review:'", file=out)
    return 0
