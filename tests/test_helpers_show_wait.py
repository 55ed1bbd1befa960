"""helpers.show (stable summaries) and helpers.wait (bounded waits with progress)."""

import boto3
import pytest
from botocore.exceptions import WaiterError

from helpers import lab, show
from helpers.wait import WaitTimeout, wait_for

RESP = {
    "Reservations": [
        {
            "Instances": [
                {
                    "InstanceId": "i-1",
                    "State": {"Name": "running"},
                    "Tags": [{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "1"}],
                }
            ]
        }
    ],
    "ResponseMetadata": {"RequestId": "abc", "HTTPHeaders": {}},
}


def test_get_pick_table_strip_tags(capsys):
    inst = RESP["Reservations"][0]["Instances"][0]
    assert show.get(RESP, "Reservations.0.Instances.0.State.Name") == "running"
    assert show.get(RESP, "Reservations.5.x", "none") == "none"
    assert show.pick(inst, "InstanceId", "State.Name") == {"InstanceId": "i-1", "State.Name": "running"}
    df = show.table([inst, inst], "InstanceId", "State.Name")
    assert list(df.columns) == ["InstanceId", "State.Name"] and len(df) == 2
    assert "ResponseMetadata" not in show.strip(RESP)
    assert show.tags(inst["Tags"]) == {"a": "1", "b": "2"}
    show.response(RESP, "Reservations.0.Instances.0.InstanceId")
    assert '"i-1"' in capsys.readouterr().out


@pytest.fixture
def started():
    return lab.start("00")


def test_wait_for_success(started, capsys):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="wait-test")
    wait_for(s3, "bucket_exists", "the test bucket", Bucket="wait-test")
    assert "✓ the test bucket" in capsys.readouterr().out
    s3.delete_bucket(Bucket="wait-test")


def test_wait_for_is_bounded(started, monkeypatch):
    monkeypatch.setattr(lab, "poll_policy", lambda delay, attempts, local_seconds=60.0: (0.01, 3))
    with pytest.raises(WaitTimeout, match="after 3 checks"):
        wait_for(boto3.client("s3"), "bucket_exists", "a bucket that never comes", Bucket="never-there")


def test_wait_for_stops_at_a_failure_state(started):
    ec2 = boto3.client("ec2")
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    iid = ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.terminate_instances(InstanceIds=[iid])
    with pytest.raises(WaiterError, match="terminal failure state"):
        wait_for(ec2, "instance_running", "an instance that was terminated", InstanceIds=[iid])


def test_poll_policy_is_quick_locally(started):
    delay, attempts = lab.poll_policy(30, 60)
    assert delay <= 0.5 and delay * attempts <= 120
    delay, attempts = lab.poll_policy(10, 90, local_seconds=300)  # a wait known to be longer here
    assert delay <= 0.5 and 290 <= delay * attempts <= 310
