"""AWS's Python "getting started" examples (awsdocs/aws-doc-sdk-examples, vendored unmodified in
``vendor/``) run end to end against the session's localcloud, answered by the test instead of a
person.  Each example is driven the way its ``__main__`` block drives it, one test per step where
the example has steps, so a failure names the step; what a step showed is then checked against
localcloud's state.

Where an example reaches outside AWS (the EC2 example asks checkip.amazonaws.com for the caller's
address; the Glue example crawls AWS's public bucket ``crawler-public-us-east-1``), the test
stands in for that one thing and says so; nothing else is changed.
"""

from __future__ import annotations

import io
import json
import re
import urllib.request
import uuid

import boto3
import pytest
from awsdocs_harness import choose, example, fast_time, install_answers
from botocore.exceptions import ClientError

from localcloud import config

pytestmark = pytest.mark.usefixtures("local_target")


# ---- S3: s3/s3_basics ----------------------------------------------------------------------------


def _s3_answers(upload: str) -> list:
    return [
        (r"Enter a file you want to upload", upload),
        (r"download .* into memory", "y"),
        (r"copy .* to a subfolder", "y"),
        (r"delete all of the objects as well as the bucket", "y"),
    ]


def test_s3_getting_started_end_to_end(monkeypatch, answers, tmp_path):
    """scenario_getting_started.do_scenario in a Region that takes a LocationConstraint."""
    upload = tmp_path / "demo-upload.txt"
    upload.write_text("Hello from the S3 getting-started example, offline.\n")
    with example(monkeypatch, "s3/s3_basics") as load:
        scenario = load("scenario_getting_started")
        asked = answers(_s3_answers(str(upload)))
        resource = boto3.resource("s3", region_name="us-west-2")
        scenario.do_scenario(resource)
    out = answers.printed.getvalue()
    bucket = re.search(r"Created demo bucket named (\S+)\.", out).group(1)
    assert f"Uploaded file {upload} into bucket {bucket} with key demo-upload.txt." in out
    assert "b'Hello from the S3 ge'" in out  # the first 20 bytes, read back
    assert "Copied demo-upload.txt to demo-folder/demo-upload.txt." in out
    assert re.search(r"contains the following objects:\n\tdemo-folder/demo-upload.txt\n\tdemo-upload.txt\n", out)
    assert f"Emptied and deleted bucket {bucket}." in out and "Thanks for watching!" in out
    assert len(asked.asked) == 4
    assert bucket not in [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]


def test_s3_getting_started_in_us_east_1_fails_as_on_aws(monkeypatch, answers, tmp_path):
    """As its __main__ runs it in us-east-1: AWS refuses LocationConstraint=us-east-1
    (InvalidLocationConstraint), and the example stops before asking anything."""
    with example(monkeypatch, "s3/s3_basics") as load:
        scenario = load("scenario_getting_started")
        asked = answers(_s3_answers(str(tmp_path / "never-asked.txt")))
        scenario.do_scenario(boto3.resource("s3", region_name="us-east-1"))
    out = answers.printed.getvalue()
    assert "InvalidLocationConstraint:The specified location-constraint is not valid" in out
    assert "Can't continue the demo without a bucket!" in out and asked.asked == []


def test_s3_bucket_basics_create_list_delete(monkeypatch, answers):
    with example(monkeypatch, "s3/s3_basics") as load:
        demo = load("demo_bucket_basics")
        answers([])
        name = f"doc-example-bucket-{uuid.uuid4().hex[:10]}"
        demo.create_and_delete_my_bucket(boto3.resource("s3", region_name="eu-west-1"), name, keep_bucket=False)
    out = answers.printed.getvalue()
    assert f"Creating new bucket: {name}" in out and f"Deleting bucket: {name}" in out
    listings = re.findall(r"Buckets:\n((?:\t.*\n)*)", out)
    assert len(listings) == 3 and name in listings[1] and name not in listings[2]


def test_s3_hello(monkeypatch, answers):
    with example(monkeypatch, "s3/s3_basics") as load:
        answers([])
        boto3.client("s3").create_bucket(Bucket=f"hello-{uuid.uuid4().hex[:10]}")
        load("hello").hello_s3()
    assert "Hello, Amazon S3! Let's list your buckets:" in answers.printed.getvalue()


# ---- Lambda: lambda/scenario_getting_started_functions.py -------------------------------------------


def _one_by_one(*values: str):
    """An answer that gives the next value each time its prompt comes round."""
    pending = list(values)
    return lambda prompt, printed: pending.pop(0)


def test_lambda_getting_started_end_to_end(monkeypatch, answers):
    name = "doc_example_lambda_calculator"  # the example's own name (its __main__)
    with example(monkeypatch, "lambda") as load:
        scenario = load("scenario_getting_started_functions")
        monkeypatch.setattr(load("demo_tools.retries"), "time", fast_time())
        asked = answers(
            [
                (r"Give me a number to increment", "41"),
                (r"Press Enter", ""),
                (r"Enter the number of the action", _one_by_one("1", "4")),  # plus, then divided-by
                (r"Enter a value for x", _one_by_one("7", "20")),
                (r"Enter a value for y", _one_by_one("5", "4")),
                (r"Shall we do it again", _one_by_one("y", "n")),
                (r"list all of the functions", "y"),
                (r"Ready to delete the function and role", "y"),
            ]
        )
        scenario.run_scenario(
            boto3.client("lambda"),
            boto3.resource("iam"),
            "lambda_handler_basic.py",
            "lambda_handler_calculator.py",
            name,
        )
    out = answers.printed.getvalue()
    # Step 1: an execution role with AWS's managed AWSLambdaBasicExecutionRole policy (checked by
    # the example's own attach call: it raises NoSuchEntity without the policy)
    # Step 2-3: created, invoked: the handler really ran
    assert "Incrementing 41 resulted in {'result': 42}" in out
    # Step 4-5: new code and an environment variable, invoked with the log tail (LogType=Tail)
    assert "Calculating 7 plus 5 resulted in {'result': 12}" in out
    assert "Calculating 20 divided-by 4 resulted in {'result': 5.0}" in out
    log_tails = re.findall(r"START RequestId.*?REPORT RequestId[^\n]*", out, re.S)
    assert len(log_tails) == 2 and "20 divided-by 4 is 5.0" in log_tails[1]
    assert re.search(r"\[DEBUG\]\s.*Event: \{'action': 'divided-by'", log_tails[1])  # LOG_LEVEL=DEBUG took effect
    # Step 6: listed, with the runtime and handler the example chose
    assert re.search(rf"^{name}\n\tAWS Lambda doc example\n\tpython3\.9: {name}\.lambda_handler$", out, re.M)
    # Step 7: role (with its managed policy detached) and function deleted
    assert f"Deleted role {name}." in out and f"Deleted function {name}." in out
    assert len(asked.asked) == 14
    with pytest.raises(ClientError):
        boto3.client("lambda").get_function(FunctionName=name)
    with pytest.raises(ClientError):
        boto3.client("iam").get_role(RoleName=name)


def test_lambda_hello(monkeypatch, answers):
    with example(monkeypatch, "lambda/hello") as load:
        answers([])
        load("hello_lambda").main()
    assert "Here are the Lambda functions in your account:" in answers.printed.getvalue()


# ---- EC2: ec2/scenario_get_started_instances.py -------------------------------------------------


class _CheckIp:
    """checkip.amazonaws.com answers the caller's public address; localcloud's learner address
    (the one its security groups judge) is config.LEARNER_IP.  The example's only non-AWS request."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, url, *args, **kwargs):
        self.urls.append(url if isinstance(url, str) else url.full_url)
        return io.BytesIO(f"{config.LEARNER_IP}\n".encode())


def test_ec2_getting_started_end_to_end(monkeypatch, answers, caplog):
    caplog.set_level("INFO")
    ec2 = boto3.client("ec2")
    checkip = _CheckIp()
    monkeypatch.setattr(urllib.request, "urlopen", checkip)
    monkeypatch.setenv("COLUMNS", "400")  # rich prints as in a wide terminal: one message, one line
    with example(monkeypatch, "ec2") as load:
        module = load("scenario_get_started_instances")
        monkeypatch.setattr(module, "time", fast_time(cap=0.2))
        answers([(r"Press Enter to continue", "")])
        scenario = module.EC2InstanceScenario(
            load("instance").EC2InstanceWrapper.from_client(),
            load("key_pair").KeyPairWrapper.from_client(),
            load("security_group").SecurityGroupWrapper.from_client(),
            load("elastic_ip").ElasticIpWrapper.from_client(),
            boto3.client("ssm"),
        )

        # Step 1: an RSA key pair, saved to a .pem file, listed with its type and fingerprint
        scenario.create_and_list_key_pairs()
        key = scenario.key_wrapper.key_pair
        assert open(scenario.key_wrapper.key_file_path).read().startswith("-----BEGIN RSA PRIVATE KEY-----")
        listed = f"Found rsa key '{key['KeyName']}' with fingerprint:"
        assert listed in caplog.text and f"\t{key['KeyFingerprint']}" in caplog.text

        # Step 2: a security group with SSH from the caller's address
        scenario.create_security_group()
        assert checkip.urls == ["http://checkip.amazonaws.com"]
        sg = ec2.describe_security_groups(GroupIds=[scenario.sg_wrapper.security_group])["SecurityGroups"][0]
        ssh = [p for p in sg["IpPermissions"] if p.get("FromPort") == 22]
        assert ssh and ssh[0]["IpRanges"][0]["CidrIp"] == f"{config.LEARNER_IP}/32"

        # Step 3: an Amazon Linux 2 instance from SSM's AMI list, running, with a public IP
        scenario.create_instance()
        iid = scenario.inst_wrapper.instances[0]["InstanceId"]
        first_ip = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["PublicIpAddress"]
        assert f"ec2-user@{first_ip}" in answers.printed.getvalue()

        # Step 4: stop and start: the public IP changes (no Elastic IP yet)
        scenario.stop_and_start_instance()
        second_ip = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["PublicIpAddress"]
        assert second_ip != first_ip
        assert "Every time your instance is restarted, its public IP address changes." in answers.printed.getvalue()

        # Step 5: an Elastic IP, associated: the instance's public IP is now the Elastic IP
        scenario.associate_elastic_ip()
        eip = scenario.eip_wrapper.elastic_ips[0].public_ip
        assert not eip.startswith("127.")
        assert f"ec2-user@{eip}" in answers.printed.getvalue()

        # Step 6: stop and start again: the Elastic IP stays
        scenario.stop_and_start_instance()
        inst = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
        assert inst["PublicIpAddress"] == eip
        assert f"consistent IP address after the instance restarts: {eip}" in answers.printed.getvalue()

        # Step 7: clean up: Elastic IP released, instance terminated, group and key pair deleted
        scenario.cleanup()
    assert eip not in [a["PublicIp"] for a in ec2.describe_addresses()["Addresses"]]
    assert ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"] == "terminated"
    with pytest.raises(ClientError):
        ec2.describe_security_groups(GroupIds=[sg["GroupId"]])
    assert key["KeyName"] not in [k["KeyName"] for k in ec2.describe_key_pairs()["KeyPairs"]]


def test_ec2_hello(monkeypatch, answers, caplog):
    caplog.set_level("INFO")
    with example(monkeypatch, "ec2/hello") as load:
        answers([])
        load("hello_ec2").hello_ec2(boto3.client("ec2"))
    assert "Hello, Amazon EC2! Let's list up to 10 of your security groups:" in answers.printed.getvalue()
    assert re.search(r"\tsg-[0-9a-f]+: default", caplog.text)


# ---- RDS: rds/scenario_get_started_instances.py -------------------------------------------------


def test_rds_getting_started_end_to_end(monkeypatch, answers):
    group, instance, dbname = "doc-example-parameter-group", "doc-example-instance", "docexampledb"  # its __main__'s
    password = uuid.uuid4().hex  # never a fixed password, even offline
    with example(monkeypatch, "rds") as load:
        module = load("scenario_get_started_instances")
        monkeypatch.setattr(load("demo_tools.retries"), "time", fast_time())
        answers(
            [
                (r"Which family do you want to use", choose("mysql8.0")),
                (r"Enter a value between (\d+) and", "5"),
                (r"administrator user name", "admin"),
                (r"password for the administrator", password),
                (r"Which engine do you want to use", "1"),
                (r"Which micro DB instance class", choose("db.t3.micro")),
                (r"create a snapshot of your DB instance", "y"),
                (r"delete the DB instance and parameter group", "y"),
            ]
        )
        scenario = module.RdsInstanceScenario(load("instance_wrapper").InstanceWrapper.from_client())
        rds = boto3.client("rds")

        # Step 1: no such group yet (DBParameterGroupNotFound), engine families, a new group
        parameter_group = scenario.create_parameter_group(group, "mysql")
        assert parameter_group["DBParameterGroupFamily"] == "mysql8.0"

        # Step 2: the auto_increment parameters are there to set, and then listed as the user's
        scenario.update_parameters(group)
        user = {
            p["ParameterName"]: p["ParameterValue"]
            for p in rds.describe_db_parameters(DBParameterGroupName=group, Source="user")["Parameters"]
        }
        assert user == {"auto_increment_increment": "5", "auto_increment_offset": "5"}

        # Step 3: engine versions of the family, orderable micro classes, the instance, available
        db_inst = scenario.create_instance(instance, dbname, "mysql", parameter_group)
        assert (db_inst["DBInstanceStatus"], db_inst["DBInstanceClass"]) == ("available", "db.t3.micro")
        assert db_inst["DBParameterGroups"][0]["DBParameterGroupName"] == group

        # Step 4: how to connect
        scenario.display_connection(db_inst)
        endpoint = db_inst["Endpoint"]
        assert f"mysql -h {endpoint['Address']} -P {endpoint['Port']} -u admin -p" in answers.printed.getvalue()

        # Step 5: a snapshot, available
        scenario.create_snapshot(instance)
        snapshots = rds.describe_db_snapshots(DBInstanceIdentifier=instance, SnapshotType="manual")["DBSnapshots"]
        assert [s["Status"] for s in snapshots] == ["available"]
        assert snapshots[0]["DBSnapshotIdentifier"].startswith(f"{instance}-")

        # Step 6: instance and group deleted
        scenario.cleanup(db_inst, group)
    assert instance not in [d["DBInstanceIdentifier"] for d in rds.describe_db_instances()["DBInstances"]]
    with pytest.raises(ClientError) as err:
        rds.describe_db_parameter_groups(DBParameterGroupName=group)
    assert err.value.response["Error"]["Code"] == "DBParameterGroupNotFound"
    for snap in snapshots:
        rds.delete_db_snapshot(DBSnapshotIdentifier=snap["DBSnapshotIdentifier"])


def test_rds_hello(monkeypatch, answers):
    with example(monkeypatch, "rds/hello") as load:
        answers([])
        load("hello_rds")  # the example runs at import, as `python hello_rds.py` does
    out = answers.printed.getvalue()
    assert "Your RDS instances are:" in out or "No RDS instances found!" in out


# ---- Glue: glue/scaffold.py + glue/scenario_getting_started_crawlers_and_jobs.py -----------------

PUBLIC_BUCKET = "crawler-public-us-east-1"  # AWS's public sample bucket the example crawls
SCAFFOLD = "setup_scenario_getting_started.yaml"
# The scaffold template is CDK output: it reads the CDK bootstrap version from Parameter Store, so the
# example expects an account where `cdk bootstrap` ran (bootstrap template version 21 or later passes
# the template's CheckBootstrapVersion rule).
CDK_BOOTSTRAP = "/cdk-bootstrap/hnb659fds/version"
FLIGHT_COLUMNS = (
    "year,quarter,month,day_of_month,day_of_week,fl_date,carrier,tail_num,fl_num,origin,origin_city_name,"
    "origin_state_abr,dest,dest_city_name,dest_state_abr,dep_time,dep_delay,wheels_off,wheels_on,arr_time,"
    "arr_delay,cancelled,distance"
)
ROUTES = (
    ("JFK", "New York, NY", "NY", "LAX", "Los Angeles, CA", "CA", 2475),
    ("SEA", "Seattle, WA", "WA", "SFO", "San Francisco, CA", "CA", 679),
    ("ORD", "Chicago, IL", "IL", "ATL", "Atlanta, GA", "GA", 606),
    ("DFW", "Dallas/Fort Worth, TX", "TX", "DEN", "Denver, CO", "CO", 641),
)


def _flight_csv(month: int) -> bytes:
    """A few rows in the columns of the flight data the example crawls (BTS on-time performance,
    2016, one folder per month ``mon=N``): AWS's public bucket is out of reach offline."""
    lines = [FLIGHT_COLUMNS]
    for day in range(1, 6):
        for n, (o, oc, os_, d, dc, ds, miles) in enumerate(ROUTES):
            dep = 600 + 137 * n + 11 * day
            lines.append(
                f"2016,{(month - 1) // 3 + 1},{month},{day},{(day + 4) % 7 + 1},2016-{month:02d}-{day:02d},"
                f'AA,N{100 + n}AA,{100 + n},{o},"{oc}",{os_},{d},"{dc}",{ds},{dep},{day - 2},{dep + 14},'
                f"{dep + 230},{dep + 245},{day - 5},0,{miles}"
            )
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def glue_run(local_target):
    """The Glue example as its README runs it: `python scaffold.py deploy`, then the scenario with
    the stack's role and bucket, then `python scaffold.py destroy`.  Runs once; the step tests
    below read what it printed and what it left.  The run's exception, if any, is kept."""
    s3 = boto3.client("s3")
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name=CDK_BOOTSTRAP, Value="21", Type="String")  # what `cdk bootstrap` leaves
    s3.create_bucket(Bucket=PUBLIC_BUCKET)
    for month in (1, 2):
        s3.put_object(
            Bucket=PUBLIC_BUCKET, Key=f"flight/2016/csv/mon={month}/part-0000{month}.csv", Body=_flight_csv(month)
        )
    printed, run = io.StringIO(), {"error": None, "outputs": {}}
    with pytest.MonkeyPatch.context() as mp, example(mp, "glue") as load:
        scenario = load("scenario_getting_started_crawlers_and_jobs")
        scaffold = load("scaffold")
        mp.setattr(scenario, "time", fast_time())
        run["answers"] = install_answers(
            mp,
            printed,
            [
                (r"Ready to start the crawler", "y"),
                (r"number of a table to see more detail", "1"),
                (r"Ready to run", "y"),
                (r"number of a block to download", "1"),
                (r"see the list of runs for a job", choose("doc-example-job")),
                (r"see details for a run", "1"),
                (r"delete the definition and all runs", "y"),
                (r"delete the tables and the database", "y"),
                (r"delete the crawler", "y"),
            ],
        )
        cf = boto3.resource("cloudformation")
        try:
            run["outputs"] = outputs = scaffold.deploy(SCAFFOLD, "doc-example-glue-scenario-stack", cf)
            job = scenario.GlueCrawlerJobScenario(
                boto3.client("glue"),
                boto3.resource("iam").Role(outputs["RoleName"]),
                boto3.resource("s3").Bucket(outputs["BucketName"]),
            )
            job.upload_job_script("flight_etl_job_script.py")
            job.run(
                "doc-example-crawler",
                "doc-example-database",
                "doc-example-",
                f"s3://{PUBLIC_BUCKET}/flight/2016/csv",
                "flight_etl_job_script.py",
                "doc-example-job",
            )
        except Exception as exc:  # kept for the step tests: each says which step it broke
            run["error"] = exc
        finally:
            stack = cf.Stack("doc-example-glue-scenario-stack")
            try:
                scaffold.destroy(stack, cf, boto3.resource("s3"))
            except ClientError as exc:
                run.setdefault("destroy_error", exc)
    run["printed"] = printed.getvalue()
    yield run
    for obj in s3.list_objects_v2(Bucket=PUBLIC_BUCKET).get("Contents", []):
        s3.delete_object(Bucket=PUBLIC_BUCKET, Key=obj["Key"])
    s3.delete_bucket(Bucket=PUBLIC_BUCKET)
    ssm.delete_parameter(Name=CDK_BOOTSTRAP)


def test_glue_scaffold_needs_a_cdk_bootstrapped_account(monkeypatch):
    """As on AWS: without the bootstrap parameter, CloudFormation refuses the template up front."""
    with example(monkeypatch, "glue"):
        template = open(SCAFFOLD).read()
    with pytest.raises(ClientError) as err:
        boto3.client("cloudformation").create_stack(
            StackName="no-bootstrap", TemplateBody=template, Capabilities=["CAPABILITY_NAMED_IAM"]
        )
    assert err.value.response["Error"]["Code"] == "ValidationError"
    assert err.value.response["Error"]["Message"] == (
        f"Unable to fetch parameters [{CDK_BOOTSTRAP}] from parameter store for this account."
    )


def test_glue_scaffold_stack_makes_the_role_and_bucket(glue_run):
    """CloudFormation: a role with AWS's managed AWSGlueServiceRole policy, a bucket."""
    assert glue_run["outputs"]["RoleName"] == "AWSGlueServiceRole-DocExample", glue_run["error"]
    assert "Stack status: CREATE_COMPLETE" in glue_run["printed"]
    assert "AWS::IAM::Role, AWSGlueServiceRole-DocExample" in glue_run["printed"]
    assert "Uploaded job script 'flight_etl_job_script.py' to the example bucket." in glue_run["printed"]


def test_glue_crawler_catalogs_the_flight_data(glue_run):
    out = glue_run["printed"]
    assert "Created crawler doc-example-crawler." in out, glue_run["error"]
    assert "Crawler is READY." in out
    assert "The crawler created database doc-example-database:" in out
    assert re.search(r"The database contains these tables:\n\t1\. doc-example-csv\n", out)
    detail = out[out.index("The database contains these tables:") :]
    for column in ("'Name': 'fl_date'", "'Name': 'origin_city_name'", "'Name': 'mon'"):
        assert column in detail  # columns from the CSV header, and the mon=N partition key


def test_glue_job_run_transforms_csv_to_json(glue_run):
    out = glue_run["printed"]
    assert glue_run["error"] is None, f"the example stopped: {glue_run['error']!r}"
    assert re.search(r"Job doc-example-job/\S+ is SUCCEEDED\.", out)
    assert re.search(r"Data from your job run is stored in your S3 bucket '[^']+':\n\t1: run-", out)
    first = json.loads(out[out.index('{"year"') :].splitlines()[0])
    assert {"flight_date", "carrier", "flight_num", "origin_city_name", "departure_time", "mon"} <= set(first)
    assert re.search(r"\t1\. SUCCEEDED on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d", out)  # the run list


def test_glue_cleanup_deletes_what_it_made(glue_run):
    out = glue_run["printed"]
    assert glue_run["error"] is None, f"the example stopped: {glue_run['error']!r}"
    for line in (
        "Job definition 'doc-example-job' deleted.",
        "Deleted database doc-example-database.",
        "Deleted crawler doc-example-crawler.",
        "Stack delete complete.",
    ):
        assert line in out
    glue = boto3.client("glue")
    assert "doc-example-database" not in [d["Name"] for d in glue.get_databases()["DatabaseList"]]


def test_glue_hello(monkeypatch, answers):
    with example(monkeypatch, "glue/hello") as load:
        answers([])
        load("hello_glue").hello_glue()
    assert "Here are the jobs in your account:" in answers.printed.getvalue()
