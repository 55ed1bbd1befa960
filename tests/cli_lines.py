"""Every aws CLI command the labs print, and how a test runs each against localcloud.

:func:`printed_commands` reads them out of the notebooks: ``!aws ...`` lines of code cells, and
``aws ...`` commands in the markdown (the Console ↔ boto3 ↔ aws CLI tables, text the learner is
told to type) and in cell outputs.  :data:`LINES` says, for each, what is run: the command as
printed, or — where the printed line has placeholders (``NAME``, ``ID``, ``SG``) or elisions
(``...``) — the same command completed with values from the run so far (a check makes sure
every word printed is still there, in order).  Lines run in order, as a learner going through
the series would: a bucket is made before it is tagged, an instance before it is stopped.

Only one printed command is not run here, and it says why (:data:`NOT_RUN_LOCALLY`).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CMD_TIMEOUT_S = 120

_MD_COMMAND = re.compile(r"`(aws [^`]+)`")
_OUTPUT_COMMAND = re.compile(r"(?:^|\$ )(aws [a-z0-9-]+ [a-z][^\n]*)$", re.M)


def printed_commands() -> dict[str, list[str]]:
    """aws command as printed -> where (``NN cell K``), in series order."""
    found: dict[str, list[str]] = {}
    for nb in NOTEBOOKS:
        cells = json.loads(nb.read_text())["cells"]
        for k, cell in enumerate(cells):
            where = f"{nb.name[:2]} cell {k}"
            src = "".join(cell["source"])
            if cell["cell_type"] == "code":
                commands = [ln.strip()[1:] for ln in src.splitlines() if ln.strip().startswith("!aws ")]
            else:
                commands = _MD_COMMAND.findall(src)
            for out in cell.get("outputs", []):
                text = "".join(out.get("text", [])) or "".join(out.get("data", {}).get("text/plain", []))
                commands += _OUTPUT_COMMAND.findall(text)
            for c in commands:
                found.setdefault(c.strip(), []).append(where)
    return found


_PLACEHOLDER = re.compile(
    r"(?<![A-Za-z_])(?:NAME|ROLE_ARN|RUN_ID|ID|SG|AMI|TYPE|KEY|VPC|ARN|BUCKET|MY_IP|X\.X\.X\.X)(?![a-z_])|\.\.\."
)


def _word_pattern(word: str) -> re.Pattern | None:
    """A printed word as a pattern: placeholders (``NAME``, ``s3://NAME/input/``) and elisions inside a
    word (``ScriptLocation=s3://...,``) match any text; None for words a completion replaces whole
    (``...``, ``file``, a ``{python}`` expression)."""
    if word in ("...", "file") or word.startswith("{"):
        return None
    parts = _PLACEHOLDER.split(word)
    return re.compile(r"\S+".join(re.escape(p) for p in parts) + "$")


def keeps_printed_words(printed: str, run: str) -> bool:
    """Every word of the printed command is in the run command, in the same order (placeholders
    filled in): a completion adds and fills in, never drops or changes what the lab printed."""
    words, pos = run.split(), 0
    for word in printed.split():
        pattern = _word_pattern(word)
        if pattern is None:
            continue
        while pos < len(words) and not pattern.match(words[pos]):
            pos += 1
        if pos == len(words):
            return False
        pos += 1
    return True


@dataclass
class Line:
    printed: str
    run: str | None = None  # None: run exactly as printed; else a str.format template over the state
    before: Callable[[dict], None] | None = None  # set-up (state) -> None, e.g. write budget.json
    after: Callable[[dict, dict | str], None] | None = None  # (state, parsed stdout) -> None: remember ids
    stdin: str | None = None
    expect_failure: str | None = None  # a deliberate-failure demo: the error code printed on stderr
    xfail: str | None = None  # a printed line that cannot work as printed, and why (the notebook must change)

    def command(self, state: dict) -> str:
        return (self.run or self.printed).format(**state)


@dataclass
class Result:
    command: str
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    parsed: dict | str = field(default="")


def _write(name: str, content: str) -> Callable[[dict], None]:
    def write(state: dict) -> None:
        (Path(state["cwd"]) / name).write_text(content.format(**state))

    return write


def _remember(**paths: str) -> Callable[[dict, dict | str], None]:
    """after= that stores fields of the JSON answer: ``_remember(sg="GroupId")``."""

    def keep(state: dict, doc: dict | str) -> None:
        for key, path in paths.items():
            value = doc
            for part in path.split("."):
                value = value[int(part)] if isinstance(value, list) else value[part]
            state[key] = value

    return keep


def _wait_db(ident: str, status: str = "available") -> Callable[[dict], None]:
    def wait(state: dict) -> None:
        import boto3

        boto3.client("rds").get_waiter(
            "db_instance_available" if status == "available" else "db_instance_deleted"
        ).wait(DBInstanceIdentifier=ident, WaiterConfig={"Delay": 1, "MaxAttempts": 180})

    return wait


def _group_of_instance_family(group: str, ident: str) -> Callable[[dict], None]:
    """A parameter group of the family of ``ident``'s default group, as lab 09 makes it."""

    def make(state: dict) -> None:
        rds = _boto("rds")
        default = rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]["DBParameterGroups"][0]
        family = rds.describe_db_parameter_groups(DBParameterGroupName=default["DBParameterGroupName"])
        rds.create_db_parameter_group(
            DBParameterGroupName=group,
            DBParameterGroupFamily=family["DBParameterGroups"][0]["DBParameterGroupFamily"],
            Description="Lab 09",
        )

    return make


def _both(*fns: Callable[[dict], None]) -> Callable[[dict], None]:
    def run(state: dict) -> None:
        for fn in fns:
            fn(state)

    return run


def _boto(service: str):
    import boto3

    return boto3.client(service)


def _lambda_zip(state: dict) -> None:
    import zipfile

    with zipfile.ZipFile(Path(state["cwd"]) / "package.zip", "w") as zf:
        zf.writestr("handler.py", "def lambda_handler(event, context):\n    return {'ok': True, 'event': event}\n")


def _wait_lambda(state: dict) -> None:
    import boto3

    boto3.client("lambda").get_waiter("function_active_v2").wait(FunctionName=state["function"])


def _wait_query(state: dict) -> None:
    import boto3

    athena = boto3.client("athena")
    for _ in range(300):
        status = athena.get_query_execution(QueryExecutionId=state["qid"])["QueryExecution"]["Status"]["State"]
        if status not in ("QUEUED", "RUNNING"):
            return
        time.sleep(0.2)


def _wait_crawler(state: dict) -> None:
    import boto3

    glue = boto3.client("glue")
    for _ in range(300):
        if glue.get_crawler(Name="lab05-order-lines")["Crawler"]["State"] == "READY":
            return
        time.sleep(0.2)


def _partitioned_table(state: dict) -> None:
    import boto3

    boto3.client("glue").create_table(
        DatabaseName="sales_db",
        TableInput={
            "Name": "sales_partitioned",
            "TableType": "EXTERNAL_TABLE",
            "PartitionKeys": [{"Name": "country", "Type": "string"}],
            "StorageDescriptor": {
                "Columns": [{"Name": "ordernumber", "Type": "int"}, {"Name": "sales", "Type": "double"}],
                "Location": f"s3://{state['bucket']}/partitioned_data/",
                "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"},
            },
        },
    )


def _learner_policy_file(state: dict) -> None:
    """The course's IAM policy where lab 00 saves it (``.lab/`` under the working folder)."""
    target = Path(state["cwd"]) / ".lab" / "aws-de-labs-learner-policy.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text((ROOT / "helpers" / "learner_policy.json").read_text())


def _poll(what: str, done: Callable[[], bool], timeout_s: float = CMD_TIMEOUT_S) -> None:
    """Wait (bounded) until ``done()``; a clear error, not a silent pass, when it never is."""
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not done after {timeout_s} s")
        time.sleep(0.2)


def _job_run_succeeded(job: str, run_key: str) -> Callable[[dict], None]:
    """Wait for run ``state[run_key]`` of ``job`` to end; fail with Glue's ErrorMessage unless it succeeded."""

    def wait(state: dict) -> None:
        glue, run = _boto("glue"), {}

        def over() -> bool:
            run.update(glue.get_job_run(JobName=job, RunId=state[run_key])["JobRun"])
            return run["JobRunState"] not in ("STARTING", "RUNNING", "STOPPING", "WAITING")

        _poll(f"the run of {job}", over)
        assert run["JobRunState"] == "SUCCEEDED", f"{job}: {run['JobRunState']}: {run.get('ErrorMessage')}"

    return wait


def _logged(text: str) -> Callable[[dict, dict | str], None]:
    """after= of a ``filter-log-events`` line: ``text`` is in one of the events it printed."""

    def check(state: dict, doc: dict | str) -> None:
        messages = [e["message"] for e in doc["events"]] if isinstance(doc, dict) else []
        assert any(text in m for m in messages), f"{text!r} not in the log: {messages[-20:]}"

    return check


def _glue_job_files(state: dict) -> None:
    """What 06 writes before its CLI lines: the job's script and its role's least-privilege policy."""
    cwd, bucket = Path(state["cwd"]), state["bucket"]
    (cwd / "orders_etl.py").write_text(GLUE_SCRIPT)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": [f"arn:aws:s3:::{bucket}/scripts/lab06/*", f"arn:aws:s3:::{bucket}/input/*"],
            },
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"},
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"arn:aws:logs:{state['region']}:{state['account']}:log-group:/aws-glue/*",
            },
        ],
    }
    (cwd / "job-policy.json").write_text(json.dumps(policy))


def _glue_job(state: dict, script: str) -> dict:
    """Lab 06's job definition (put_job's), for ``create_job`` or ``update_job``."""
    return {
        "Role": state["glue_job_role"],
        "Command": {"Name": "glueetl", "ScriptLocation": f"s3://{state['bucket']}/scripts/lab06/{script}"},
        "GlueVersion": "5.0",
        "WorkerType": "G.1X",
        "NumberOfWorkers": 2,
        "Timeout": 10,
        "ExecutionProperty": {"MaxConcurrentRuns": 1},
        "DefaultArguments": {
            "--job-bookmark-option": "job-bookmark-enable",
            "--input_path": f"s3://{state['bucket']}/input/",
        },
    }


def _no_commit_job_ran(state: dict) -> None:
    """06's second job: the same script without ``job.commit()``, run once (warm Spark: seconds)."""
    s3, glue = _boto("s3"), _boto("glue")
    script = GLUE_SCRIPT.replace("\njob.commit()", "\n# job.commit()  <- forgotten")
    s3.put_object(Bucket=state["bucket"], Key="scripts/lab06/orders_etl_no_commit.py", Body=script.encode())
    name = "lab06-orders-no-commit"
    glue.create_job(Name=name, Tags=TAG_DICT, **_glue_job(state, "orders_etl_no_commit.py"))
    state["no_commit_run"] = glue.start_job_run(JobName=name)["JobRunId"]
    _job_run_succeeded(name, "no_commit_run")(state)


def _job_update(state: dict) -> None:
    """06's ``update-job``: the whole definition again (update replaces it), two runs at a time."""
    update = _glue_job(state, "orders_etl_no_commit.py")
    update["ExecutionProperty"]["MaxConcurrentRuns"] = 2
    (Path(state["cwd"]) / "job-update.json").write_text(json.dumps(update))


def _workgroup(state: dict) -> None:
    """08's workgroup (the notebook's ``create-workgroup``) on the namespace the CLI made, AVAILABLE."""
    serverless = _boto("redshift-serverless")
    serverless.create_workgroup(
        workgroupName="lab08-sales",
        namespaceName="lab08-sales",
        baseCapacity=8,
        securityGroupIds=[state["rs_sg"]],
        publiclyAccessible=True,
        tags=[{"key": k, "value": v} for k, v in TAG_DICT.items()],
    )
    _poll(
        "workgroup lab08-sales",
        lambda: serverless.get_workgroup(workgroupName="lab08-sales")["workgroup"]["status"] == "AVAILABLE",
    )


def _sql(state: dict, sql: str) -> None:
    data = _boto("redshift-data")
    statement = data.execute_statement(
        WorkgroupName="lab08-sales", Database="dev", SecretArn=state["rs_secret"], Sql=sql
    )
    _statement_finished(state, statement)


def _statement_finished(state: dict, doc: dict | str) -> dict:
    """after= of a Data API line: the statement runs after the CLI answered; wait, and fail unless FINISHED."""
    assert isinstance(doc, dict), doc
    data, described = _boto("redshift-data"), {}

    def over() -> bool:
        described.update(data.describe_statement(Id=doc["Id"]))
        return described["Status"] in ("FINISHED", "FAILED", "ABORTED")

    _poll("the Data API statement", over)
    assert described["Status"] == "FINISHED", f"{described['QueryString']!r}: {described.get('Error')}"
    return described


def _copied(rows: int) -> Callable[[dict, dict | str], None]:
    """after= of a COPY line: it finished and loaded ``rows`` rows (``ResultRows``: the rows a COPY affected)."""

    def check(state: dict, doc: dict | str) -> None:
        loaded = _statement_finished(state, doc)["ResultRows"]
        assert loaded == rows, f"COPY loaded {loaded} rows, the staged file has {rows}"

    return check


def _sales_rows() -> list[dict]:
    """The course's sales data (lab 04 uploads it to ``input/``), one dict per order line."""
    import csv

    with open(ROOT / "data" / "sales_data_sample.csv", newline="") as f:
        return list(csv.DictReader(f))


def _sales_fact_staged(state: dict) -> None:
    """What 08's COPY reads: sales lines staged as CSV under the bucket (as the notebook stages them), and
    the table they go to."""
    import csv
    import io

    rows = _sales_rows()[:STAGED_ROWS]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["order_number", "order_line", "quantity", "sales"])
    writer.writerows([r["ORDERNUMBER"], r["ORDERLINENUMBER"], r["QUANTITYORDERED"], r["SALES"]] for r in rows)
    _boto("s3").put_object(Bucket=state["bucket"], Key="staging/sales_fact/part-0.csv", Body=out.getvalue().encode())
    _sql(
        state,
        "create table if not exists sales_fact (order_number integer, order_line smallint, quantity integer, "
        "sales decimal(10,2)) distkey (order_number) sortkey (order_number)",
    )


TAGS = "Key=Project,Value=aws-de-labs Key=Lab,Value=cli"
TRUST_GLUE = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"glue.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
TRUST_LAMBDA = TRUST_GLUE.replace("glue.amazonaws.com", "lambda.amazonaws.com")
BUDGET = '{{"BudgetName":"aws-de-labs-monthly","BudgetLimit":{{"Amount":"5","Unit":"USD"}},"TimeUnit":"MONTHLY","BudgetType":"COST"}}'

TAG_DICT = {"Project": "aws-de-labs", "Lab": "cli"}
STAGED_ROWS = 50  # what 08's COPY loads: a slice of the sales data is enough to prove the load
TRUST_REDSHIFT = TRUST_GLUE.replace(
    '"glue.amazonaws.com"', '["redshift.amazonaws.com","redshift-serverless.amazonaws.com"]'
)
# 06's job script, the skeleton AWS documents (getResolvedOptions, GlueContext, Job, a source with a
# transformation_ctx, job.commit()): small, so the run costs only Spark's start.
GLUE_SCRIPT = """\
import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "input_path"])
glueContext = GlueContext(SparkContext())
job = Job(glueContext)
job.init(args["JOB_NAME"], args)
raw = glueContext.create_dynamic_frame.from_options(
    connection_type="s3",
    connection_options={"paths": [args["input_path"]]},
    format="csv",
    format_options={"withHeader": True},
    transformation_ctx="raw_orders",
)
print(f"orders ETL: read {raw.count()} records")
job.commit()
"""

# Why a printed command is not run against localcloud (only ones that cannot be, by nature).
NOT_RUN_LOCALLY = {
    "aws configure sso": "signs in through AWS IAM Identity Center in a browser: the aws target's set-up, needs "
    "AWS CLI v2 (the course's CLI, awscli 1.x, has no `configure sso`); localcloud needs no sign-in",
}

LINES: list[Line] = [
    # ---- 00 setup -------------------------------------------------------------------------------
    Line("aws sts get-caller-identity"),
    Line("aws sts get-caller-identity --query Arn --output text"),
    Line(
        "aws configure",
        run="AWS_CONFIG_FILE={cwd}/configured AWS_SHARED_CREDENTIALS_FILE={cwd}/configured-credentials aws configure",
        stdin="AKIAEXAMPLEEXAMPLE00\nexample-secret-typed-at-the-prompt\nus-east-1\njson\n",
    ),
    Line("aws s3api create-bucket --bucket NAME", run="aws s3api create-bucket --bucket {bucket0}"),
    Line(
        "aws s3api put-bucket-tagging ...",
        run='aws s3api put-bucket-tagging --bucket {bucket0} --tagging "TagSet=[{{Key=Project,Value=aws-de-labs}}]"',
    ),
    Line("aws s3api list-buckets"),
    Line("aws s3api get-bucket-tagging --bucket NAME", run="aws s3api get-bucket-tagging --bucket {bucket0}"),
    Line("aws freetier get-account-plan-state"),
    Line(
        "aws iam create-policy --policy-name aws-de-labs-learner --policy-document file://.lab/aws-de-labs-learner-policy.json",
        before=_learner_policy_file,  # what 00's policy cell saves; IAM (moto) checks the document's grammar
    ),
    Line(
        "aws budgets create-budget --account-id ID --budget file://budget.json",
        run="aws budgets create-budget --account-id {account} --budget file://budget.json",
        before=_write("budget.json", BUDGET),
    ),
    Line(
        'aws budgets describe-budget --account-id {account} --budget-name aws-de-labs-monthly --query "Budget.[BudgetName,BudgetType,TimeUnit]" --output text'
    ),
    Line("aws s3 rb s3://NAME --force", run="aws s3 rb s3://{bucket0} --force"),
    # ---- 01 EC2 -----------------------------------------------------------------------------------
    Line("aws ec2 describe-availability-zones"),
    Line("aws ec2 describe-instance-types --filters Name=free-tier-eligible,Values=true"),
    Line(
        "aws ssm get-parameter --name /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
        after=_remember(ami="Parameter.Value"),
    ),
    Line(
        "aws ec2 create-key-pair --key-name NAME --key-type ed25519 --query KeyMaterial --output text > NAME.pem",
        run="aws ec2 create-key-pair --key-name cli-key --key-type ed25519 --query KeyMaterial --output text > cli-key.pem",
    ),
    Line("aws ec2 describe-subnets --filters Name=default-for-az,Values=true"),
    Line(
        "aws ec2 authorize-security-group-ingress --group-id ID --protocol tcp --port 22 --cidr X.X.X.X/32",
        run="aws ec2 authorize-security-group-ingress --group-id {ssh_sg} --protocol tcp --port 22 --cidr {learner_ip}/32",
        before=lambda s: s.update(
            ssh_sg=_boto("ec2").create_security_group(GroupName="cli-ssh", Description="SSH")["GroupId"]
        ),
    ),
    Line(
        "aws ec2 run-instances --image-id AMI --instance-type TYPE --key-name KEY --security-group-ids SG ...",
        run="aws ec2 run-instances --image-id {ami} --instance-type t3.micro --key-name cli-key --security-group-ids "
        "{ssh_sg} --count 1 --tag-specifications 'ResourceType=instance,Tags=[{{Key=Project,Value=aws-de-labs}}]'",
        after=_remember(instance="Instances.0.InstanceId"),
    ),
    Line("aws ec2 stop-instances --instance-ids ID", run="aws ec2 stop-instances --instance-ids {instance}"),
    Line(
        'aws ec2 describe-security-groups --group-ids SG --query "SecurityGroups[0].IpPermissions"',
        run='aws ec2 describe-security-groups --group-ids {ssh_sg} --query "SecurityGroups[0].IpPermissions"',
    ),
    Line("aws ec2 terminate-instances --instance-ids ID", run="aws ec2 terminate-instances --instance-ids {instance}"),
    # ---- 02/03 RDS ---------------------------------------------------------------------------------
    Line(
        "aws ec2 create-security-group --group-name RDS_security_group --description ... --vpc-id VPC",
        run='aws ec2 create-security-group --group-name RDS_security_group --description "MySQL from my IP" --vpc-id {vpc}',
        before=lambda s: s.update(
            vpc=_boto("ec2").describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        ),
        after=_remember(rds_sg="GroupId"),
    ),
    Line("aws rds describe-db-engine-versions --engine mysql --engine-version 8.4 --default-only"),
    Line(
        "aws rds create-db-instance --db-instance-identifier mydatabase --engine mysql --engine-version 8.4 --engine-lifecycle-support open-source-rds-extended-support-disabled --db-instance-class db.t3.micro --allocated-storage 20 --storage-type gp3 --master-username admin --manage-master-user-password --vpc-security-group-ids SG --publicly-accessible",
        run="aws rds create-db-instance --db-instance-identifier mydatabase --engine mysql --engine-version 8.4 "
        "--engine-lifecycle-support open-source-rds-extended-support-disabled --db-instance-class "
        "db.t3.micro --allocated-storage 20 --storage-type gp3 --master-username admin --manage-master-user-password "
        "--vpc-security-group-ids {rds_sg} --publicly-accessible",
        after=_remember(secret_arn="DBInstance.MasterUserSecret.SecretArn"),
    ),
    Line(
        "aws ec2 authorize-security-group-ingress --group-id SG --protocol tcp --port 3306 --cidr MY_IP/32",
        run="aws ec2 authorize-security-group-ingress --group-id {rds_sg} --protocol tcp --port 3306 --cidr {learner_ip}/32",
    ),
    Line(
        "aws secretsmanager get-secret-value --secret-id ARN --query SecretString --output text",
        run="aws secretsmanager get-secret-value --secret-id {secret_arn} --query SecretString --output text",
    ),
    Line(
        "aws rds create-db-parameter-group ...",
        run="aws rds create-db-parameter-group --db-parameter-group-name lab02-mysql --db-parameter-group-family "
        'mysql8.0 --description "Lab 02"',
    ),
    Line(
        "aws rds modify-db-parameter-group ...",
        run="aws rds modify-db-parameter-group --db-parameter-group-name lab02-mysql --parameters "
        "ParameterName=max_connections,ParameterValue=50,ApplyMethod=pending-reboot",
    ),
    Line(
        "aws rds reboot-db-instance ...",
        run="aws rds reboot-db-instance --db-instance-identifier mydatabase",
        before=_wait_db("mydatabase"),
    ),
    Line('aws ec2 describe-security-groups --query "SecurityGroups[].IpPermissions"'),
    Line(
        "aws rds delete-db-instance --db-instance-identifier mydatabase --skip-final-snapshot",
        before=_wait_db("mydatabase"),
    ),
    Line(
        "aws ec2 delete-security-group --group-id SG",
        run="aws ec2 delete-security-group --group-id {rds_sg}",
        before=_wait_db("mydatabase", status="deleted"),
    ),
    # ---- 04 S3, Glue, Athena -----------------------------------------------------------------------
    Line("aws s3 mb s3://NAME", run="aws s3 mb s3://{bucket}"),
    Line(
        "aws s3 cp file s3://NAME/input/",
        run="aws s3 cp {data_file} s3://{bucket}/input/",
    ),
    Line(
        "aws athena create-work-group --name NAME --configuration ...",
        run="aws athena create-work-group --name lab04-sales --configuration "
        "ResultConfiguration={{OutputLocation=s3://{bucket}/output/}},EnforceWorkGroupConfiguration=true",
    ),
    Line("aws glue create-database --database-input Name=sales_db"),
    Line(
        "aws athena start-query-execution --query-string ...",
        run='aws athena start-query-execution --query-string "CREATE DATABASE IF NOT EXISTS sales_db_sql" '
        "--work-group lab04-sales",
        after=_remember(qid="QueryExecutionId"),
    ),
    Line(
        'aws athena start-query-execution --query-string "$DDL" --work-group lab04-sales',
        before=lambda s: s["env"].update(
            DDL="CREATE EXTERNAL TABLE IF NOT EXISTS sales_db.sales_order_data (ordernumber int, country string) "
            f"ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION 's3://{s['bucket']}/input/'"
        ),
        after=_remember(qid="QueryExecutionId"),
    ),
    Line(
        "aws glue get-partitions --database-name sales_db --table-name sales_partitioned",
        before=_partitioned_table,
    ),
    Line(
        "aws iam create-role ...",
        run="aws iam create-role --role-name lab05-glue-crawler --assume-role-policy-document file://trust-glue.json",
        before=_write("trust-glue.json", TRUST_GLUE.replace("{", "{{").replace("}", "}}")),
        after=_remember(glue_role="Role.Arn"),
    ),
    Line(
        "aws glue create-crawler ...",
        run="aws glue create-crawler --name lab05-order-lines --role {glue_role} --database-name sales_db "
        '--targets "S3Targets=[{{Path=s3://{bucket}/input/}}]"',
    ),
    Line("aws glue start-crawler --name ...", run="aws glue start-crawler --name lab05-order-lines"),
    Line(
        "aws athena start-query-execution ...",
        run='aws athena start-query-execution --query-string "SELECT 1 AS one" --work-group lab04-sales',
        after=_remember(qid="QueryExecutionId"),
    ),
    Line(
        "aws athena get-query-results --query-execution-id ID",
        run="aws athena get-query-results --query-execution-id {qid}",
        before=_wait_query,
    ),
    # 05's clean up: the crawler (once its run is over), its role, lab 04's workgroup
    Line("aws glue delete-crawler --name lab05-order-lines", before=_wait_crawler),
    Line("aws iam delete-role --role-name lab05-glue-crawler"),
    Line("aws athena delete-work-group --work-group lab04-sales --recursive-delete-option"),
    # ---- 06 Glue ETL on Spark ----------------------------------------------------------------------
    Line(
        "aws s3 cp orders_etl.py s3://BUCKET/scripts/lab06/",
        run="aws s3 cp orders_etl.py s3://{bucket}/scripts/lab06/",
        before=_glue_job_files,
    ),
    Line(
        "aws iam create-role --role-name lab06-glue-job --assume-role-policy-document file://trust.json",
        run="aws iam create-role --role-name lab06-glue-job --assume-role-policy-document file://trust.json "
        "--tags Key=Project,Value=aws-de-labs Key=Lab,Value=cli",
        before=_write("trust.json", TRUST_GLUE.replace("{", "{{").replace("}", "}}")),
        after=_remember(glue_job_role="Role.Arn"),
    ),
    Line(
        "aws iam put-role-policy ...",
        run="aws iam put-role-policy --role-name lab06-glue-job --policy-name lab06-etl "
        "--policy-document file://job-policy.json",
    ),
    Line(
        "aws glue create-job --name lab06-orders-etl --role ROLE_ARN --command Name=glueetl,ScriptLocation=s3://...,"
        "PythonVersion=3 --glue-version 5.0 --worker-type G.1X --number-of-workers 2 ...",
        run="aws glue create-job --name lab06-orders-etl --role {glue_job_role} --command Name=glueetl,ScriptLocation="
        "s3://{bucket}/scripts/lab06/orders_etl.py,PythonVersion=3 --glue-version 5.0 --worker-type G.1X "
        "--number-of-workers 2 --timeout 10 --execution-property MaxConcurrentRuns=1 --default-arguments "
        '\'{{"--job-bookmark-option":"job-bookmark-enable","--input_path":"s3://{bucket}/input/"}}\' '
        "--tags Project=aws-de-labs,Lab=cli",
    ),
    Line("aws glue start-job-run --job-name lab06-orders-etl", after=_remember(run_id="JobRunId")),
    Line(
        "aws glue get-job-run --job-name lab06-orders-etl --run-id ID",
        run="aws glue get-job-run --job-name lab06-orders-etl --run-id {run_id}",
    ),
    Line(  # the run's log once it is over: the script's own lines are in it
        "aws logs filter-log-events --log-group-name /aws-glue/jobs/output --log-stream-name-prefix RUN_ID",
        run="aws logs filter-log-events --log-group-name /aws-glue/jobs/output --log-stream-name-prefix {run_id}",
        before=_job_run_succeeded("lab06-orders-etl", "run_id"),
        after=_logged(f"orders ETL: read {len(_sales_rows())} records"),  # every line of lab 04's file
    ),
    Line("aws glue get-job-bookmark --job-name lab06-orders-etl"),
    Line("aws glue reset-job-bookmark --job-name lab06-orders-etl"),
    Line(
        'aws glue get-job-runs --job-name lab06-orders-no-commit --query "JobRuns[].[JobRunState, ExecutionClass]" '
        "--output text",
        before=_no_commit_job_ran,
    ),
    Line(
        "aws glue update-job --job-name NAME --job-update ...",
        run="aws glue update-job --job-name lab06-orders-no-commit --job-update file://job-update.json",
        before=_job_update,
    ),
    # ---- 07 Lambda, SNS, SQS -----------------------------------------------------------------------
    Line(
        "aws iam create-role",
        run="aws iam create-role --role-name lab07-athena-summary-role --assume-role-policy-document file://trust-lambda.json",
        before=_write("trust-lambda.json", TRUST_LAMBDA.replace("{", "{{").replace("}", "}}")),
        after=_remember(lambda_role="Role.Arn"),
    ),
    Line(
        "aws iam put-role-policy",
        run="aws iam put-role-policy --role-name lab07-athena-summary-role --policy-name logs --policy-document "
        '\'{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"logs:*","Resource":"*"}}]}}\'',
    ),
    Line(
        "aws lambda create-function --zip-file fileb://package.zip ...",
        run="aws lambda create-function --zip-file fileb://package.zip --function-name {function} --runtime python3.12 "
        "--handler handler.lambda_handler --role {lambda_role}",
        before=_lambda_zip,
    ),
    Line(
        "aws sns create-topic", run="aws sns create-topic --name lab07-sales-summary", after=_remember(topic="TopicArn")
    ),
    Line(
        "aws sqs create-queue",
        run="aws sqs create-queue --queue-name lab07-sales-summary-inbox",
        after=_remember(queue_url="QueueUrl"),
    ),
    Line(
        "aws sns subscribe",
        run="aws sns subscribe --topic-arn {topic} --protocol sqs --notification-endpoint "
        "arn:aws:sqs:{region}:{account}:lab07-sales-summary-inbox",
    ),
    Line(
        "aws lambda invoke --function-name NAME out.json",
        run="aws lambda invoke --function-name {function} out.json",
        before=_wait_lambda,
    ),
    Line(
        "aws logs filter-log-events --log-group-name /aws/lambda/NAME",
        run="aws logs filter-log-events --log-group-name /aws/lambda/{function}",
    ),
    Line(
        "aws lambda add-permission ...",
        run="aws lambda add-permission --function-name {function} --statement-id s3-invoke --action "
        "lambda:InvokeFunction --principal s3.amazonaws.com --source-arn arn:aws:s3:::{bucket} --source-account {account}",
    ),
    Line(
        "aws s3api put-bucket-notification-configuration ...",
        run="aws s3api put-bucket-notification-configuration --bucket {bucket} --notification-configuration "
        '\'{{"LambdaFunctionConfigurations":[{{"LambdaFunctionArn":"arn:aws:lambda:{region}:{account}:function:'
        '{function}","Events":["s3:ObjectCreated:*"],"Filter":{{"Key":{{"FilterRules":[{{"Name":"prefix",'
        '"Value":"uploads/"}}]}}}}}}]}}\'',
    ),
    Line(
        "aws lambda put-function-event-invoke-config --function-name NAME --maximum-retry-attempts 0 --destination-config ...",
        run="aws lambda put-function-event-invoke-config --function-name {function} --maximum-retry-attempts 0 "
        "--destination-config OnFailure={{Destination=arn:aws:sqs:{region}:{account}:lab07-sales-summary-inbox}}",
    ),
    Line(
        "aws lambda update-function-code --zip-file fileb://package.zip --publish",
        run="aws lambda update-function-code --zip-file fileb://package.zip --publish --function-name {function}",
    ),
    # ---- 08 Redshift -------------------------------------------------------------------------------
    Line(
        "aws ec2 create-security-group",
        run='aws ec2 create-security-group --group-name lab08-redshift --description "Redshift 5439 from my IP" '
        "--vpc-id {vpc}",
        after=_remember(rs_sg="GroupId"),
    ),
    Line(
        "aws redshift-serverless create-namespace",
        run="aws redshift-serverless create-namespace --namespace-name lab08-sales --db-name dev --admin-username "
        "awsuser --manage-admin-password --iam-roles {rs_role} --default-iam-role-arn {rs_role} "
        "--tags key=Project,value=aws-de-labs key=Lab,value=cli",
        before=lambda s: s.update(
            rs_role=_boto("iam").create_role(
                RoleName="lab08-redshift",
                AssumeRolePolicyDocument=TRUST_REDSHIFT,
                Tags=[{"Key": k, "Value": v} for k, v in TAG_DICT.items()],
            )["Role"]["Arn"]
        ),
        after=_remember(rs_secret="namespace.adminPasswordSecretArn"),
    ),
    Line(
        "aws redshift-data execute-statement --workgroup-name ... --sql ...",
        run="aws redshift-data execute-statement --workgroup-name lab08-sales --database dev --secret-arn {rs_secret} "
        '--sql "select current_user, current_database()"',
        before=_workgroup,
        after=_statement_finished,
    ),
    Line(
        'aws redshift-data execute-statement --sql "COPY ..."',
        run="aws redshift-data execute-statement --workgroup-name lab08-sales --database dev --secret-arn {rs_secret} "
        "--sql \"COPY sales_fact FROM 's3://{bucket}/staging/sales_fact/' IAM_ROLE default CSV IGNOREHEADER 1\"",
        before=_sales_fact_staged,
        after=_copied(STAGED_ROWS),
    ),
    Line(
        "aws redshift-data execute-statement --sql ...",
        run="aws redshift-data execute-statement --workgroup-name lab08-sales --database dev --secret-arn {rs_secret} "
        "--sql \"create external schema if not exists lake from data catalog database 'sales_db' iam_role default\"",
        after=_statement_finished,
    ),
    Line("aws redshift-serverless delete-workgroup --workgroup-name lab08-sales"),
    # ---- 09 RDS high availability ------------------------------------------------------------------
    Line(
        "aws secretsmanager create-secret --name lab09/db-master --secret-string file://secret.json",
        before=_write("secret.json", '{{"username": "admin", "password": "{db_password}"}}'),
    ),
    Line(
        "aws ec2 create-security-group ...",
        run='aws ec2 create-security-group --group-name lab09-mysql --description "Lab 09 MySQL from my IP" --vpc-id {vpc}',
        after=_remember(ha_sg="GroupId"),
    ),
    Line(
        "aws ec2 authorize-security-group-ingress ...",
        run="aws ec2 authorize-security-group-ingress --group-id {ha_sg} --protocol tcp --port 3306 --cidr {learner_ip}/32",
    ),
    Line(
        "aws rds create-db-instance --db-instance-identifier lab09-primary --engine mysql --engine-version 8.4 ... "
        "--backup-retention-period 1",
        run="aws rds create-db-instance --db-instance-identifier lab09-primary --engine mysql --engine-version 8.4 "
        "--engine-lifecycle-support open-source-rds-extended-support-disabled --db-instance-class "
        "db.t3.micro --allocated-storage 20 --master-username admin --master-user-password {db_password} "
        "--vpc-security-group-ids {ha_sg} --publicly-accessible --backup-retention-period 1",
    ),
    Line(
        "aws rds create-db-instance-read-replica --db-instance-identifier lab09-replica1 --source-db-instance-identifier lab09-primary",
        before=_wait_db("lab09-primary"),
    ),
    Line(
        "aws rds modify-db-parameter-group --db-parameter-group-name lab09-semisync --parameters ParameterName=rpl_semi_sync_source_enabled,ParameterValue=1,ApplyMethod=pending-reboot",
        before=_group_of_instance_family("lab09-semisync", "lab09-primary"),
    ),
    Line(
        "aws rds promote-read-replica --db-instance-identifier lab09-replica1",
        before=_wait_db("lab09-replica1"),
    ),
    Line(
        "aws rds delete-db-instance --db-instance-identifier lab09-replica2 --skip-final-snapshot",
        before=_both(
            lambda s: _boto("rds").create_db_instance_read_replica(
                DBInstanceIdentifier="lab09-replica2", SourceDBInstanceIdentifier="lab09-primary"
            ),
            _wait_db("lab09-replica2"),
        ),
    ),
    # ---- 99 clean-up -------------------------------------------------------------------------------
    Line("aws resourcegroupstaggingapi get-resources --tag-filters Key=Project,Values=aws-de-labs"),
]


def run_line(line: Line, state: dict) -> Result:
    """Run one line with bash in the run's folder, the learner's CLI first on PATH."""
    if line.before is not None:
        line.before(state)
    command = line.command(state)
    started = time.monotonic()
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=state["cwd"],
        env=state["env"],
        input=line.stdin,
        capture_output=True,
        text=True,
        timeout=CMD_TIMEOUT_S,
    )
    result = Result(command, done.returncode, done.stdout, done.stderr, time.monotonic() - started)
    try:
        result.parsed = json.loads(done.stdout) if done.stdout.strip().startswith(("{", "[")) else done.stdout
    except ValueError:
        result.parsed = done.stdout
    if done.returncode == 0 and line.after is not None:
        line.after(state, result.parsed)
    return result


def initial_state(cwd: Path, target, learner_ip: str) -> dict:
    """What the lines' templates start from: the account, a bucket name, the learner's address, and
    an environment whose ``aws`` is the one beside this Python (the course's CLI, as lab.start sets)."""
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    suffix = f"{os.getpid()}-{int(time.time())}"
    return {
        "cwd": str(cwd),
        "env": env,
        "account": target.account,
        "region": target.region,
        "learner_ip": learner_ip,
        "bucket0": f"cli-lines-00-{suffix}",
        "bucket": f"cli-lines-04-{suffix}",
        "function": "lab07-athena-summary",
        "db_password": "Cli" + os.urandom(8).hex(),  # never a fixed password, even offline
        "data_file": shlex.quote(str(ROOT / "data" / "sales_data_sample.csv")),
    }
