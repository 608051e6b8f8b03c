"""The paths a suite names, kept inside its folder.

A data folder carries its suite (``expectations/suite.yaml``) and crosscheck loads it
without being asked, so a suite is never trusted to read files elsewhere on the disk:

- every file or folder ``suite.yaml`` names (``taxonomy:``, ``profiles:``, ``rules:``,
  ``crosswalk:``), and every profile in the profiles folder, must lie inside the suite's
  folder once symbolic links are resolved: ``../x``, an absolute path elsewhere, or a link
  that leads out is a :class:`~toolkit.errors.SuiteError` naming the key and the path;
- a file or folder the suite names must exist (one it does not name may be absent);
- ``extends:`` names a suite, not a path: ``default`` (the suite shipped with crosscheck),
  ``none``, or the name of a folder beside the suite's own (a sibling in the same parent
  folder, such as ``extends: common`` for ``suites/strict/suite.yaml`` extending
  ``suites/common/suite.yaml``) that holds a ``suite.yaml``. The name is one folder name: no
  ``/``, no ``..``; and the folder must still be a sibling once links are resolved.
"""

from __future__ import annotations

import os
from pathlib import Path

from toolkit.errors import SuiteError


def _resolved(path: Path, key: str, value: str, conf_path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # a link loop, a NUL byte
        raise SuiteError(f"{key}: {value!r} is not a usable path: {exc}", conf_path) from None


def inside(root: Path, key: str, value: object, conf_path: Path) -> Path:
    """``value``, a path relative to the suite folder ``root``, resolved; a
    :class:`SuiteError` unless it is text and lies inside ``root``."""
    if not isinstance(value, str) or not value.strip():
        raise SuiteError(
            f"{key}: expected a path inside the suite folder, not {value!r}", conf_path
        )
    target = _resolved(root / value, key, value, conf_path)
    if not target.is_relative_to(root.resolve()):
        if Path(os.path.normpath(root / value)).is_relative_to(root):
            raise SuiteError(
                f"{key}: {value!r} is a link to {target}, outside the suite folder {root}; "
                "suite files must live inside it",
                conf_path,
            )
        raise SuiteError(
            f"{key}: {value!r} is outside the suite folder {root}; suite files must live inside it",
            conf_path,
        )
    return target


def named_file(root: Path, key: str, value: object, conf_path: Path) -> Path:
    """A file the suite names: inside its folder, and there."""
    return _named(root, key, value, conf_path, folder=False)


def named_folder(root: Path, key: str, value: object, conf_path: Path) -> Path:
    """A folder the suite names: inside its folder, and there."""
    return _named(root, key, value, conf_path, folder=True)


def _named(root: Path, key: str, value: object, conf_path: Path, *, folder: bool) -> Path:
    target = inside(root, key, value, conf_path)
    if target.is_dir() if folder else target.is_file():
        return target
    kind, other = ("folder", "file") if folder else ("file", "folder")
    if target.exists():
        raise SuiteError(f"{key}: {value!r} is a {other}, not a {kind}", conf_path)
    raise SuiteError(f"{key}: no {kind} {value!r} in the suite folder {root}", conf_path)


def sibling_suite(root: Path, value: object, conf_path: Path, suite_file: str) -> Path:
    """The folder ``extends: value`` names: a folder beside ``root`` holding a suite."""
    expected = (
        "extends: expected default, none, or the name of a suite folder beside this one "
        f"(in {root.parent})"
    )
    if not isinstance(value, str) or not value.strip():
        raise SuiteError(f"{expected}, not {value!r}", conf_path)
    if value in (".", "..") or "/" in value or "\\" in value:
        raise SuiteError(f"{expected}; {value!r} is a path, not a folder's name", conf_path)
    parent = root.resolve().parent
    target = _resolved(parent / value, "extends", value, conf_path)
    if target.parent != parent:
        raise SuiteError(
            f"extends: {value!r} leads outside {parent} (a link); suites extend a folder "
            "beside them",
            conf_path,
        )
    if target == root.resolve():
        raise SuiteError(f"extends: {value!r} is this suite's own folder", conf_path)
    if not (target / suite_file).is_file():
        raise SuiteError(f"extends: no suite {value!r} beside this one ({target})", conf_path)
    return target
