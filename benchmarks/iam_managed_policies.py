"""What loading AWS managed IAM policies costs: moto's all-at-once switch vs localcloud's on-first-use.

In this process (moto's IAM backend class, the state pickle localcloud saves) and through a private
localcloud (the first attach of a managed policy, a full listing of AWS's policies).  Prints numbers;
asserts nothing.

    .venv/bin/python benchmarks/iam_managed_policies.py
"""

from __future__ import annotations

import json
import os
import pickle
import statistics
import time

import boto3
from _localcloud import private_localcloud

RUNS = 5


def _median_ms(fn) -> tuple[float, object]:
    times, last = [], None
    for _ in range(RUNS):
        t0 = time.perf_counter()
        last = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), last


def in_process() -> None:
    from moto.iam.models import IAMBackend

    for switch in ("false", "true"):
        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = switch
        ms, be = _median_ms(lambda: IAMBackend("aws", "123456789012"))
        blob = pickle.dumps(be, protocol=5)
        pickle_ms, _ = _median_ms(lambda be=be: pickle.dumps(be, protocol=5))
        load_ms, _ = _median_ms(lambda blob=blob: pickle.loads(blob))
        print(
            f"MOTO_IAM_LOAD_MANAGED_POLICIES={switch:5}: new IAM backend {ms:7.1f} ms, "
            f"{len(be.managed_policies):5d} policies, pickled {len(blob) / 1e6:6.2f} MB "
            f"(dump {pickle_ms:6.1f} ms, load {load_ms:6.1f} ms)"
        )
    os.environ.pop("MOTO_IAM_LOAD_MANAGED_POLICIES")


def through_localcloud() -> None:
    with private_localcloud(prefix="bench-iam-"):
        iam = boto3.client("iam")
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}
        iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(trust))
        arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        t0 = time.perf_counter()
        iam.attach_role_policy(RoleName="bench", PolicyArn=arn)
        first = (time.perf_counter() - t0) * 1000
        iam.detach_role_policy(RoleName="bench", PolicyArn=arn)
        again, _ = _median_ms(lambda: iam.attach_role_policy(RoleName="bench", PolicyArn=arn))
        print(f"localcloud: first attach of a managed policy {first:6.1f} ms, later attaches {again:6.1f} ms (median)")
        t0 = time.perf_counter()
        n = sum(len(p["Policies"]) for p in iam.get_paginator("list_policies").paginate(Scope="AWS"))
        print(f"localcloud: listing every AWS managed policy ({n}) {(time.perf_counter() - t0) * 1000:7.1f} ms")


if __name__ == "__main__":
    in_process()
    through_localcloud()
