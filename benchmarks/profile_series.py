"""Where the notebook series spends its time: per notebook, per cell, and on what.

Runs the strict in-order nbval pass (what ``make test-notebooks`` runs first),

    python -m pytest --nbval notebooks/ --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg -q

with two probes that change nothing in what runs: a pytest plugin recording each cell's
setup/call/teardown times (``_profile_plugin.py``) and a ``sitecustomize`` on PYTHONPATH
(``_profile_site/``) that logs, from every Python process of the run (pytest, the kernels, the
localcloud daemon and what it starts), each ``time.sleep`` and each AWS API call a boto3 client
makes, with wall-clock start and end. Each cell's time is then split into

* **kernel start**: the setup of a notebook's first cell (nbval starts its kernel there);
* **API calls**: the kernel waiting on localcloud for an answer (boto3 ``make_request``), named
  by operation (a slow ``rds.CreateDBInstance`` is MariaDB starting, ``lambda.Invoke`` a cold
  start, ``redshift-serverless.CreateWorkgroup`` PostgreSQL's initdb, ...);
* **kernel sleeps**: the kernel sleeping between checks (helpers' waits, lab code), by caller;
* **other**: the rest (Python in the kernel, MySQL/SSH/PostgreSQL wire traffic, pandas, plots).

Each cell also gets a label from what its code does (MariaDB start, replication, Lambda, Spark
(Glue job run), Redshift, Athena, EC2/SSH, ...). The peak RSS of the whole process tree is
sampled as in ``nbval_series.py`` (subreaper: the detached localcloud daemon is counted).

    .venv/bin/python benchmarks/profile_series.py [--top 15] [--json out.json] [-- extra pytest args]

Extra pytest args, e.g. ``-- --lab-fresh-each --nbval-sanitize-with tests/nbval_sanitize_fresh_each.cfg``
(later sanitize files replace nothing: pass one), or ``-- notebooks/04_s3_glue_athena_partitions.ipynb``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import nbval_series as ns  # noqa: E402

REPO = HERE.parent
SERIES_TARGET_S = 90.0  # issue 20, with labs 05, 06 and 08
LAB_TARGET_S = 10.0
SPARK_LAB_TARGET_S = 25.0
RSS_TARGET_MIB = 1536

# What a cell does, from its code: first match wins (most specific first).
LABELS = [
    ("replication / failover", r"read_replica|promote_read_replica|reboot_db_instance|ForceFailover|MultiAZ"),
    ("MariaDB start (RDS)", r"create_db_instance|rds-mydatabase|wait_for_db|db_instance_available"),
    ("Spark (Glue job run)", r"start_job_run|wait_for_job_run|create_job\b|glueetl"),
    ("Redshift (PostgreSQL)", r"redshift|wait_for_statement|wait_for_workgroup|wait_for_namespace"),
    ("Lambda", r"lambda|invoke\("),
    ("Glue crawler", r"crawler"),
    ("Athena", r"athena|start_query_execution|wait_for_query|pyathena"),
    ("EC2 / SSH", r"run_instances|ssh|key_pair|instance_running"),
    ("MySQL client", r"mysql|cursor"),
    ("prerequisites (lab.require)", r"lab\.require"),
    ("S3", r"s3\.|put_object|upload_file"),
]


def label(source: str) -> str:
    for name, rx in LABELS:
        if re.search(rx, source, re.I):
            return name
    return "Python / display"


def overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def union(spans: list[tuple[float, float]]) -> float:
    """Seconds covered by at least one span (calls made from several threads at once overlap)."""
    covered, end = 0.0, float("-inf")
    for a, b in sorted(spans):
        if b > end:
            covered += b - max(a, end)
            end = b
    return covered


def run(pytest_args: list[str]) -> tuple[float, dict, int, list[dict], list[dict]]:
    tmp = Path(tempfile.mkdtemp(prefix="profile-series-"))
    cells_file, events_file = tmp / "cells.json", tmp / "events.jsonl"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(HERE / "_profile_site"), str(HERE), *filter(None, [env.get("PYTHONPATH")])]
    )
    env.update(PROFILE_CELLS=str(cells_file), PROFILE_EVENTS=str(events_file))
    if not any(a.startswith("--nbval-sanitize-with") for a in pytest_args):
        pytest_args = ["--nbval-sanitize-with", "tests/nbval_sanitize.cfg", *pytest_args]
    if not any(a.startswith("notebooks") for a in pytest_args):
        pytest_args = ["notebooks/", *pytest_args]
    cmd = [sys.executable, "-m", "pytest", "-p", "_profile_plugin", "--nbval", "--nbval-current-env", "-q"]
    cmd += ["--nbval-cell-timeout", "300", *pytest_args]
    print("running:", " ".join(cmd[2:]), flush=True)
    subreaper = ns._become_subreaper()
    wall, out, code, peak, ru = ns.run_sampled(cmd, env=env, role=_role)
    peak["cpu_s"] = ru.ru_utime + ru.ru_stime  # every reaped descendant (the daemon too: subreaper)
    (tmp / "pytest.log").write_text(out)
    print("pytest said:", *("  " + ln for ln in out.strip().splitlines()[-4:]), sep="\n")
    print(f"(its whole output: {tmp / 'pytest.log'})")
    if not subreaper:
        print("(not a subreaper: the localcloud daemon's memory is not counted)")
    cells = json.loads(cells_file.read_text()) if cells_file.exists() else []
    events = [json.loads(ln) for ln in events_file.read_text().splitlines()] if events_file.exists() else []
    peak["exit"] = code
    return wall, peak, code, cells, events


def _role(pid: int) -> str:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "?"
    for role, marker in [  # most specific first: Spark's and the workers' command lines name localcloud too
        ("Spark (java)", "java"),
        ("Spark/Glue python workers", "pyspark"),
        ("Glue job", "glue"),
        ("Lambda workers", "awslambda"),
        ("mariadbd", "mariadbd"),
        ("postgres", "postgres"),
        ("ssh", "ssh"),
        ("kernel", "ipykernel"),
        ("localcloud daemon", "localcloud"),
        ("pytest", "pytest"),
    ]:
        if marker in cmd:
            return role
    return cmd.split(" ", 1)[0].rsplit("/", 1)[-1] or "?"


def analyse(cells: list[dict], events: list[dict]) -> list[dict]:
    # sleeps of the kernel's main thread only (cell code runs there; ipykernel's pollers do not);
    # API calls from any thread of the kernel (helpers may call in parallel), counted once in time
    kernel = [e for e in events if e["p"] == "kernel" and (e["k"] == "api" or e.get("main"))]
    rows = []
    for c in cells:
        if "t0" not in c or "file" not in c:
            continue
        t0, t1 = c["t0"], c.get("t1", c["t0"])
        nb = c["file"].removesuffix(".ipynb")
        setup = c.get("setup", 0.0)
        start = setup if re.search(r"::Cell 0$", c["nodeid"]) else 0.0
        api: dict[str, float] = defaultdict(float)
        slept: dict[str, float] = defaultdict(float)
        spans = []
        for e in kernel:
            d = overlap(t0, t1, e["t0"], e["t1"])
            if d > 0:
                (api if e["k"] == "api" else slept)[e["w"]] += d
                if e["k"] == "api":
                    spans.append((max(t0, e["t0"]), min(t1, e["t1"])))
        api_s = union(spans)
        total = setup + c.get("call", 0.0) + c.get("teardown", 0.0)
        rows.append(
            {
                "notebook": nb,
                "cell": int(c["nodeid"].rsplit(" ", 1)[-1]),
                "id": c.get("id", ""),
                "label": label(c.get("source", "")),
                "total": total,
                "kernel_start": start,
                "api": dict(api),
                "api_s": api_s,
                "sleep": dict(slept),
                "other": max(0.0, total - start - api_s - sum(slept.values())),
                "failed": any(c.get("outcome_" + w) == "failed" for w in ("setup", "call", "teardown")),
            }
        )
    return rows


def top(d: dict[str, float], n: int = 2) -> str:
    return ", ".join(f"{k} {v:.1f}" for k, v in sorted(d.items(), key=lambda kv: -kv[1])[:n] if v >= 0.05)


def report(wall: float, peak: dict, rows: list[dict], events: list[dict], n_top: int) -> None:
    load = os.getloadavg()
    print(f"\nload average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    per_nb: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        per_nb[r["notebook"]].append(r)
    print(f"\n{'notebook':34} {'total s':>8} {'kernel':>7} {'API':>6} {'sleep':>6} {'other':>6}  target")
    for nb, rs in per_nb.items():
        tot = sum(r["total"] for r in rs)
        spark = any(r["label"].startswith("Spark") for r in rs)
        limit = SPARK_LAB_TARGET_S if spark else LAB_TARGET_S
        print(
            f"{nb:34} {tot:8.1f} {sum(r['kernel_start'] for r in rs):7.1f} "
            f"{sum(r['api_s'] for r in rs):6.1f} {sum(sum(r['sleep'].values()) for r in rs):6.1f} "
            f"{sum(r['other'] for r in rs):6.1f}  <= {limit:.0f} s {'ok' if tot <= limit else 'OVER'}"
            + ("  (FAILED cells)" if any(r["failed"] for r in rs) else "")
        )
    cells_total = sum(r["total"] for r in rows)
    print(f"{'sum of cells':34} {cells_total:8.1f}   (pytest wall incl. start/collect/stop: {wall:.1f} s)")

    print(f"\ntop {n_top} cells (seconds; API = kernel waiting on localcloud, sleep = kernel sleeping)")
    for r in sorted(rows, key=lambda r: -r["total"])[:n_top]:
        parts = [f"kernel start {r['kernel_start']:.1f}"] if r["kernel_start"] >= 0.05 else []
        if r["api"]:
            parts.append(f"API {r['api_s']:.1f} ({top(r['api'])})")
        if r["sleep"]:
            parts.append(f"sleep {sum(r['sleep'].values()):.1f} ({top(r['sleep'], 1)})")
        parts.append(f"other {r['other']:.1f}")
        print(f"  {r['total']:5.1f}  {r['notebook']} cell {r['cell']:<3} [{r['label']}]  " + "; ".join(parts))

    print("\nwhere the time goes, whole series (seconds)")
    by_label: dict[str, float] = defaultdict(float)
    for r in rows:
        by_label["kernel start"] += r["kernel_start"]
        by_label[r["label"]] += r["total"] - r["kernel_start"]
    for k, v in sorted(by_label.items(), key=lambda kv: -kv[1]):
        print(f"  {v:6.1f}  {k}")
    api_ops: dict[str, float] = defaultdict(float)
    sleeps: dict[str, float] = defaultdict(float)
    for r in rows:
        for k, v in r["api"].items():
            api_ops[k] += v
        for k, v in r["sleep"].items():
            sleeps[k] += v
    api_s = sum(r["api_s"] for r in rows)
    print(f"  API calls from the kernels: {api_s:.1f} s; slowest operations (summed): {top(api_ops, 8)}")
    print(f"  kernel sleeps: {sum(sleeps.values()):.1f} s; by caller: {top(sleeps, 6)}")
    daemon: dict[str, float] = defaultdict(float)
    for e in events:
        if e["k"] == "sleep" and e["p"] != "kernel":
            daemon[f"{e['p']} {e['w']}"] += e["t1"] - e["t0"]  # threads overlap: a sum, not wall
    print(f"  sleeps in other processes (threads may overlap): {top(daemon, 6)}")
    by = ", ".join(f"{k} {v / 2**20:.0f}" for k, v in sorted(peak["by"].items(), key=lambda kv: -kv[1]))
    rss = peak["bytes"] / 2**20
    print(
        f"\npeak RSS of the process tree: {rss:.0f} MiB over {peak['procs']} processes "
        f"(target <= {RSS_TARGET_MIB} MiB: {'met' if rss <= RSS_TARGET_MIB else 'NOT met'}); MiB by role: {by}"
    )
    met = "met" if wall <= SERIES_TARGET_S else "NOT met"
    cpu = peak.get("cpu_s", 0.0)
    print(
        f"CPU time of the process tree: {cpu:.0f} s = {cpu / wall:.2f} cores busy on average over the run "
        "(well under the core count: the run mostly waits, and runs side by side overlap)"
    )
    if peak.get("cpu_by"):
        by_cpu = ", ".join(f"{k} {v:.1f}" for k, v in sorted(peak["cpu_by"].items(), key=lambda kv: -kv[1]))
        print(f"CPU seconds by role (sampled every {ns.SAMPLE_S} s): {by_cpu}")
    print(f"series: {wall:.1f} s (target <= {SERIES_TARGET_S:.0f} s: {met})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--json", type=Path, help="also write the per-cell rows here")
    ap.add_argument("pytest_args", nargs="*")
    args = ap.parse_args()
    wall, peak, code, cells, events = run(args.pytest_args)
    rows = analyse(cells, events)
    report(wall, peak, rows, events, args.top)
    if args.json:
        args.json.write_text(json.dumps({"wall": wall, "peak": peak, "rows": rows}, indent=1))
    return code


if __name__ == "__main__":
    sys.exit(main())
