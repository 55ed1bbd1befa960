"""Prepared statements, kept per workgroup as Athena keeps them (introduced for lab 04).

``PREPARE name FROM ...`` and ``CreatePreparedStatement`` save a statement in the query's
workgroup; ``EXECUTE name USING ...`` / ``ExecutionParameters`` run it with its ``?`` bound to
values; ``DEALLOCATE PREPARE`` and ``DeletePreparedStatement`` remove it
(https://docs.aws.amazon.com/athena/latest/ug/querying-with-prepared-statements.html).
"""

from __future__ import annotations

import threading
import time


class PreparedStatements:
    def __init__(self) -> None:
        self._items: dict[tuple[str, str], dict] = {}
        self._lock = threading.Lock()

    def put(self, workgroup: str, name: str, sql: str, description: str | None = None) -> None:
        doc = {
            "StatementName": name,
            "QueryStatement": sql,
            "WorkGroupName": workgroup,
            "LastModifiedTime": time.time(),
        }
        if description:
            doc["Description"] = description
        with self._lock:
            self._items[(workgroup, name)] = doc

    def get(self, workgroup: str, name: str) -> dict | None:
        with self._lock:
            doc = self._items.get((workgroup, name))
            return dict(doc) if doc else None

    def delete(self, workgroup: str, name: str) -> bool:
        with self._lock:
            return self._items.pop((workgroup, name), None) is not None

    def names(self, workgroup: str) -> list[dict]:
        with self._lock:
            docs = [d for (wg, _), d in self._items.items() if wg == workgroup]
        return [
            {"StatementName": d["StatementName"], "LastModifiedTime": d["LastModifiedTime"]}
            for d in sorted(docs, key=lambda d: d["StatementName"])
        ]

    def dump(self) -> list[dict]:
        with self._lock:
            return [dict(d) for d in self._items.values()]

    def load(self, docs: list[dict]) -> None:
        with self._lock:
            self._items = {(d["WorkGroupName"], d["StatementName"]): dict(d) for d in docs}

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
