"""A small read/write router for a primary and its read replicas (introduced in lab 09).

What ProxySQL, HAProxy or RDS Proxy readers do in production, in a few lines you can read: it
wraps mysql-connector connections *you* opened (it never hides mysql-connector) and decides,
per statement, where it runs:

* writes (``INSERT``, ``UPDATE``, DDL, ``CALL``, locking reads ``SELECT ... FOR UPDATE``, anything
  it cannot classify) go to the **primary** and are committed;
* plain reads (``SELECT``, ``SHOW``, ``DESCRIBE``, ``EXPLAIN``) go to the **replicas**, in turn
  (round-robin); a replica whose connection fails is skipped, and with none left reads go to
  the primary;
* ``read_your_writes_s``: after this router wrote, its reads stay on the primary for that many
  seconds (``float("inf")``: for the rest of the session), so a user sees their own write even
  when the replicas lag behind.  Off (0) by default, which is exactly the pitfall lab 09 shows.

::

    router = ReadWriteRouter(primary_conn, {"replica1": r1_conn, "replica2": r2_conn})
    router.execute("INSERT INTO orders VALUES (%s, %s)", (7, "new"))   # primary, committed
    router.query("SELECT COUNT(*) FROM orders")                        # replica1, then replica2, ...
    router.last_route                                                  # 'replica1'
"""

from __future__ import annotations

import collections
import contextlib
import math
import re
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

_FIRST_WORD = re.compile(r"^\s*\(*\s*([A-Za-z]+)")
_READ_WORDS = {"SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXPLAIN"}
_PLACEHOLDER = re.compile(r"%(\(\w+\))?s")  # mysql-connector's %s / %(name)s parameters
PRIMARY = "primary"


def is_read(sql: str) -> bool:
    """True for a statement a replica can answer: a plain read that takes no locks and writes nothing."""
    import sqlglot
    from sqlglot import exp

    m = _FIRST_WORD.match(sql)
    if not m or m.group(1).upper() not in _READ_WORDS:
        return False  # INSERT, UPDATE, CALL, SET, BEGIN ...: the primary's (no parsing needed)
    try:
        tree = sqlglot.parse_one(_PLACEHOLDER.sub("0", sql), read="mysql")
    except sqlglot.errors.ParseError:
        return False  # cannot tell: the primary is always right
    if isinstance(tree, (exp.Show, exp.Describe)):
        return True
    if not isinstance(tree, exp.Query):
        return False
    for select in tree.find_all(exp.Select):
        if select.args.get("locks") or select.args.get("into"):
            return False  # FOR UPDATE / LOCK IN SHARE MODE / SELECT ... INTO: primary only
    return not any(tree.find_all(exp.Insert, exp.Update, exp.Delete))


# A mysql-connector connection and its cursors (or anything DB-API-like with the same calls).
Connection = Any
Cursor = Any


def _drain(cur: Cursor) -> None:
    """Read past any further results (a CALL sends its rows, then a status) so the connection stays usable."""
    while getattr(cur, "nextset", None) and cur.nextset():
        if cur.with_rows:
            cur.fetchall()


class ReadWriteRouter:
    def __init__(
        self,
        primary: Connection,
        replicas: dict[str, Connection] | None = None,
        read_your_writes_s: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.primary = primary
        self.replicas = dict(replicas or {})
        self.read_your_writes_s = read_your_writes_s
        self.clock = clock
        self.last_write: float | None = None
        self.last_route: str | None = None
        self.routes: collections.Counter[str] = collections.Counter()  # statements per destination
        self.down: set[str] = set()  # replicas whose connection failed
        self._next = 0

    # -- deciding -------------------------------------------------------------------------------
    def _sticky(self) -> bool:
        if self.last_write is None or self.read_your_writes_s <= 0:
            return False
        return math.isinf(self.read_your_writes_s) or self.clock() - self.last_write < self.read_your_writes_s

    def _replica_order(self) -> list[str]:
        names = [n for n in self.replicas if n not in self.down]
        if not names:
            return []
        start = self._next % len(names)
        self._next += 1
        return names[start:] + names[:start]

    def route(self, sql: str) -> str:
        """Where ``sql`` would run now: ``"primary"`` or a replica's name (does not run it)."""
        if not is_read(sql) or self._sticky():
            return PRIMARY
        order = self._replica_order()
        if order:
            self._next -= 1  # only a look: the next real read gets the same replica
        return order[0] if order else PRIMARY

    # -- running --------------------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        """Run a statement and return its rows; reads go to a replica, anything else to the primary."""
        if not is_read(sql) or self._sticky():
            return self._on_primary(sql, params)
        from mysql.connector import errors

        for name in self._replica_order():
            try:
                with self.replicas[name].cursor() as cur:
                    cur.execute(sql, params)
                    rows = cur.fetchall()
                    _drain(cur)
            except (errors.OperationalError, errors.InterfaceError):
                self.down.add(name)  # connection lost: skip it from now on
                continue
            self._record(name)
            return rows
        return self._on_primary(sql, params)

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """Run a write on the primary and commit it; returns the affected row count."""
        with self.primary.cursor() as cur:
            cur.execute(sql, params)
            if cur.with_rows:
                cur.fetchall()
            count = cur.rowcount
            _drain(cur)
        self.primary.commit()
        self.last_write = self.clock()
        self._record(PRIMARY)
        return count

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """A cursor on the primary for several statements, committed together (rolled back on error).

        Everything inside a transaction runs on the primary, reads too: a replica would not see
        the transaction's own uncommitted changes.
        """
        cur = self.primary.cursor()
        try:
            yield cur
            self.primary.commit()
        except BaseException:
            self.primary.rollback()
            raise
        finally:
            cur.close()
            self.last_write = self.clock()
            self._record(PRIMARY)

    def _on_primary(self, sql: str, params: Sequence[Any] | dict[str, Any]) -> list[Any]:
        with self.primary.cursor() as cur:
            cur.execute(sql, params)
            rows = cur.fetchall() if cur.with_rows else []
            _drain(cur)
        if not is_read(sql):
            self.primary.commit()
            self.last_write = self.clock()
        self._record(PRIMARY)
        return rows

    def _record(self, name: str) -> None:
        self.last_route = name
        self.routes[name] += 1
