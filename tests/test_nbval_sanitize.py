"""The two nbval sanitize files stay in step: the each-notebook-alone run's file has every rule of
the in-order run's file, unchanged, plus only the rules a notebook run alone needs."""

from __future__ import annotations

import configparser
from pathlib import Path

TESTS = Path(__file__).resolve().parent
# Rules only the --lab-fresh-each run may have: a notebook alone creates its prerequisites itself.
FRESH_EACH_ONLY = {"resource ids", "lab.require"}


def _rules(name: str) -> dict[str, dict[str, str]]:
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(TESTS / name, encoding="utf-8")
    return {s: dict(cfg[s]) for s in cfg.sections()}


def test_fresh_each_is_the_strict_file_plus_its_own_rules():
    strict, fresh = _rules("nbval_sanitize.cfg"), _rules("nbval_sanitize_fresh_each.cfg")
    assert {s: fresh.get(s) for s in strict} == strict, "a shared rule differs: edit it in both files"
    assert set(fresh) - set(strict) == FRESH_EACH_ONLY


def test_the_in_order_run_compares_ids_and_require_lines_exactly():
    assert not FRESH_EACH_ONLY & set(_rules("nbval_sanitize.cfg"))
