"""lab.diagram(): the live resources and their links, drawn deterministically (issue 19)."""

import html
import io
import json
import shutil
import zipfile

import boto3
import pytest

from helpers import diagram, lab, resources

LAB = "84"  # a lab id no notebook uses, so the other tests' resources never mix in
OTHER = "85"
BUCKET, FUNCTION, TOPIC, QUEUE, DB = "diag-84-data", "diag-84-fn", "diag-84-topic", "diag-84-queue", "diag84_db"
YOU = "you · 203.0.113.10/32"
AL2023 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
ASSUME = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("handler.py", "def handler(event, context):\n    return None\n")
    return buf.getvalue()


@pytest.fixture(scope="module")
def built():
    lab.start(OTHER)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="diag-85-other")
    s3.put_bucket_tagging(Bucket="diag-85-other", Tagging={"TagSet": lab.tags()})

    lab.start(LAB)
    ec2, rds = boto3.client("ec2"), boto3.client("rds")
    sg = ec2.create_security_group(
        GroupName="diag-84-sg", Description="diagram test", TagSpecifications=[lab.tag_spec("security-group")]
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=sg,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": lab.my_cidr()}]},
            {"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "IpRanges": [{"CidrIp": lab.my_cidr()}]},
            {"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "UserIdGroupPairs": [{"GroupId": sg}]},
        ],
    )
    ami = boto3.client("ssm").get_parameter(
        Name="/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    )
    ec2.run_instances(
        ImageId=ami["Parameter"]["Value"],
        InstanceType="t3.micro",
        MinCount=1,
        MaxCount=1,
        SecurityGroupIds=[sg],
        TagSpecifications=[lab.tag_spec("instance", Name="diag-web")],
    )
    rds.create_db_instance(
        DBInstanceIdentifier="diag-primary",
        Engine="mysql",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="admin",
        MasterUserPassword="diagram-test-pw-1",
        VpcSecurityGroupIds=[sg],
        BackupRetentionPeriod=1,
        Tags=lab.tags(),
    )
    wait = {"Delay": 0.2, "MaxAttempts": 900}
    rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier="diag-primary", WaiterConfig=wait)
    rds.create_db_instance_read_replica(
        DBInstanceIdentifier="diag-replica", SourceDBInstanceIdentifier="diag-primary", Tags=lab.tags()
    )
    rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier="diag-replica", WaiterConfig=wait)

    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": lab.tags()})
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name=TOPIC, Tags=lab.tags())["TopicArn"]
    queue = sqs.create_queue(QueueName=QUEUE, tags=lab.tag_dict())["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
    iam = boto3.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName="diag-84-role", AssumeRolePolicyDocument=json.dumps(trust), Tags=lab.tags())
    lam = boto3.client("lambda")
    fn = lam.create_function(
        FunctionName=FUNCTION,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="handler.handler",
        Code={"ZipFile": _zip()},
        Environment={
            "Variables": {
                "ATHENA_DATABASE": DB,
                "ATHENA_OUTPUT": f"s3://{BUCKET}/athena-results/",
                "SNS_TOPIC_ARN": topic,
                "UNRELATED": "not a resource",
            }
        },
        Tags=lab.tag_dict(),
    )
    lam.add_permission(
        FunctionName=FUNCTION,
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn=f"arn:aws:s3:::{BUCKET}",
    )
    s3.put_bucket_notification_configuration(
        Bucket=BUCKET,
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {
                    "LambdaFunctionArn": fn["FunctionArn"],
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "incoming/"}]}},
                }
            ]
        },
    )
    glue = boto3.client("glue")
    glue.create_database(DatabaseInput={"Name": DB}, Tags=lab.tag_dict())
    glue.create_table(
        DatabaseName=DB,
        TableInput={
            "Name": "sales",
            "StorageDescriptor": {
                "Columns": [{"Name": "amount", "Type": "double"}],
                "Location": f"s3://{BUCKET}/sales/",
            },
            "PartitionKeys": [{"Name": "country", "Type": "string"}],
            "Parameters": {"classification": "json"},
        },
    )
    for country in ("Spain", "Japan", "USA", "France"):
        glue.create_partition(
            DatabaseName=DB,
            TableName="sales",
            PartitionInput={
                "Values": [country],
                "StorageDescriptor": {"Location": f"s3://{BUCKET}/sales/country={country}/"},
            },
        )
    yield
    lab.start(LAB)
    resources.delete_all(lab=LAB)
    resources.delete_all(lab=OTHER)


def _edges(d):
    return {(e.src[0], e.src[1], e.label, e.dst[0], e.dst[1]) for e in d.edges}


def test_it_draws_instances_databases_and_their_security_groups(built):
    d = lab.diagram(lab=LAB)
    edges = _edges(d)
    assert ("rule", YOU, "tcp 22", "ec2 security group", "diag-84-sg") in edges
    assert ("rule", YOU, "tcp 3306", "ec2 security group", "diag-84-sg") in edges
    assert ("ec2 security group", "diag-84-sg", "tcp 3306", "ec2 security group", "diag-84-sg") in edges
    assert ("ec2 security group", "diag-84-sg", "lets in", "ec2 instance", "diag-web") in edges
    assert ("ec2 security group", "diag-84-sg", "lets in", "rds db instance", "diag-primary") in edges
    assert ("rds db instance", "diag-primary", "replicates to", "rds db instance", "diag-replica") in edges
    web = d.graph.nodes[("ec2 instance", "diag-web")]
    assert web.detail == "t3.micro, running"


def test_it_draws_the_event_pipeline_and_the_catalog(built):
    d = lab.diagram(lab=LAB)
    edges = _edges(d)
    assert ("s3 bucket", BUCKET, "s3:ObjectCreated:* prefix=incoming/", "lambda function", FUNCTION) in edges
    assert ("lambda function", FUNCTION, "ATHENA_DATABASE", "glue database", DB) in edges
    assert ("lambda function", FUNCTION, "ATHENA_OUTPUT", "s3 prefix", f"s3://{BUCKET}/athena-results/") in edges
    assert ("lambda function", FUNCTION, "SNS_TOPIC_ARN", "sns topic", TOPIC) in edges
    assert ("sns topic", TOPIC, "subscription", "sqs queue", QUEUE) in edges
    assert ("glue database", DB, "table", "glue table", f"{DB}.sales") in edges
    assert ("glue table", f"{DB}.sales", "reads", "s3 prefix", f"s3://{BUCKET}/sales/") in edges
    assert ("s3 bucket", BUCKET, "holds", "s3 prefix", f"s3://{BUCKET}/sales/") in edges
    parts = d.graph.nodes[("partitions", f"{DB}.sales")]
    assert parts.detail == "4 partition(s) by country: country=France, country=Japan, country=Spain, …"
    assert not any("UNRELATED" in e.label for e in d.edges)


def test_a_function_draws_the_bucket_that_triggers_it_and_the_database_it_names_from_another_lab(built):
    """Lab 07's function is triggered by lab 04's bucket and queries lab 04's database."""
    lab.start(OTHER)
    lam = boto3.client("lambda")
    role = boto3.client("iam").get_role(RoleName="diag-84-role")["Role"]["Arn"]
    lam.create_function(
        FunctionName="diag-85-fn",
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": _zip()},
        Environment={"Variables": {"DATABASE": DB}},
        Tags=lab.tag_dict(),
    )
    lam.add_permission(
        FunctionName="diag-85-fn",
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn=f"arn:aws:s3:::{BUCKET}",
    )
    try:
        d = lab.diagram(lab=OTHER)
        edges = _edges(d)
        assert ("s3 bucket", BUCKET) in d.graph.nodes, "found through the function's resource policy"
        assert ("lambda function", "diag-85-fn", "DATABASE", "glue database", DB) in edges
        assert ("glue database", DB, "table", "glue table", f"{DB}.sales") in edges
    finally:
        lam.delete_function(FunctionName="diag-85-fn")
        lab.start(LAB)


def test_one_lab_or_all_and_the_same_picture_every_time(built):
    one, again = lab.diagram(lab=LAB), lab.diagram(lab=LAB)
    assert ("s3 bucket", "diag-85-other") not in one.graph.nodes
    assert ("s3 bucket", "diag-85-other") in lab.diagram().graph.nodes
    assert one.as_text() == again.as_text() and one.source() == again.source()
    text = one.as_text()
    assert text.splitlines()[0].startswith(f"Lab {LAB}: ")
    assert f"  s3 bucket {BUCKET} --s3:ObjectCreated:* prefix=incoming/--> lambda function {FUNCTION}" in text
    assert "i-" not in text and "sg-" not in text, "names and tags, not ids"
    bundle = one._repr_mimebundle_()
    assert bundle["text/plain"] == text
    if shutil.which("dot"):
        svg = bundle["image/svg+xml"]
        assert svg == again.svg() and "<svg" in svg and "Generated by graphviz" not in svg
        assert "diag&#45;web" in svg and "replicates to" in svg  # dot escapes "-"
        # a text alternative on the root element, for screen readers where the SVG is inline
        root = svg[svg.index("<svg") : svg.index(">", svg.index("<svg")) + 1]
        assert 'role="img"' in root and "aria-labelledby=" in root
        assert "<title id=" in svg and html.escape(text.splitlines()[0]) in svg
        assert html.escape(f"{BUCKET} --s3:ObjectCreated:* prefix=incoming/--> lambda function {FUNCTION}") in svg


def test_without_dot_it_shows_text_only(built, monkeypatch):
    monkeypatch.setattr(diagram.shutil, "which", lambda _name: None)
    bundle = lab.diagram(lab=LAB)._repr_mimebundle_()
    assert set(bundle) == {"text/plain"}


def test_nothing_to_draw_and_a_bad_lab_id():
    lab.start("86")
    assert lab.diagram(lab="86").as_text() == "Lab 86: nothing to draw (no lab-tagged resources found)."
    with pytest.raises(lab.LabError):
        lab.diagram(lab="4")
