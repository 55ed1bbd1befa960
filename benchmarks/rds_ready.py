"""Time from ``create_db_instance`` to the first successful query through the endpoint.

    .venv/bin/python benchmarks/rds_ready.py            # 5 runs
    .venv/bin/python benchmarks/rds_ready.py --runs 10

A private localcloud (temporary LAB_DIR, free port) is started and stopped around the runs.
Each run: create a managed-password MySQL instance whose security group allows the learner,
then poll ``describe_db_instances`` every 0.05 s until ``available``, read the secret and
connect + ``SELECT 1`` (the clock stops when the query returns). Target: <= 3 s (real RDS: minutes).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from _localcloud import private_localcloud


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with private_localcloud("bench-rds-") as started:
        import boto3
        import mysql.connector

        rds, ec2, sm = (boto3.client(s) for s in ("rds", "ec2", "secretsmanager"))
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
        rds.describe_db_instances()  # warm moto's RDS backend before the clock runs
        times, to_available = [], []
        for i in range(args.runs):
            ident = f"bench{i}"
            t0 = time.monotonic()
            rds.create_db_instance(
                DBInstanceIdentifier=ident,
                Engine="mysql",
                DBInstanceClass="db.t3.micro",
                MasterUsername="admin",
                ManageMasterUserPassword=True,
                VpcSecurityGroupIds=[gid],
                PubliclyAccessible=True,
                AllocatedStorage=20,
            )
            while True:
                db = rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]
                if db["DBInstanceStatus"] == "available":
                    break
                time.sleep(0.05)
            t_avail = time.monotonic() - t0
            secret = json.loads(sm.get_secret_value(SecretId=db["MasterUserSecret"]["SecretArn"])["SecretString"])
            with (
                mysql.connector.connect(
                    host=db["Endpoint"]["Address"],
                    port=db["Endpoint"]["Port"],
                    user=secret["username"],
                    password=secret["password"],
                    connection_timeout=5,
                ) as conn,
                conn.cursor() as cur,
            ):
                cur.execute("SELECT 1")
                cur.fetchall()
            elapsed = time.monotonic() - t0
            times.append(elapsed)
            to_available.append(t_avail)
            print(f"run {i + 1}: available after {t_avail:.2f} s, first query after {elapsed:.2f} s")
            rds.delete_db_instance(DBInstanceIdentifier=ident, SkipFinalSnapshot=True)
        print(
            f"create -> available:   min {min(to_available):.2f} s, median {statistics.median(to_available):.2f} s, "
            f"max {max(to_available):.2f} s"
        )
        print(
            f"create -> first query: min {min(times):.2f} s, median {statistics.median(times):.2f} s, "
            f"max {max(times):.2f} s (target <= 3 s)"
        )


if __name__ == "__main__":
    main()
