"""The moto contract (localcloud/seam/contract.py): everything the adapter relies on in moto.

One test, one list: on failure it prints every name, signature or attribute that moved, so a moto
upgrade reads as a to-do list for ``localcloud/seam/``, not as timeouts in engine tests.

* static: importable names, methods of backend classes and their parameters
  (``contract.REQUIRED``), backend attributes (``contract.BACKEND_ATTRIBUTES``);
* dynamic: the attributes of moto's model objects that engines read, on real objects made by
  moto itself in-process (``mock_aws``) through the adapter's own lookups
  (``contract.MODEL_ATTRIBUTES``).

Optional names (``contract.OPTIONAL``) may be missing: the test says which fallback is in use.
"""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _contract():
    """contract.py loaded on its own: it must report even when the adapter cannot be imported."""
    spec = importlib.util.spec_from_file_location("moto_contract", ROOT / "localcloud" / "seam" / "contract.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def aws(moto_in_process):
    return moto_in_process.client


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", "def handler(event, context):\n    return event\n")
    return buf.getvalue()


TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def _ec2_samples(client, seam) -> dict:
    ec2 = client("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ec2.create_key_pair(KeyName="k")
    sg = ec2.create_security_group(GroupName="g", Description="d")["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=sg,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "203.0.113.10/32"}]}
        ],
    )
    iid = ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro", KeyName="k", SecurityGroupIds=[sg]
    )["Instances"][0]["InstanceId"]
    inst = seam.ec2_instance(iid)
    group = seam.backend("ec2").get_security_group_from_id(sg)
    ec2.associate_address(AllocationId=ec2.allocate_address(Domain="vpc")["AllocationId"], InstanceId=iid)
    return {
        "ec2 instance": inst,
        "ec2 network interface": next(iter(inst.nics.values())),
        "ec2 security group": group,
        "ec2 security group rule": list(group.ingress_rules)[0],
        "ec2 image": seam.ec2_image(image),
        "ec2 key pair": seam.backend("ec2").key_pairs["k"],
        "ec2 elastic ip": seam.backend("ec2").addresses[0],
    }


def _rds_samples(client, seam) -> dict:
    rds = client("rds")
    rds.create_db_parameter_group(DBParameterGroupName="p", DBParameterGroupFamily="mysql8.0", Description="d")
    rds.create_db_instance(
        DBInstanceIdentifier="db1",
        Engine="mysql",
        DBInstanceClass="db.t3.micro",
        MasterUsername="admin",
        ManageMasterUserPassword=True,
        AllocatedStorage=20,
        DBParameterGroupName="p",
    )
    db = seam.find_db_instance("db1")
    return {
        "rds db instance": db,
        "rds managed secret": db.master_user_secret,
        "secretsmanager secret": db.master_user_secret.secret,
        "rds db parameter group": seam.backend("rds").db_parameter_groups["p"],
    }


def _redshift_samples(client, seam) -> dict:
    client("redshift").create_cluster(
        ClusterIdentifier="c1", NodeType="ra3.large", MasterUsername="awsuser", MasterUserPassword="Passw0rd1"
    )
    arn = seam.secret_create_managed("redshift", "redshift!c1-awsuser", "{}", "d")
    assert json.loads(seam.secret_value(arn)) == {}
    seam.secret_delete(arn)
    assert seam.ec2_default_group_id() and seam.ec2_default_vpc_cidr()
    return {
        "redshift cluster": seam.find_redshift_cluster("c1"),
        "ec2 vpc": seam.backend("ec2").get_default_vpc(),
    }


def _catalog_samples(client, seam) -> dict:
    glue = client("glue")
    glue.create_database(DatabaseInput={"Name": "d"})
    sd = {"Columns": [{"Name": "a", "Type": "int"}], "Location": "s3://b/t/"}
    glue.create_table(
        DatabaseName="d",
        TableInput={"Name": "t", "StorageDescriptor": sd, "PartitionKeys": [{"Name": "p", "Type": "string"}]},
    )
    glue.create_partition(DatabaseName="d", TableName="t", PartitionInput={"Values": ["1"], "StorageDescriptor": sd})
    glue.create_crawler(
        Name="c",
        Role="arn:aws:iam::123456789012:role/r",
        DatabaseName="d",
        Targets={"S3Targets": [{"Path": "s3://b/t/"}]},
    )
    glue.create_job(Name="j", Role="r", Command={"Name": "glueetl", "ScriptLocation": "s3://b/j.py"})
    table = seam.glue().databases["d"].tables["t"]
    assert seam.glue_has_partition(table, ["1"]) and seam.glue_partitions(table)[0][0] == ["1"]
    athena = client("athena")
    nq = athena.create_named_query(Name="n", Database="d", QueryString="SELECT 1")["NamedQueryId"]
    athena.create_data_catalog(
        Name="dc", Type="HIVE", Parameters={"metadata-function": "arn:aws:lambda:us-east-1:123456789012:function:f"}
    )
    return {
        "athena data catalog": next(iter(seam.backend("athena").data_catalogs.values())),
        "athena named query": seam.athena_named_queries()[nq],
        "glue database": seam.glue().databases["d"],
        "glue table": table,
        "glue partition": next(iter(table.partitions.values())),
        "glue crawler": seam.find_crawler("c"),
        "glue job": seam.glue().jobs["j"],
        "athena workgroup": seam.find_workgroup("primary"),
    }


def _lambda_samples(client, seam) -> dict:
    role = client("iam").create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    lam = client("lambda")
    lam.create_function(
        FunctionName="f", Runtime="python3.12", Role=role, Handler="app.handler", Code={"ZipFile": _zip()}
    )
    lam.add_permission(FunctionName="f", StatementId="s3", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com")
    fn = seam.lambda_function("f")
    s3 = client("s3")
    s3.create_bucket(Bucket="contract-bucket")
    s3.put_object(Bucket="contract-bucket", Key="k", Body=b"x")
    s3.put_public_access_block(
        Bucket="contract-bucket", PublicAccessBlockConfiguration=dict.fromkeys(seam.BPA_FIELDS, True)
    )
    s3.put_bucket_notification_configuration(
        Bucket="contract-bucket",
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [{"LambdaFunctionArn": fn.function_arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    conf = seam.s3_notification("contract-bucket")
    sqs = client("sqs")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="m")
    queue = seam.sqs_queue("q")
    esm = lam.create_event_source_mapping(EventSourceArn=queue.queue_arn, FunctionName="f")["UUID"]
    sns = client("sns")
    topic = sns.create_topic(Name="t")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn.function_arn)
    seam.logs_put("us-east-1", "/aws/lambda/f", "s", [{"timestamp": 1, "message": "m"}])
    return {
        "lambda function": fn,
        "lambda policy": fn.policy,
        "lambda event source mapping": seam.find_event_source_mapping(esm),
        "iam role": seam.iam_role_by_arn(role),
        "s3 bucket": seam.s3_bucket("contract-bucket"),
        "s3 object": seam.s3_bucket("contract-bucket").keys["k"],
        "s3 acl grant": seam.s3_bucket_acl("contract-bucket").grants[0],
        "s3 acl grantee": seam.s3_bucket_acl("contract-bucket").grants[0].grantees[0],
        "s3 public access block": seam.s3_bucket("contract-bucket").public_access_block,
        "s3 notification configuration": conf,
        "s3 lambda notification": conf.cloud_function[0],
        "sqs queue": queue,
        "sqs message": seam.sqs_receive(queue, 1, 30)[0],
        "sns subscription": next(iter(seam.backend("sns").subscriptions.values())),
        "logs group": seam.backend("logs").groups["/aws/lambda/f"],
    }


def _model_problems(client, contract) -> list[str]:
    try:
        from localcloud import seam
    except Exception as exc:
        return [f"localcloud.seam cannot be imported: {type(exc).__name__}: {exc}"]
    samples, problems = {}, []
    for build in (_ec2_samples, _rds_samples, _redshift_samples, _catalog_samples, _lambda_samples):
        try:
            samples.update(build(client, seam))
        except Exception as exc:  # report it and go on: the list should be complete
            problems.append(f"{build.__name__[1:]}: could not build moto objects ({type(exc).__name__}: {exc})")
    for kind, attrs in contract.MODEL_ATTRIBUTES.items():
        if kind not in samples:
            problems.append(f"{kind}: not checked, no sample object (see above)")
            continue
        obj = samples[kind]
        problems += [f"{kind} ({type(obj).__name__}): no attribute {a!r}" for a in attrs if not hasattr(obj, a)]
    return problems


def test_moto_keeps_the_contract(aws):
    contract = _contract()
    problems = contract.check() + _model_problems(aws, contract)
    for line in contract.optional_missing():
        print("optional:", line)
    if problems:
        import moto

        listing = "\n".join(f"  - {p}" for p in problems)
        head = f"moto {moto.__version__} breaks {len(problems)} things localcloud relies on (moved, or not checkable)"
        pytest.fail(f"{head}:\n{listing}", pytrace=False)


def test_the_whole_state_survives_a_snapshot(aws):
    """Persistence (seam/state.py): every backend the labs use pickles with nothing left out, and
    comes back whole: objects shared between services stay shared, S3 bodies, SQS messages and
    KMS keys come back, and the id generator goes on where it was (no id is handed out twice)."""
    from localcloud import seam

    for build in (_ec2_samples, _rds_samples, _catalog_samples, _lambda_samples):
        build(aws, seam)
    kms = aws("kms")
    key = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    aws("budgets").create_budget(
        AccountId="123456789012",
        Budget={
            "BudgetName": "b",
            "BudgetLimit": {"Amount": "5", "Unit": "USD"},
            "TimeUnit": "MONTHLY",
            "BudgetType": "COST",
        },
    )
    ssm = aws("ssm")  # lab 01 reads the AMI alias there; its tags are a defaultdict of a lambda
    ssm.put_parameter(Name="/lab/p", Value="v", Type="String", Tags=[{"Key": "Lab", "Value": "01"}])
    dumped = seam.state.dump()
    assert dumped.left_out == {}, f"moto {seam.state.MOTO_VERSION}: these services no longer pickle: {dumped.left_out}"
    ec2 = aws("ec2")
    next_group = ec2.create_security_group(GroupName="next", Description="d")["GroupId"]

    seam.reset()
    assert seam.find_db_instance("db1") is None
    loaded = seam.state.load(dumped.data)
    assert {"ec2", "rds", "s3", "lambda", "glue", "sqs", "kms", "secretsmanager", "budgets"} <= set(loaded.services)
    assert ec2.create_security_group(GroupName="next", Description="d")["GroupId"] == next_group
    db = seam.find_db_instance("db1")
    seam.db_set_managed_secret(db, "shared")  # the RDS secret *is* Secrets Manager's secret
    arn = aws("rds").describe_db_instances(DBInstanceIdentifier="db1")["DBInstances"][0]["MasterUserSecret"][
        "SecretArn"
    ]
    assert aws("secretsmanager").get_secret_value(SecretId=arn)["SecretString"] == "shared"
    assert aws("s3").get_object(Bucket="contract-bucket", Key="k")["Body"].read() == b"x"
    assert ssm.get_parameter(Name="/lab/p")["Parameter"]["Value"] == "v"
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/lab/p")["TagList"]
    assert tags == [{"Key": "Lab", "Value": "01"}]
    ssm.put_parameter(Name="/lab/p2", Value="w", Type="String", Tags=[{"Key": "k", "Value": "v"}])  # the factory
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/lab/p2")["TagList"] == [
        {"Key": "k", "Value": "v"}
    ]
    sqs = aws("sqs")
    attrs = sqs.get_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName="q")["QueueUrl"], AttributeNames=["All"])
    assert attrs["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"  # received, still in flight
    signed = kms.sign(KeyId=key, Message=b"m", SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256")["Signature"]
    assert kms.verify(KeyId=key, Message=b"m", Signature=signed, SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256")[
        "SignatureValid"
    ]
    assert aws("lambda").get_function(FunctionName="f")["Configuration"]["Handler"] == "app.handler"
    assert aws("glue").get_partitions(DatabaseName="d", TableName="t")["Partitions"][0]["Values"] == ["1"]
