"""The Spark worker's class archive (Java class data sharing, ``jobs/cds.py``): which archive a JVM
maps or writes, and that nothing wrong with the archive ever fails a run.

The plan's rules run on files alone (fast); one runtime of this module's own then writes a real
archive when its Spark is released, starts its next Spark with it, and starts one without it when
the archive is damaged.
"""

from __future__ import annotations

import os
import time

import pytest

from localcloud import config
from localcloud.engines.glue.jobs import JobRuntime, cds, new_run_id

WAIT_S = 300  # a cold Spark start on a busy 2-core machine, with room to spare
KEY = "0123456789abcdef0123"


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setattr(cds, "fingerprint", lambda options: KEY)
    return KEY


def test_no_archive_yet_the_jvm_writes_one(tmp_path, key):
    p = cds.plan(tmp_path / "cache", "-XX:+UseSerialGC")
    assert p.archive is None and p.keep_as == str(tmp_path / "cache" / f"spark-{key}")
    assert p.dump and p.dump.startswith(p.keep_as) and p.dump.endswith(".tmp.jsa")
    assert p.java_options().startswith(f"-XX:ArchiveClassesAtExit={p.dump} ")


def test_an_archive_of_the_right_size_is_used_others_are_deleted(tmp_path, key):
    good = tmp_path / f"spark-{key}.5.jsa"
    good.write_bytes(b"12345")
    other = tmp_path / "spark-ffffffffffffffffffff.3.jsa"  # another Java's or PySpark's
    other.write_bytes(b"123")
    writing = tmp_path / f"spark-{key}-1a2b3c4d.tmp.jsa"  # another localcloud's JVM writing one now
    writing.write_bytes(b"1")
    p = cds.plan(tmp_path, "")
    assert p == cds.Plan(archive=str(good))
    assert p.java_options() == f"-XX:SharedArchiveFile={good}"
    assert not other.exists() and writing.exists()


def test_a_truncated_archive_is_deleted_and_written_again(tmp_path, key):
    cut = tmp_path / f"spark-{key}.100.jsa"  # named for 100 bytes, holds 10: the JVM would crash on it
    cut.write_bytes(b"x" * 10)
    old_tmp = tmp_path / f"spark-{key}-deadbeef.tmp.jsa"  # a JVM died writing it long ago
    old_tmp.write_bytes(b"x")
    os.utime(old_tmp, (time.time() - 2 * cds.STALE_TMP_S,) * 2)
    p = cds.plan(tmp_path, "")
    assert p.archive is None and p.dump
    assert not cut.exists() and not old_tmp.exists()


def test_no_archive_when_it_cannot_be_kept(tmp_path, key, monkeypatch):
    (tmp_path / "file").write_text("")
    assert cds.plan(tmp_path / "file" / "cache", "") == cds.Plan()  # the folder cannot be made
    assert cds.plan(tmp_path / "a folder", "") == cds.Plan()  # Spark would split the option at the space
    assert cds.plan(None, "") == cds.Plan()
    monkeypatch.setattr(cds, "fingerprint", lambda options: None)  # no Java or no PySpark found
    assert cds.plan(tmp_path, "") == cds.Plan()
    assert cds.Plan().java_options() == "" and cds.Plan().as_dict() == {}


def test_keep_names_the_archive_by_its_size(tmp_path):
    dump = tmp_path / "spark-k-1.tmp.jsa"
    dump.write_bytes(b"abc")
    assert cds.keep(str(dump), str(tmp_path / "spark-k")) == str(tmp_path / "spark-k.3.jsa")
    assert not dump.exists()
    empty = tmp_path / "spark-k-2.tmp.jsa"
    empty.write_bytes(b"")
    assert cds.keep(str(empty), str(tmp_path / "spark-k")) is None and not empty.exists()


def test_the_key_changes_with_the_jvm_options():
    a, b = cds.fingerprint("-XX:+UseSerialGC"), cds.fingerprint("-XX:+UseG1GC")
    assert a and b and a != b and len(a) == 20


# ---- a real archive, with real Spark -------------------------------------------------------------


def _run(rt, name):
    code = "from pyspark.context import SparkContext\nprint(SparkContext().parallelize(range(5)).sum())\n"
    spec = {"Name": name, "Command": {"Name": "glueetl", "ScriptLocation": f"s3://b/{name}.py"}, "GlueVersion": "5.0"}
    rid = new_run_id()
    rt.start_run(spec, rid, script=code)
    state = rt.wait(rid, WAIT_S)
    assert state["JobRunState"] == "SUCCEEDED", state.get("ErrorMessage")
    assert [e["message"] for e in rt.logs(rid)["/aws-glue/jobs/output"]][1:] == ["10"]


def _archives(folder):
    return sorted(p for p in folder.glob("spark-*.jsa") if not p.name.endswith(".tmp.jsa"))


def _released(rt):
    deadline = time.monotonic() + WAIT_S
    while rt.status()["spark_worker"] or rt._spark_current is not None:
        assert time.monotonic() < deadline, "the Spark worker was not released"
        time.sleep(0.5)


def test_archive_written_at_release_used_next_time_and_a_damaged_one_never_fails_a_run(tmp_path):
    cache = tmp_path / "cache"
    rt = JobRuntime(tmp_path / "jobs", env=config.client_env(), cds_dir=cache)
    try:
        _run(rt, "first")
        assert rt.stats["spark_class_archive"] == "writing" and _archives(cache) == []
        rt.release_spark()  # the lab deleted its last Spark job: the JVM writes its classes as it exits
        _released(rt)
        (archive,) = _archives(cache)
        assert archive.stat().st_size == int(archive.name.split(".")[1]) > 10_000_000
        assert not list(cache.glob("*.tmp.jsa"))

        _run(rt, "second")  # a new Spark maps the archive
        assert rt.stats["spark_class_archive"] == "used" and rt.stats["spark_starts"] == 2

        rt.release_spark()
        _released(rt)
        size = 4_000_000  # a copy cut short, under a name that matches its size: the JVM cannot map it
        archive.chmod(0o644)  # the JVM writes it read-only
        with open(archive, "r+b") as fh:
            fh.truncate(size)
        damaged = archive.with_name(f"{archive.name.split('.')[0]}.{size}.jsa")
        archive.rename(damaged)
        _run(rt, "third")  # Spark starts again without it, the run succeeds, the archive is gone
        assert rt.stats["spark_starts"] == 3 and rt.stats["spark_class_archive"] is None
        assert not damaged.exists()
    finally:
        rt.close()
