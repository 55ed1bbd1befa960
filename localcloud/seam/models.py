"""moto's model and backend classes under stable names, for annotations outside the seam.

Engines never import moto: they annotate what the seam hands them with these names
(``from localcloud.seam.models import RdsInstance``), so a moto upgrade that moves a class is
fixed here, once.  The seam's own lookups return these types (:mod:`.backends`).
"""

from moto.athena.models import AthenaBackend, NamedQuery
from moto.athena.models import DataCatalog as AthenaDataCatalog
from moto.athena.models import WorkGroup as AthenaWorkGroup
from moto.awslambda.models import EventInvokeConfig as LambdaEventInvokeConfig
from moto.awslambda.models import EventSourceMapping, LambdaBackend, LambdaFunction
from moto.core.base_backend import BaseBackend
from moto.ec2.models import EC2Backend as Ec2Backend
from moto.ec2.models.amis import Ami as Ec2Image
from moto.ec2.models.elastic_ip_addresses import ElasticAddress as Ec2ElasticAddress
from moto.ec2.models.instances import Instance as Ec2Instance
from moto.ec2.models.key_pairs import KeyPair as Ec2KeyPair
from moto.ec2.models.security_groups import SecurityGroup as Ec2SecurityGroup
from moto.ec2.models.security_groups import SecurityGroupRule as Ec2SecurityGroupRule
from moto.ec2.models.vpcs import VPC as Ec2Vpc
from moto.glue.models import FakeCrawler as GlueCrawler
from moto.glue.models import FakeDatabase as GlueDatabase
from moto.glue.models import FakeJob as GlueJob
from moto.glue.models import FakeTable as GlueTable
from moto.glue.models import GlueBackend
from moto.iam.models import IAMBackend as IamBackend
from moto.iam.models import Role as IamRole
from moto.logs.models import LogsBackend
from moto.rds.models import DBInstance as RdsInstance
from moto.rds.models import DBParameterGroup as RdsParameterGroup
from moto.rds.models import Event as RdsEvent
from moto.rds.models import RDSBackend as RdsBackend
from moto.redshift.models import Cluster as RedshiftCluster
from moto.redshift.models import RedshiftBackend
from moto.s3.models import FakeAcl as S3Acl
from moto.s3.models import FakeBucket as S3Bucket
from moto.s3.models import FakeDeleteMarker as S3DeleteMarker
from moto.s3.models import FakeKey as S3Object
from moto.s3.models import NotificationConfiguration as S3NotificationConfiguration
from moto.s3.models import S3Backend
from moto.secretsmanager.models import SecretsManagerBackend
from moto.sns.models import SNSBackend as SnsBackend
from moto.sqs.models import Message as SqsMessage
from moto.sqs.models import Queue as SqsQueue
from moto.sqs.models import SQSBackend as SqsBackend
from moto.ssm.models import SimpleSystemManagerBackend as SsmBackend

__all__ = [
    "AthenaBackend",
    "AthenaDataCatalog",
    "AthenaWorkGroup",
    "BaseBackend",
    "Ec2Backend",
    "Ec2ElasticAddress",
    "Ec2Image",
    "Ec2Instance",
    "Ec2KeyPair",
    "Ec2SecurityGroup",
    "Ec2SecurityGroupRule",
    "Ec2Vpc",
    "EventSourceMapping",
    "GlueBackend",
    "GlueCrawler",
    "GlueDatabase",
    "GlueJob",
    "GlueTable",
    "IamBackend",
    "IamRole",
    "LambdaBackend",
    "LambdaEventInvokeConfig",
    "LambdaFunction",
    "LogsBackend",
    "NamedQuery",
    "RdsBackend",
    "RdsEvent",
    "RdsInstance",
    "RdsParameterGroup",
    "RedshiftBackend",
    "RedshiftCluster",
    "S3Acl",
    "S3Backend",
    "S3Bucket",
    "S3DeleteMarker",
    "S3NotificationConfiguration",
    "S3Object",
    "SecretsManagerBackend",
    "SnsBackend",
    "SqsBackend",
    "SqsMessage",
    "SqsQueue",
    "SsmBackend",
]
