"""pytest plugin for benchmarks/profile_series.py: each nbval cell's setup/call/teardown times.

Loaded with ``-p _profile_plugin`` (benchmarks/ on PYTHONPATH); writes PROFILE_CELLS (JSON)
at the end of the session. A notebook's kernel starts in its first cell's setup.
"""

from __future__ import annotations

import json
import os
import time

_cells: dict[str, dict] = {}


def pytest_runtest_logstart(nodeid, location):
    _cells.setdefault(nodeid, {"nodeid": nodeid})["t0"] = time.time()


def pytest_runtest_logreport(report):
    cell = _cells.setdefault(report.nodeid, {"nodeid": report.nodeid})
    cell[report.when] = report.duration
    cell["outcome_" + report.when] = report.outcome


def pytest_runtest_logfinish(nodeid, location):
    _cells[nodeid]["t1"] = time.time()


def pytest_collection_modifyitems(items):
    for item in items:
        cell = getattr(item, "cell", None)
        if cell is not None:
            _cells.setdefault(item.nodeid, {"nodeid": item.nodeid})
            _cells[item.nodeid].update(source=cell.source, id=cell.get("id", ""), file=item.fspath.basename)


def pytest_sessionfinish(session):
    path = os.environ.get("PROFILE_CELLS")
    if path:
        with open(path, "w") as fh:
            json.dump(list(_cells.values()), fh)
