"""How long the helpers' look over every lab resource takes (``lab.inventory()``, ``lab.teardown()``,
``dashboard.reminder()``, ``lab.diagram()`` and the prerequisites all list with it).

A private localcloud holds a few lab-tagged resources of the kinds the labs leave (bucket, key
pair, security group, Glue database, SNS topic, SQS queue); then ``resources.find_all()`` runs
``--runs`` times in this process, after one warm-up (the first builds boto3's clients and loads
their models, as a lab's first call does). Prints min / median / max and the number of API calls
one look makes.

    .venv/bin/python benchmarks/lab_inventory.py [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _localcloud import REPO, private_localcloud  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    sys.path.insert(0, str(REPO))
    with private_localcloud(prefix="bench-inventory-"):
        import boto3

        from helpers import lab, resources

        lab.start("00")
        tags = lab.tags(Lab="00")
        boto3.client("s3").create_bucket(Bucket=lab.name("bench-inventory"))
        boto3.client("s3").put_bucket_tagging(Bucket=lab.name("bench-inventory"), Tagging={"TagSet": tags})
        ec2 = boto3.client("ec2")
        ec2.create_key_pair(KeyName=lab.name("bench-key"), TagSpecifications=[lab.tag_spec("key-pair", Lab="00")])
        ec2.create_security_group(
            GroupName=lab.name("bench-sg"), Description="bench", TagSpecifications=[lab.tag_spec("security-group")]
        )
        boto3.client("glue").create_database(DatabaseInput={"Name": "bench_inventory"}, Tags=lab.tag_dict())
        boto3.client("sns").create_topic(Name=lab.name("bench-topic"), Tags=tags)
        boto3.client("sqs").create_queue(QueueName=lab.name("bench-queue"), tags=lab.tag_dict())

        calls = {"n": 0}

        def count(**_: object) -> None:
            calls["n"] += 1

        boto3.DEFAULT_SESSION.events.register("before-call", count)  # type: ignore[union-attr]
        found = resources.find_all()  # warm-up: clients and models
        calls["n"] = 0
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            found = resources.find_all()
            times.append(time.perf_counter() - t0)
        per_look = calls["n"] / args.runs
    ms = sorted(t * 1000 for t in times)
    print(f"resources.find_all(): {len(found)} resources, {per_look:.0f} API calls per look, {args.runs} runs")
    print(f"  min {ms[0]:.0f} ms, median {statistics.median(ms):.0f} ms, max {ms[-1]:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
