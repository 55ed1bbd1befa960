"""Lambda invoke latency on localcloud: cold start (new worker process) and warm (reused worker).

Starts its own localcloud (temporary LAB_DIR, free port), creates one function whose
handler imports boto3 at module level (as lab 07's does), then measures from the client
side, boto3 ``invoke`` call to parsed payload:

* **cold**: each round changes an environment variable first, so the next invoke needs a
  new execution environment: localcloud hands the function to its standby worker (an
  interpreter started ahead of need, boto3 imported), which imports the handler and runs
  it. ``--pause`` (default 1.5 s) lets the standby be ready, as it is between real cold
  starts; ``--pause 0`` measures back-to-back cold starts;
* **warm**: repeated invokes of an unchanged function (the same worker serves them).

Prints every cold run and min / median / max of both. Targets: cold ≤ 1 s, warm ≤ 50 ms.

    .venv/bin/python benchmarks/lambda_invoke.py [--cold 5] [--warm 50]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import sys
import time
import zipfile

from _localcloud import private_localcloud

HANDLER = """
import boto3
s3 = boto3.client("s3")

def lambda_handler(event, context):
    return {"n": event.get("n"), "buckets": len(s3.list_buckets()["Buckets"]) if event.get("call") else None}
"""


def stats(name: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"{name:5} ({len(ms)} runs): min {min(ms):7.1f} ms   median {statistics.median(ms):7.1f} ms   "
        f"max {max(ms):7.1f} ms"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cold", type=int, default=5)
    ap.add_argument("--warm", type=int, default=50)
    ap.add_argument("--pause", type=float, default=1.5, help="seconds before each cold invoke")
    args = ap.parse_args()

    with private_localcloud("lc-bench-lambda-") as started:
        iam, lam = started["cloud"].client("iam"), started["cloud"].client("lambda")
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}
            ],
        }
        role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("handler.py", HANDLER)
        lam.create_function(
            FunctionName="bench",
            Runtime="python3.12",
            Role=role,
            Handler="handler.lambda_handler",
            Code={"ZipFile": buf.getvalue()},
            Timeout=30,
            MemorySize=256,
        )

        def invoke(payload: dict) -> float:
            t0 = time.perf_counter()
            resp = lam.invoke(FunctionName="bench", Payload=json.dumps(payload))
            json.loads(resp["Payload"].read())
            elapsed = time.perf_counter() - t0
            assert "FunctionError" not in resp, resp
            return elapsed

        cold = []
        for i in range(args.cold):
            lam.update_function_configuration(FunctionName="bench", Environment={"Variables": {"ROUND": str(i)}})
            time.sleep(args.pause)  # let the standby interpreter be ready, as between real cold starts
            cold.append(invoke({"n": i}))
            print(f"cold run {i + 1}: {cold[-1] * 1000:.1f} ms")
        warm = [invoke({"n": i}) for i in range(args.warm)]
        warm_call = [invoke({"n": i, "call": True}) for i in range(args.warm)]

    print(f"\n{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(stats("cold", cold) + "   (target ≤ 1000 ms)")
    print(stats("warm", warm) + "   (target ≤ 50 ms)")
    print(stats("warm, handler calls S3", warm_call).replace("warm, handler calls S3", "warm+s3"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
