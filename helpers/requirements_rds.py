"""Prerequisite ``rds-mydatabase``: lab 02's MySQL database, for labs 03 and 09.

Re-creates exactly what lab 02 builds (same names, tagged ``Lab=02``) and waits silently,
so a later lab prints the same whether it ran after lab 02 or on its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from . import clients, lab
from .lab import requirement

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

DB_INSTANCE_ID = "mydatabase"
SG_NAME = "RDS_security_group"
MYSQL_PORT = 3306


def _default_vpc_id(ec2: EC2Client) -> str:
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    if not vpcs:
        ec2.create_default_vpc()
        vpcs = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    return vpcs[0]["VpcId"]


def ensure_security_group(ec2: EC2Client) -> str:
    """The database's security group, allowing tcp 3306 from ``lab.my_cidr()`` only."""
    vpc_id = _default_vpc_id(ec2)
    groups = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [SG_NAME]}, {"Name": "vpc-id", "Values": [vpc_id]}]
    )["SecurityGroups"]
    if groups:
        gid = groups[0]["GroupId"]
    else:
        gid = ec2.create_security_group(
            GroupName=SG_NAME,
            Description="MySQL from the learner's address only",
            VpcId=vpc_id,
            # boto3-stubs type EC2's and RDS's tag keys as optional, lab.Tag's are required (both always set)
            TagSpecifications=[{"ResourceType": "security-group", "Tags": lab.tags(Lab="02", Name=SG_NAME)}],  # type: ignore[list-item, misc]
        )["GroupId"]
    try:
        ec2.authorize_security_group_ingress(
            GroupId=gid,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": MYSQL_PORT,
                    "ToPort": MYSQL_PORT,
                    "IpRanges": [{"CidrIp": lab.my_cidr(), "Description": "MySQL from my address"}],
                }
            ],
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "InvalidPermission.Duplicate":
            raise
    return gid


@requirement(
    "rds-mydatabase",
    lab="02",
    description="the lab 02 MySQL database `mydatabase`, reachable on 3306 from your address",
)
def ensure_mydatabase() -> bool:
    rds, ec2 = clients.client("rds"), clients.client("ec2")
    gid = ensure_security_group(ec2)
    created = False
    try:
        db = rds.describe_db_instances(DBInstanceIdentifier=DB_INSTANCE_ID)["DBInstances"][0]
        if db["DBInstanceStatus"] == "stopped":
            rds.start_db_instance(DBInstanceIdentifier=DB_INSTANCE_ID)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "DBInstanceNotFound":
            raise
        lab.check_free_tier(rds_instance_class="db.t3.micro")
        rds.create_db_instance(
            DBInstanceIdentifier=DB_INSTANCE_ID,
            Engine="mysql",
            EngineVersion=lab.fact("rds.mysql_84_major"),  # pinned as lab 02 does: RDS picks 8.4's default minor
            EngineLifecycleSupport="open-source-rds-extended-support-disabled",  # never paid Extended Support
            DBInstanceClass="db.t3.micro",
            AllocatedStorage=20,
            StorageType="gp3",
            MasterUsername="admin",
            ManageMasterUserPassword=True,
            VpcSecurityGroupIds=[gid],
            PubliclyAccessible=True,
            BackupRetentionPeriod=0,
            CopyTagsToSnapshot=True,
            Tags=lab.tags(Lab="02"),  # type: ignore[arg-type]  # optional vs required keys, as above
        )
        created = True
    delay, attempts = lab.poll_policy(30, 60)  # RDS takes 5-10 minutes to create on AWS
    rds.get_waiter("db_instance_available").wait(
        DBInstanceIdentifier=DB_INSTANCE_ID,
        WaiterConfig={"Delay": delay, "MaxAttempts": attempts},  # type: ignore[typeddict-item]  # float Delay: lab.poll_policy
    )
    return created
