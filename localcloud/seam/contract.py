"""Every moto name localcloud relies on, in one list: the contract a moto upgrade must keep.

``tests/test_moto_contract.py`` checks it: the static part here (:func:`check`: importable
names, methods of backend classes, call signatures) and the model attributes on real objects
(:data:`MODEL_ATTRIBUTES`).  When a moto upgrade moves something, the test prints the full list
of what moved.  Add a name here in the same change that starts using it in the adapter.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Symbol:
    module: str
    name: str  # "attr" or "Class.attr"
    params: tuple[str, ...] | None = None  # the leading parameters the adapter passes (None: not called)
    exact: bool = False  # the adapter *replaces* it: the whole parameter list must match
    fallback: str = ""  # for optional symbols: what the adapter uses when it is missing

    def __str__(self) -> str:
        return f"{self.module}.{self.name}"


REQUIRED: tuple[Symbol, ...] = (
    # backends and their keys
    Symbol("moto.backends", "get_backend", ("name",)),
    Symbol("moto.utilities.utils", "get_partition", ("region",)),
    Symbol("moto.awslambda.utils", "get_backend", ("account_id", "region")),
    Symbol("moto.core.base_backend", "AccountSpecificBackend.__getitem__", ("self", "region_name")),
    # the server, seeding, reset, request ids
    Symbol("moto.moto_server.werkzeug_app", "DomainDispatcherApplication", ("create_app",)),
    Symbol("moto.moto_server.werkzeug_app", "create_backend_app", ("service",)),
    Symbol("moto.backends", "list_of_moto_modules", (), exact=True),  # read once by server.wsgi_app
    Symbol("moto.core.responses", "method_names_from_class", ("clazz",), exact=True),  # cached there
    Symbol("moto.core.responses", "gen_amzn_requestid_long", ("headerdict",), exact=True),
    Symbol("moto.moto_api._internal", "mock_random"),
    Symbol("moto.moto_api._internal.moto_random", "MotoRandom.seed"),
    Symbol("moto.moto_api._internal.models", "moto_api_backend"),
    Symbol("moto.moto_api._internal.models", "MotoAPIBackend.reset", ("self",)),
    # an engine's own answer, serialized as moto serializes its answers
    Symbol("moto.core.utils", "get_service_model", ("service_name",)),
    Symbol("moto.core.serialize", "get_serializer_class", ("service_name", "protocol")),
    Symbol("moto.core.serialize", "SerializationContext", ("request_id",)),
    Symbol("moto.core.serialize", "ResponseSerializer.serialize", ("self", "result")),
    # RDS events, default versions and parameter groups
    Symbol("moto.rds.models", "Event"),
    Symbol("moto.rds.models", "DBInstance.default_engine_versions"),
    Symbol("moto.rds.models", "RDSBackend.create_db_parameter_group", ("self", "db_parameter_group_kwargs")),
    Symbol("moto.core.base_backend", "BackendDict._instances"),
    Symbol("moto.core.base_backend", "BackendDict.clear"),
    Symbol("moto.settings", "DISABLE_GLOBAL_CORS"),  # MOTO_DISABLE_GLOBAL_CORS (seam.MOTO_SETTINGS) turns it on
    # not-found errors the lookups translate
    Symbol("moto.ec2.exceptions", "InvalidInstanceIdError"),
    Symbol("moto.awslambda.exceptions", "UnknownFunctionException"),
    Symbol("moto.s3.exceptions", "MissingBucket"),
    Symbol("moto.iam.exceptions", "NotFoundException"),
    Symbol("moto.sqs.exceptions", "QueueDoesNotExist"),
    Symbol("moto.s3.models", "FakeKey"),
    # a bucket's keys: a dict of version lists, current version last (seam.s3_keys_snapshot copies it)
    Symbol("moto.s3.utils", "_VersionedKeyStore.getlist", ("self", "key")),
    Symbol("moto.s3.utils", "_VersionedKeyStore._self_iterable", ("self",)),
    Symbol("moto.secretsmanager.exceptions", "SecretNotFoundException"),
    # backend methods the adapter calls
    Symbol("moto.ec2.models", "EC2Backend.get_instance", ("self", "instance_id")),
    Symbol("moto.ec2.models", "EC2Backend.get_security_group_from_id", ("self", "group_id")),
    Symbol("moto.ec2.models", "EC2Backend.create_tags", ("self", "resource_ids", "tags")),
    Symbol("moto.ec2.models", "EC2Backend.delete_tags", ("self", "resource_ids", "tags")),
    Symbol("moto.ec2.models", "EC2Backend.get_default_security_group", ("self", "vpc_id")),
    Symbol("moto.ec2.models", "EC2Backend.get_default_vpc", ("self",)),
    Symbol("moto.redshift.models", "RedshiftBackend.delete_cluster", ("self",)),
    Symbol(
        "moto.secretsmanager.models",
        "SecretsManagerBackend.create_managed_secret",
        ("self", "service_name", "secret_id", "secret_string", "secret_binary", "description"),
    ),
    Symbol(
        "moto.secretsmanager.models",
        "SecretsManagerBackend.get_secret_value",
        ("self", "secret_id", "version_id", "version_stage"),
    ),
    Symbol(
        "moto.secretsmanager.models",
        "SecretsManagerBackend.delete_secret",
        ("self", "secret_id", "recovery_window_in_days", "force_delete_without_recovery"),
    ),
    Symbol("moto.s3.models", "S3Backend.get_bucket", ("self", "bucket_name")),
    Symbol("moto.s3.models", "S3Backend.put_object", ("self", "bucket_name", "key_name", "value")),
    Symbol("moto.glue.models", "GlueBackend.create_database", ("self", "database_name", "database_input")),
    Symbol("moto.glue.models", "GlueBackend.delete_database", ("self", "database_name")),
    Symbol("moto.glue.models", "GlueBackend.create_table", ("self", "database_name", "table_name", "table_input")),
    Symbol("moto.glue.models", "GlueBackend.update_table", ("self", "database_name", "table_name", "table_input")),
    Symbol("moto.glue.models", "GlueBackend.delete_table", ("self", "database_name", "table_name")),
    Symbol("moto.glue.models", "GlueBackend.create_partition", ("self", "database_name", "table_name", "part_input")),
    Symbol("moto.glue.models", "GlueBackend.delete_partition", ("self", "database_name", "table_name")),
    Symbol("moto.glue.models", "GlueBackend.get_crawler", ("self", "name")),
    Symbol("moto.glue.models", "FakeTable.as_dict", ("self",)),
    Symbol("moto.glue.models", "FakeJob.as_dict", ("self",)),
    Symbol("moto.core.utils", "utcnow"),
    Symbol("moto.awslambda.models", "LambdaBackend.get_function", ("self", "function_name_or_arn", "qualifier")),
    Symbol("moto.awslambda.models", "LambdaBackend.get_event_source_mapping", ("self", "uuid")),
    Symbol(
        "moto.awslambda.models",
        "LambdaBackend.list_event_source_mappings",
        ("self", "event_source_arn", "function_name"),
    ),
    Symbol(
        "moto.rds.models",
        "RDSBackend.delete_db_instance",
        ("self", "db_instance_identifier", "final_db_snapshot_identifier", "skip_final_snapshot"),
    ),
    Symbol("moto.ec2.models", "EC2Backend.all_instances", ("self",)),
    # persistence (seam/state.py): every backend pickled by name, the id generator's state
    Symbol("moto", "__version__"),
    Symbol("moto.core.base_backend", "BackendDict._instances"),
    Symbol("moto.core.base_backend", "BackendDict.__getitem__", ("self", "account_id")),
    Symbol("moto.core.base_backend", "AccountSpecificBackend"),
    Symbol("moto.moto_api._internal.moto_random", "MotoRandom.getstate", ("self",)),
    Symbol("moto.moto_api._internal.moto_random", "MotoRandom.setstate", ("self", "state")),
    Symbol("moto.utilities.docker_utilities", "DockerModel"),
    Symbol("moto.s3.models", "FakeKey.__getstate__", ("self",)),
    Symbol("moto.s3.models", "FakeKey.__setstate__", ("self", "state")),
    Symbol("moto.awslambda.models", "LambdaBackend.list_functions", ("self", "func_version")),
    Symbol("moto.iam.models", "IAMBackend.get_role_by_arn", ("self", "arn")),
    Symbol("moto.sqs.models", "SQSBackend.get_queue", ("self", "queue_name")),
    Symbol(
        "moto.sqs.models",
        "SQSBackend.receive_message",
        ("self", "queue_name", "count", "wait_seconds_timeout", "visibility_timeout"),
    ),
    Symbol("moto.sqs.models", "SQSBackend.delete_message", ("self", "queue_name", "receipt_handle")),
    Symbol("moto.sqs.models", "SQSBackend.send_message", ("self", "queue_name", "message_body")),
    Symbol("moto.sns.models", "SNSBackend.publish", ("self", "message", "arn")),
    Symbol("moto.sns.models", "SNSBackend.get_topic", ("self", "arn")),
    Symbol("moto.sns.exceptions", "TopicNotFound"),
    Symbol("moto.logs.models", "LogsBackend.ensure_log_group", ("self", "log_group_name")),
    Symbol("moto.logs.models", "LogsBackend.create_log_stream", ("self", "log_group_name", "log_stream_name")),
    Symbol(
        "moto.logs.models", "LogsBackend.put_log_events", ("self", "log_group_name", "log_stream_name", "log_events")
    ),
    # S3 access settings (seam/s3_access.py)
    Symbol("moto.s3.models", "OWNER"),
    Symbol("moto.s3.models", "ALL_USERS_GRANTEE"),
    Symbol("moto.s3.models", "AUTHENTICATED_USERS_GRANTEE"),
    Symbol(
        "moto.s3.models",
        "PublicAccessBlock",
        ("block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets"),
        exact=True,
    ),
    # SSM parameters CloudFormation templates read (seam/ssm.py)
    Symbol("moto.ssm.exceptions", "ParameterVersionNotFound"),
    Symbol("moto.ssm.models", "SimpleSystemManagerBackend.get_parameter", ("self", "name")),
    # default security groups with their self-referencing inbound rule (seam/ec2_defaults.py)
    Symbol(
        "moto.ec2.models.security_groups",
        "SecurityGroupBackend.create_security_group",
        ("self", "name", "description", "vpc_id", "tags", "force", "is_default"),
        exact=True,
    ),
    Symbol(
        "moto.ec2.models.security_groups",
        "SecurityGroupRule",
        ("ec2_backend", "ip_protocol", "group_id", "from_port", "to_port", "ip_range", "source_group"),
    ),
    # EC2 key pairs and Elastic IPs (seam/ec2_api.py)
    Symbol("moto.ec2.models", "EC2Backend.disassociate_address", ("self", "address")),
    # AWS managed IAM policies, made on first use (seam/iam_policies.py)
    Symbol("moto.iam.aws_managed_policies", "aws_managed_policies_data"),
    Symbol("moto.iam.models", "AWSManagedPolicy.from_data", ("name", "account_id", "region_name", "data")),
    # the Lambda trigger paths the hooks replace (our replacement takes exactly these)
    Symbol(
        "moto.s3.notifications", "_invoke_awslambda", ("account_id", "event_body", "fn_arn", "region_name"), exact=True
    ),
    Symbol(
        "moto.sns.models",
        "Subscription.publish",
        (
            "self",
            "message",
            "message_id",
            "subject",
            "message_attributes",
            "group_id",
            "deduplication_id",
            "message_structure",
        ),
        exact=True,
    ),
    Symbol("moto.sns.models", "Subscription._parse_message_structure", ("self", "message", "protocol")),
    Symbol(
        "moto.awslambda.models",
        "LambdaFunction.invoke",
        ("self", "body", "request_headers", "response_headers"),
        exact=True,
    ),
)

# moto's classes that seam.models re-exports under stable names, for annotations: engines name
# them there and never import moto (a class that moved fails here, by name)
MODEL_CLASSES: dict[str, tuple[str, ...]] = {
    "moto.athena.models": ("AthenaBackend", "DataCatalog", "NamedQuery", "WorkGroup"),
    "moto.awslambda.models": ("EventInvokeConfig", "EventSourceMapping", "LambdaBackend", "LambdaFunction"),
    "moto.core.base_backend": ("BaseBackend",),
    "moto.ec2.models": ("EC2Backend",),
    "moto.ec2.models.amis": ("Ami",),
    "moto.ec2.models.elastic_ip_addresses": ("ElasticAddress",),
    "moto.ec2.models.instances": ("Instance",),
    "moto.ec2.models.key_pairs": ("KeyPair",),
    "moto.ec2.models.security_groups": ("SecurityGroup", "SecurityGroupRule"),
    "moto.ec2.models.vpcs": ("VPC",),
    "moto.glue.models": ("FakeCrawler", "FakeJob", "FakeTable", "GlueBackend"),
    "moto.iam.models": ("IAMBackend", "Role"),
    "moto.logs.models": ("LogsBackend",),
    "moto.rds.models": ("DBInstance", "DBParameterGroup", "Event", "RDSBackend"),
    "moto.redshift.models": ("Cluster", "RedshiftBackend"),
    "moto.s3.models": (
        "FakeAcl",
        "FakeBucket",
        "FakeDeleteMarker",
        "FakeKey",
        "NotificationConfiguration",
        "S3Backend",
    ),
    "moto.secretsmanager.models": ("SecretsManagerBackend",),
    "moto.sns.models": ("SNSBackend",),
    "moto.sqs.models": ("Message", "Queue", "SQSBackend"),
    "moto.ssm.models": ("SimpleSystemManagerBackend",),
}
REQUIRED += tuple(Symbol(module, name) for module, names in MODEL_CLASSES.items() for name in names)

OPTIONAL: tuple[Symbol, ...] = (
    Symbol(
        "moto.moto_server.werkzeug_app",
        "MotoRequestHandler",
        fallback="werkzeug.serving.WSGIRequestHandler (S3 metadata header names lose their underscores)",
    ),
)

# Attributes of moto's backends (instances for us-east-1) the adapter reads.
BACKEND_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "ec2": ("amis", "key_pairs", "addresses", "groups"),
    "rds": ("databases", "db_parameter_groups", "events"),
    "athena": ("work_groups", "named_queries", "data_catalogs"),
    "glue": ("databases", "crawlers", "jobs"),
    "redshift": ("clusters",),
    "s3": ("buckets",),
    "logs": ("groups",),
    "iam": ("managed_policies", "aws_managed_policies", "account_id", "region_name"),
}

# Attributes of moto's model objects that localcloud reads or sets, checked on real objects by
# tests/test_moto_contract.py (moto sets most of them in __init__, invisible to a class check).
MODEL_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "ec2 instance": ("id", "image_id", "key_name", "state", "security_groups", "nics", "private_ip_address"),
    "ec2 network interface": ("group_set",),
    "ec2 security group": ("id", "ingress_rules", "ec2_backend", "owner_id", "is_default"),
    "ec2 security group rule": ("id", "ip_protocol", "from_port", "to_port", "ip_range", "source_group"),
    "ec2 vpc": ("cidr_block",),
    "ec2 image": ("name", "description", "platform"),
    "ec2 key pair": ("material_public", "material", "key_type", "key_fingerprint"),
    "ec2 elastic ip": ("allocation_id", "public_ip", "domain", "instance", "eni"),
    "rds db instance": (
        "db_instance_identifier",
        "status",
        "engine",
        "port",
        "publicly_accessible",
        "vpc_security_group_ids",
        "backup_retention_period",
        "manage_master_user_password",
        "master_user_secret",
        "db_parameter_group_name",
        "db_instance_class",
        "engine_version",
        "allocated_storage",
        "arn",
        "is_replica",
        "source_db_instance_identifier",
        "replicas",
        "tags",
        "deletion_protection",
    ),
    "rds managed secret": ("secret",),
    "secretsmanager secret": ("secret_string", "versions", "arn"),
    "redshift cluster": (
        "cluster_identifier",
        "status",
        "node_type",
        "master_username",
        "master_user_password",
        "db_name",
        "number_of_nodes",
        "port",
        "publicly_accessible",
        "vpc_security_group_ids",
        "iam_roles_arn",
        "tags",
    ),
    "rds db parameter group": ("parameters", "family"),
    "athena workgroup": ("state", "configuration", "description"),
    "athena named query": ("id", "name", "description", "database", "query_string", "workgroup"),
    "athena data catalog": ("name", "type"),
    "glue database": ("name", "tables"),
    "glue table": ("name", "partitions"),
    "glue partition": ("values", "partition_input"),
    "glue crawler": ("name", "database_name", "targets", "table_prefix", "schema_change_policy"),
    # UpdateJob sets these (seam.backends._JOB_UPDATE); glue_job_names reads name and command
    "glue job": (
        "name",
        "description",
        "log_uri",
        "role",
        "execution_property",
        "command",
        "default_arguments",
        "non_overridable_arguments",
        "connections",
        "max_retries",
        "allocated_capacity",
        "timeout",
        "max_capacity",
        "worker_type",
        "number_of_workers",
        "security_configuration",
        "notification_property",
        "glue_version",
        "code_gen_configuration_nodes",
        "execution_class",
        "source_control_details",
        "last_modified_on",
    ),
    "s3 bucket": ("keys", "notification_configuration", "ownership_rule", "public_access_block", "acl", "policy"),
    "s3 object": ("size", "etag", "value", "acl"),
    "s3 acl grant": ("grantees",),
    "s3 acl grantee": ("id", "uri"),
    "s3 public access block": (
        "block_public_acls",
        "ignore_public_acls",
        "block_public_policy",
        "restrict_public_buckets",
    ),
    "s3 notification configuration": ("cloud_function",),
    "s3 lambda notification": ("arn",),
    "lambda function": (
        "function_name",
        "function_arn",
        "code_bytes",
        "handler",
        "run_time",
        "environment_vars",
        "memory_size",
        "timeout",
        "role",
        "region",
        "policy",
        "reserved_concurrency",
        "event_invoke_config",
        "code_size",
    ),
    "lambda policy": ("statements",),
    "lambda event source mapping": (
        "uuid",
        "event_source_arn",
        "function_arn",
        "enabled",
        "batch_size",
        "function_response_types",
    ),
    "iam role": ("assume_role_policy_document",),
    "sqs queue": ("name", "queue_arn", "visibility_timeout", "lambda_event_source_mappings"),
    "sqs message": (
        "id",
        "receipt_handle",
        "body",
        "body_md5",
        "approximate_receive_count",
        "approximate_first_receive_timestamp",
        "sent_timestamp",
        "sender_id",
        "message_attributes",
    ),
    "sns subscription": ("arn", "protocol", "endpoint", "topic", "account_id", "_filter_policy_matcher"),
    "logs group": ("streams",),
}


def _resolve(symbol: Symbol) -> Any:  # whatever the module attribute is
    obj = importlib.import_module(symbol.module)
    for part in symbol.name.split("."):
        obj = getattr(obj, part)
    return obj


def problem(symbol: Symbol) -> str | None:
    """What is wrong with one symbol in the installed moto, or None."""
    try:
        obj = _resolve(symbol)
    except (ImportError, AttributeError) as exc:
        return f"{symbol}: missing ({type(exc).__name__}: {exc})"
    if symbol.params is None:
        return None
    try:
        params = tuple(inspect.signature(obj).parameters)
    except (TypeError, ValueError) as exc:
        return f"{symbol}: no signature ({exc})"
    ok = params == symbol.params if symbol.exact else params[: len(symbol.params)] == symbol.params
    if not ok:
        want = "exactly " if symbol.exact else "starting with "
        return f"{symbol}: parameters are ({', '.join(params)}), the adapter needs {want}({', '.join(symbol.params)})"
    return None


def check() -> list[str]:
    """Every way the installed moto breaks the static contract (empty when it keeps it)."""
    problems = [p for s in REQUIRED if (p := problem(s))]
    try:
        backends = importlib.import_module("localcloud.seam.backends")
    except ImportError as exc:
        return problems + [f"localcloud.seam.backends: cannot be imported ({exc})"]
    for service, attrs in BACKEND_ATTRIBUTES.items():
        try:
            be = backends.backend(service)
        except Exception as exc:  # report every break, not only the first
            problems.append(f"backend {service}: cannot be looked up ({type(exc).__name__}: {exc})")
            continue
        problems += [
            f"backend {service} ({type(be).__name__}): no attribute {a!r}" for a in attrs if not hasattr(be, a)
        ]
    return problems


def optional_missing() -> list[str]:
    """Optional symbols this moto lacks, each with the fallback the adapter uses instead."""
    return [f"{s}: missing, using {s.fallback}" for s in OPTIONAL if problem(s)]
