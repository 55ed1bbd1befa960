"""helpers.rwsplit: which statements go where, round-robin, read-your-writes, failed replicas."""

from __future__ import annotations

import pytest
from mysql.connector import errors

from helpers.rwsplit import PRIMARY, ReadWriteRouter, is_read


class FakeCursor:
    def __init__(self, conn):
        self.conn = conn
        self.with_rows = False
        self.rowcount = -1

    def execute(self, sql, params=()):
        if self.conn.broken:
            raise errors.OperationalError(msg="Lost connection to MySQL server during query", errno=2013)
        self.conn.log.append((sql, params))
        self.with_rows = sql.lstrip(" (").upper().startswith(("SELECT", "WITH", "SHOW", "DESC", "EXPLAIN"))
        self.rowcount = 0 if self.with_rows else 1

    def fetchall(self):
        return [(self.conn.name,)]

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class FakeConnection:
    def __init__(self, name):
        self.name = name
        self.log, self.commits, self.rollbacks = [], 0, 0
        self.broken = False

    def cursor(self):
        return FakeCursor(self)

    def commit(self):
        self.commits += 1

    def rollback(self):
        self.rollbacks += 1


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1",
        "select * from orders where id = %s",
        "  (SELECT 1) UNION (SELECT 2)",
        "WITH a AS (SELECT 1) SELECT * FROM a",
        "SHOW REPLICA STATUS",
        "SHOW GLOBAL STATUS LIKE 'Rpl%'",
        "DESCRIBE orders",
        "EXPLAIN SELECT 1",
    ],
)
def test_reads(sql):
    assert is_read(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO t VALUES (1)",
        "update t set x = 1",
        "DELETE FROM t",
        "CREATE TABLE t (x INT)",
        "CALL mysql.rds_stop_replication()",
        "SET @a = 1",
        "BEGIN",
        "SELECT * FROM t FOR UPDATE",
        "SELECT * FROM t LOCK IN SHARE MODE",
        "SELECT 1 INTO @x",
        "SELEC typo",
        "",
    ],
)
def test_writes_locking_reads_and_unknowns_go_to_the_primary(sql):
    assert not is_read(sql)


def _router(**kw):
    p, r1, r2 = FakeConnection("primary"), FakeConnection("r1"), FakeConnection("r2")
    return ReadWriteRouter(p, {"r1": r1, "r2": r2}, **kw), p, r1, r2


def test_writes_to_primary_committed_reads_round_robin():
    router, p, r1, r2 = _router()
    assert router.execute("INSERT INTO t VALUES (%s)", (1,)) == 1
    assert (p.log, p.commits, router.last_route) == ([("INSERT INTO t VALUES (%s)", (1,))], 1, PRIMARY)
    got = [router.query("SELECT x FROM t")[0][0] for _ in range(4)]
    assert got == ["r1", "r2", "r1", "r2"]
    assert router.routes == {"primary": 1, "r1": 2, "r2": 2}
    assert router.route("SELECT 1") == "r1" and router.query("SELECT 1") == [("r1",)]  # route() only looks
    assert router.query("SELECT * FROM t FOR UPDATE") == [("primary",)]


def test_read_your_writes_window_and_session():
    clock = Clock()
    router, p, r1, r2 = _router(read_your_writes_s=2.0, clock=clock)
    assert router.route("SELECT 1") == "r1"  # nothing written yet
    router.execute("UPDATE t SET x = 1")
    assert router.query("SELECT x FROM t") == [("primary",)]
    clock.now += 1.9
    assert router.route("SELECT x FROM t") == PRIMARY
    clock.now += 0.2
    assert router.query("SELECT x FROM t") == [("r1",)]

    router, *_ = _router(read_your_writes_s=float("inf"), clock=clock)
    router.execute("UPDATE t SET x = 1")
    clock.now += 10_000
    assert router.route("SELECT 1") == PRIMARY


def test_transaction_commits_or_rolls_back_on_the_primary():
    router, p, r1, _ = _router()
    with router.transaction() as cur:
        cur.execute("INSERT INTO t VALUES (1)")
        cur.execute("SELECT * FROM t")  # inside a transaction reads stay on the primary
    assert p.commits == 1 and len(p.log) == 2 and r1.log == []
    with pytest.raises(RuntimeError):
        with router.transaction() as cur:
            cur.execute("INSERT INTO t VALUES (2)")
            raise RuntimeError("boom")
    assert p.rollbacks == 1 and p.commits == 1


def test_a_failed_replica_is_skipped_then_the_primary_answers():
    router, p, r1, r2 = _router()
    r1.broken = True
    assert router.query("SELECT 1") == [("r2",)]
    assert router.down == {"r1"}
    assert [router.query("SELECT 1")[0][0] for _ in range(2)] == ["r2", "r2"]
    r2.broken = True
    assert router.query("SELECT 1") == [("primary",)]
    assert router.down == {"r1", "r2"} and router.route("SELECT 1") == PRIMARY


def test_no_replicas_means_everything_on_the_primary():
    router = ReadWriteRouter(FakeConnection("primary"))
    assert router.query("SELECT 1") == [("primary",)] and router.route("SHOW TABLES") == PRIMARY
