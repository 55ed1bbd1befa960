"""The gateway in front of moto, in-process: engine hooks, AWS-shaped errors, control API.

A real HTTP server (werkzeug, port 0, a thread) serves ``Gateway(moto app, engines,
control)``, and botocore clients talk to it, so every assertion is about what a
learner's boto3 would really raise.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud.awserrors import error
from localcloud.calls import Call
from localcloud.config import TOKEN_HEADER, InstallCredentials
from localcloud.engines import Engine, EngineContext
from localcloud.gateway import Gateway
from localcloud.processes import Supervisor

SG_MSG = "The security group name 'forbidden' is reserved by the lab."
ATHENA_MSG = "Queries are disabled in this test."
RDS_MSG = "DB instances are disabled in this test."
CREDS = InstallCredentials("AKIAGATEWAYTEST12345", "gateway/test+secret", "control-token")


class Guard(Engine):
    """Rejects a few calls the way AWS would, and records what it saw."""

    name = "guard"
    services = ("ec2", "athena", "rds")

    def __init__(self, ctx):
        super().__init__(ctx)
        self.before_calls: list[Call] = []
        self.after_seen: list[tuple[str, str | None, int]] = []
        self.sg_id_lists: list[list[str]] = []

    def before(self, call):
        self.before_calls.append(call)
        if (
            call.service == "ec2"
            and call.operation == "CreateSecurityGroup"
            and call.params.get("GroupName") == "forbidden"
        ):
            return error(call, "InvalidParameterValue", SG_MSG)
        if call.service == "athena" and call.operation == "StartQueryExecution":
            return error(call, "InvalidRequestException", ATHENA_MSG)
        if call.service == "rds" and call.operation == "CreateDBInstance":
            return error(call, "InvalidParameterValue", RDS_MSG)
        if call.operation == "RunInstances":
            self.sg_id_lists.append(call.param_list("SecurityGroupId"))
        return None

    def after(self, call, response):
        self.after_seen.append((call.service, call.operation, response.status))
        return None


class Boom(Engine):
    """A buggy engine: raises for every SNS call."""

    name = "boom"
    services = ("sns",)

    def before(self, call):
        raise RuntimeError("kaboom")


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    from werkzeug.serving import make_server

    from localcloud import seam

    supervisor = Supervisor()
    state = tmp_path_factory.mktemp("engines")
    ctx = lambda name: EngineContext(state_dir=state / name, processes=supervisor, port=0)  # noqa: E731
    engines = [Guard(ctx("guard")), Boom(ctx("boom"))]
    control_calls = []

    def control(method, path, body):
        control_calls.append((method, path, body))
        if path == "/_localcloud/status":
            return 200, {"hello": "gateway", "method": method, "engines": [e.name for e in engines]}
        return 404, {"error": path}

    app = Gateway(seam.wsgi_app(), engines, control, CREDS)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=seam.request_handler())
    app.port = server.port
    for e in engines:
        e.ctx.port = server.port
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield {"endpoint": f"http://127.0.0.1:{server.port}", "guard": engines[0], "control_calls": control_calls}
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
        supervisor.close()
        assert not thread.is_alive()


def client(gw, service):
    return boto3.client(
        service,
        endpoint_url=gw["endpoint"],
        region_name="us-east-1",
        aws_access_key_id=CREDS.access_key_id,
        aws_secret_access_key=CREDS.secret_access_key,
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=20),
    )


def _raises(fn, **kwargs) -> dict:
    with pytest.raises(ClientError) as exc:
        fn(**kwargs)
    return exc.value.response


def test_ec2_rejection_has_code_and_message(gateway):
    resp = _raises(client(gateway, "ec2").create_security_group, GroupName="forbidden", Description="x")
    assert resp["Error"]["Code"] == "InvalidParameterValue"
    assert resp["Error"]["Message"] == SG_MSG
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert ("ec2", "CreateSecurityGroup", 400) in gateway["guard"].after_seen


def test_json_protocol_rejection(gateway):
    resp = _raises(
        client(gateway, "athena").start_query_execution,
        QueryString="SELECT 1",
        ResultConfiguration={"OutputLocation": "s3://results/"},
    )
    assert resp["Error"]["Code"] == "InvalidRequestException"
    assert resp["Error"]["Message"] == ATHENA_MSG
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 400
    seen = [c for c in gateway["guard"].before_calls if c.operation == "StartQueryExecution"]
    assert seen and seen[-1].protocol == "json" and seen[-1].params["QueryString"] == "SELECT 1"


def test_query_protocol_rejection(gateway):
    resp = _raises(
        client(gateway, "rds").create_db_instance,
        DBInstanceIdentifier="db1",
        DBInstanceClass="db.t3.micro",
        Engine="mariadb",
        MasterUsername="admin",
        MasterUserPassword="secret123",
        AllocatedStorage=20,
    )
    assert resp["Error"]["Code"] == "InvalidParameterValue"
    assert resp["Error"]["Message"] == RDS_MSG
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 400
    seen = [c for c in gateway["guard"].before_calls if c.operation == "CreateDBInstance"]
    assert seen[-1].protocol == "query" and seen[-1].params["DBInstanceIdentifier"] == "db1"
    # nothing reached moto
    assert client(gateway, "rds").describe_db_instances()["DBInstances"] == []


def test_permitted_call_reaches_moto_and_after_sees_status(gateway):
    ec2 = client(gateway, "ec2")
    sg = ec2.create_security_group(GroupName="allowed-gw", Description="ok")["GroupId"]
    assert sg.startswith("sg-")
    found = ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"]
    assert [g["GroupName"] for g in found] == ["allowed-gw"]
    seen = gateway["guard"].after_seen
    assert ("ec2", "CreateSecurityGroup", 200) in seen
    assert ("ec2", "DescribeSecurityGroups", 200) in seen
    # a moto-side error also passes through after() with its status
    _raises(ec2.describe_security_groups, GroupIds=["sg-00000000000000000"])
    assert seen[-1][1:] == ("DescribeSecurityGroups", 400)


def test_param_list_on_run_instances(gateway):
    ec2 = client(gateway, "ec2")
    ids = [ec2.create_security_group(GroupName=f"pl-{i}", Description="pl")["GroupId"] for i in range(3)]
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    res = ec2.run_instances(ImageId=ami, InstanceType="t2.micro", MinCount=1, MaxCount=1, SecurityGroupIds=ids)
    try:
        assert gateway["guard"].sg_id_lists[-1] == ids
    finally:
        ec2.terminate_instances(InstanceIds=[i["InstanceId"] for i in res["Instances"]])


def test_param_list_orders_numerically():
    call = Call(
        service="ec2",
        region="us-east-1",
        protocol="query",
        operation="RunInstances",
        method="POST",
        path="/",
        query="",
        headers={},
        params={
            "SecurityGroupId.10": "sg-j",
            "SecurityGroupId.2": "sg-b",
            "SecurityGroupId.1": "sg-a",
            "SecurityGroupId.x": "no",
            "SecurityGroupIdX.3": "no",
            "GroupId.1": "no",
        },
    )
    assert call.param_list("SecurityGroupId") == ["sg-a", "sg-b", "sg-j"]
    assert call.param_list("Missing") == []


def test_engine_exception_is_internal_failure(gateway):
    resp = _raises(client(gateway, "sns").list_topics)
    assert resp["Error"]["Code"] == "InternalFailure"
    assert "kaboom" in resp["Error"]["Message"]
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_unhooked_service_goes_straight_to_moto(gateway):
    before = len(gateway["guard"].before_calls)
    assert client(gateway, "sts").get_caller_identity()["Account"] == "123456789012"
    assert len(gateway["guard"].before_calls) == before


def test_control_status_path(gateway):
    req = urllib.request.Request(
        gateway["endpoint"] + "/_localcloud/status", headers={TOKEN_HEADER: CREDS.control_token}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "application/json"
        doc = json.loads(resp.read())
    assert doc == {"hello": "gateway", "method": "GET", "engines": ["guard", "boom"]}
    assert gateway["control_calls"][-1] == ("GET", "/_localcloud/status", b"")


def test_control_unknown_path_is_404(gateway):
    req = urllib.request.Request(
        gateway["endpoint"] + "/_localcloud/nope", data=b"x", method="POST", headers={TOKEN_HEADER: CREDS.control_token}
    )
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req, timeout=10)
    assert exc.value.code == 404
    assert json.loads(exc.value.read()) == {"error": "/_localcloud/nope"}
    assert gateway["control_calls"][-1] == ("POST", "/_localcloud/nope", b"x")
