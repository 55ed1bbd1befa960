"""Replication on localcloud's RDS: replica creation time, lag, and COMMIT latency, async vs semi-sync.

    .venv/bin/python benchmarks/rds_replication.py                 # 500 commits, 200 heartbeats per mode
    .venv/bin/python benchmarks/rds_replication.py --commits 2000

A private localcloud (temporary LAB_DIR, free port) is started and stopped around the run.
One primary (with a small orders table) and one read replica. For each mode — asynchronous
(the default), then semi-synchronous (a parameter group with ``rpl_semi_sync_master_enabled``
and ``rpl_semi_sync_slave_enabled`` attached to both, both rebooted) — it measures:

* COMMIT latency: single-row autocommit INSERTs through the endpoint, one connection;
* replication lag: UPDATE a heartbeat row on the primary, poll the replica every 0.5 ms until
  it returns the new value;
* with semi-sync, the primary's own ``Rpl_semi_sync_master_tx_avg_wait_time`` (the wait for
  the replica's acknowledgement per commit).

Primary and replica share this machine, so the acknowledgement round trip is a loopback one;
on AWS across Availability Zones add the network round trip (about 0.5-2 ms) per commit.
"""

from __future__ import annotations

import argparse
import statistics
import time

from _localcloud import private_localcloud

PASSWORD = "Bench-only-pw-123"  # a throwaway instance on a private, temporary localcloud


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def summary(name, values_ms):
    return (
        f"{name}: median {statistics.median(values_ms):.3f} ms, p95 {pct(values_ms, 0.95):.3f} ms, "
        f"max {max(values_ms):.3f} ms (n={len(values_ms)})"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--commits", type=int, default=500)
    ap.add_argument("--beats", type=int, default=200)
    args = ap.parse_args()
    with private_localcloud("bench-repl-") as started:
        import boto3
        import mysql.connector

        rds, ec2 = boto3.client("rds"), boto3.client("ec2")

        def wait(ident):
            rds.get_waiter("db_instance_available").wait(
                DBInstanceIdentifier=ident, WaiterConfig={"Delay": 0.05, "MaxAttempts": 2000}
            )

        def connect(ident):
            ep = rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]["Endpoint"]
            return mysql.connector.connect(
                host=ep["Address"],
                port=ep["Port"],
                user="admin",
                password=PASSWORD,
                connection_timeout=5,
                autocommit=True,
            )

        gid = ec2.create_security_group(GroupName="bench", Description="bench")["GroupId"]
        ec2.authorize_security_group_ingress(
            GroupId=gid,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 3306,
                    "ToPort": 3306,
                    "IpRanges": [{"CidrIp": started["learner_ip"] + "/32"}],
                }
            ],
        )
        rds.create_db_instance(
            DBInstanceIdentifier="bench-p",
            Engine="mysql",
            DBInstanceClass="db.t3.micro",
            AllocatedStorage=20,
            MasterUsername="admin",
            MasterUserPassword=PASSWORD,
            VpcSecurityGroupIds=[gid],
            PubliclyAccessible=True,
            BackupRetentionPeriod=1,
        )
        wait("bench-p")
        with connect("bench-p") as conn, conn.cursor() as cur:
            cur.execute("CREATE DATABASE shop")
            cur.execute("CREATE TABLE shop.orders (id INT PRIMARY KEY, note VARCHAR(40))")
            cur.execute("CREATE TABLE shop.heartbeat (id INT PRIMARY KEY, beat BIGINT)")
            cur.execute("INSERT INTO shop.heartbeat VALUES (1, 0)")
            cur.executemany("INSERT INTO shop.orders VALUES (%s, 'seed')", [(i,) for i in range(1, 2001)])
        t0 = time.monotonic()
        rds.create_db_instance_read_replica(DBInstanceIdentifier="bench-r", SourceDBInstanceIdentifier="bench-p")
        wait("bench-r")
        print(f"replica of a primary with 2,000 rows: available after {time.monotonic() - t0:.2f} s")

        next_id = [10_000]
        beat = [0]

        def measure(label):
            primary, replica = connect("bench-p"), connect("bench-r")
            with primary.cursor() as cur:
                commits = []
                for _ in range(args.commits):
                    next_id[0] += 1
                    t = time.perf_counter()
                    cur.execute("INSERT INTO shop.orders VALUES (%s, 'bench')", (next_id[0],))
                    commits.append((time.perf_counter() - t) * 1000)
            lags = []
            with primary.cursor() as pcur, replica.cursor() as rcur:
                for _ in range(args.beats):
                    beat[0] += 1
                    t = time.perf_counter()
                    pcur.execute("UPDATE shop.heartbeat SET beat = %s WHERE id = 1", (beat[0],))
                    while True:
                        rcur.execute("SELECT beat FROM shop.heartbeat WHERE id = 1")
                        if rcur.fetchone()[0] == beat[0]:
                            break
                        if time.perf_counter() - t > 10:
                            raise RuntimeError("replica did not catch up within 10 s")
                        time.sleep(0.0005)
                    lags.append((time.perf_counter() - t) * 1000)
                pcur.execute("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_%'")
                status = dict(pcur.fetchall())
            primary.close()
            replica.close()
            print(f"[{label}]")
            print("  " + summary("COMMIT latency  ", commits))
            print("  " + summary("replication lag ", lags))
            if status.get("Rpl_semi_sync_master_status") == "ON":
                print(
                    f"  semi-sync: {status['Rpl_semi_sync_master_yes_tx']} commits acknowledged, "
                    f"{status['Rpl_semi_sync_master_no_tx']} not; average wait for the ack "
                    f"{int(status['Rpl_semi_sync_master_tx_avg_wait_time']) / 1000:.3f} ms"
                )
            return statistics.median(commits), statistics.median(lags)

        async_commit, async_lag = measure("asynchronous")
        family = rds.describe_db_parameter_groups(
            DBParameterGroupName=rds.describe_db_instances(DBInstanceIdentifier="bench-p")["DBInstances"][0][
                "DBParameterGroups"
            ][0]["DBParameterGroupName"]
        )["DBParameterGroups"][0]["DBParameterGroupFamily"]
        rds.create_db_parameter_group(
            DBParameterGroupName="bench-semisync", DBParameterGroupFamily=family, Description="bench"
        )
        rds.modify_db_parameter_group(
            DBParameterGroupName="bench-semisync",
            Parameters=[
                {"ParameterName": n, "ParameterValue": "1", "ApplyMethod": "pending-reboot"}
                for n in ("rpl_semi_sync_master_enabled", "rpl_semi_sync_slave_enabled")
            ],
        )
        for ident in ("bench-p", "bench-r"):
            rds.modify_db_instance(
                DBInstanceIdentifier=ident, DBParameterGroupName="bench-semisync", ApplyImmediately=True
            )
            rds.reboot_db_instance(DBInstanceIdentifier=ident)
            wait(ident)
        with connect("bench-p") as conn, conn.cursor() as cur:
            for _ in range(200):  # until the replica is connected as a semi-sync client
                cur.execute("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_clients'")
                if cur.fetchall()[0][1] == "1":
                    break
                time.sleep(0.05)
        semi_commit, semi_lag = measure("semi-synchronous")
        print(
            f"semi-sync / async: COMMIT median x{semi_commit / async_commit:.2f}, "
            f"lag median x{semi_lag / async_lag:.2f}"
        )


if __name__ == "__main__":
    main()
