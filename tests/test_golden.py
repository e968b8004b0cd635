"""Golden whole-sheet output: the demo sheet synced on fixed days, compared with tests/golden/.

A rule change shows up here as a diff of whole rows. If the change is meant, run
``python scripts/regen_golden.py`` and review the diff of tests/golden/ like any other code.
"""

from __future__ import annotations

import csv
import difflib
import importlib.util
import io
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
HINT = "run python scripts/regen_golden.py and review the diff"
FLAGS = {"OVERDUE", "DUE", "SCHEDULED", "CARD", "QUEUED", "CUT", "DNC", "CLOSED", "CHECK"}


def _load_script() -> ModuleType:
    path = ROOT / "scripts" / "regen_golden.py"
    spec = importlib.util.spec_from_file_location("regen_golden", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("regen_golden", module)
    spec.loader.exec_module(module)
    return module


regen = _load_script()
EXPECTED = regen.golden_files()


@pytest.mark.parametrize("path", sorted(EXPECTED), ids=lambda p: p.name)
def test_demo_output_matches_the_golden_file(path: Path) -> None:
    assert path.exists(), f"{path.relative_to(ROOT)} is missing: {HINT}"
    stored = path.read_text(encoding="utf-8")
    fresh = EXPECTED[path]
    if stored != fresh:
        diff = "".join(
            difflib.unified_diff(
                stored.splitlines(keepends=True),
                fresh.splitlines(keepends=True),
                fromfile=f"{path.relative_to(ROOT)} (stored)",
                tofile="today's output",
                n=0,
            )
        )
        pytest.fail(f"the demo's output changed; {HINT}\n{diff}", pytrace=False)


def test_no_stray_golden_files() -> None:
    on_disk = set(regen.GOLDEN_DIR.glob("*.csv"))
    stray = sorted(p.name for p in on_disk - set(EXPECTED))
    assert not stray, f"golden files no test checks: {stray}; {HINT}"


def test_golden_output_is_deterministic() -> None:
    assert regen.golden_files() == EXPECTED


@pytest.mark.parametrize("path", sorted(EXPECTED), ids=lambda p: p.name)
def test_golden_files_are_sane(path: Path) -> None:
    """Whatever the rules become, a golden file stays a valid answer sheet."""
    rows = list(csv.DictReader(io.StringIO(EXPECTED[path])))
    assert rows, "no rows"
    assert list(rows[0]) == list(regen.COLUMNS)
    ids = [r["ID"] for r in rows if r["Flag"]]
    assert all(ids), "a non-blank row without an ID"
    for row in rows:
        if not row["Flag"]:
            assert not any(row[c] for c in ("Next Contact", "Next Action", "Why", "Attempts"))
            continue
        assert row["Flag"] in FLAGS
        assert row["Why"] and row["Why"][0] not in "=+-@"
        if row["Flag"] == "CHECK":
            assert not row["Next Contact"] and not row["Next Action"]
    # On a Saturday no new card is given (PRODUCT.md, rule 7).
    if path.name == f"demo-{regen.SATURDAY.isoformat()}.csv":
        assert not any(r["Flag"] == "CARD" for r in rows)


def test_the_weekday_demo_shows_every_flag() -> None:
    path = regen.GOLDEN_DIR / f"demo-{regen.MONDAY.isoformat()}.csv"
    flags = {r["Flag"] for r in csv.DictReader(io.StringIO(EXPECTED[path]))}
    assert flags - {""} == FLAGS
