"""EC2 on localcloud: from `run_instances` to the first successful SSH command.

Starts its own localcloud (fresh temporary LAB_DIR, free port; never touches .lab/ or a
running localcloud), creates one key pair and one security group allowing SSH from the
learner's address, then for each run: the clock starts right before `run_instances` and
stops when paramiko has run `echo ready` on the new instance (endpoint read from the
instance's `localcloud:ssh-endpoint` tag via `describe_instances`). Each instance is then
terminated. Prints every run, then min / median / max.

    .venv/bin/python benchmarks/ec2_ssh_ready.py [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import paramiko
from _localcloud import private_localcloud

import labcontract

TARGET_S = 1.0
AL2023 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    with private_localcloud("lc-bench-ssh-") as started:
        cloud = started["cloud"]
        ec2 = cloud.client("ec2")
        ami = cloud.client("ssm").get_parameter(Name=AL2023)["Parameter"]["Value"]
        key = ec2.create_key_pair(KeyName="bench", KeyType="ed25519")
        key_path = Path(started["lab_dir"]) / "bench.pem"
        key_path.write_text(key["KeyMaterial"])
        key_path.chmod(0o400)
        sg = ec2.create_security_group(GroupName="bench", Description="bench")["GroupId"]
        ec2.authorize_security_group_ingress(
            GroupId=sg,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 22,
                    "ToPort": 22,
                    "IpRanges": [{"CidrIp": started["learner_ip"] + "/32"}],
                }
            ],
        )

        print(
            f"run_instances -> first SSH command, {args.runs} runs, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}"
        )
        times = []
        for i in range(1, args.runs + 1):
            t0 = time.perf_counter()
            iid = ec2.run_instances(
                ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1, KeyName="bench", SecurityGroupIds=[sg]
            )["Instances"][0]["InstanceId"]
            inst = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
            host, port = {t["Key"]: t["Value"] for t in inst["Tags"]}[labcontract.SSH_ENDPOINT_TAG].split(":")
            client = paramiko.SSHClient()
            client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
            client.connect(
                host,
                port=int(port),
                username="ec2-user",
                key_filename=str(key_path),
                timeout=10,
                look_for_keys=False,
                allow_agent=False,
            )
            _, out, _ = client.exec_command("echo ready")
            if out.read() != b"ready\n":
                raise SystemExit(f"run {i}: the SSH command did not answer 'ready'")
            elapsed = time.perf_counter() - t0
            client.close()
            times.append(elapsed)
            ec2.terminate_instances(InstanceIds=[iid])
            print(f"  run {i}: {elapsed:.3f} s")
        print(
            f"run_instances -> SSH command: min {min(times):.3f} s, median {statistics.median(times):.3f} s, "
            f"max {max(times):.3f} s"
        )
        print(f"target: <= {TARGET_S} s -> {'met by every run' if max(times) <= TARGET_S else 'NOT met by every run'}")


if __name__ == "__main__":
    main()
