"""moto's in-memory state, looked up by (service, account, region), and the lookups engines need.

Getters raise :class:`NotFound` when AWS would say "no such thing" (built from moto's own
not-found errors, never from a blanket ``except Exception``); ``find_*`` return None for an
absence that is an ordinary answer (a dict lookup).  Anything else moto raises propagates.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from typing import Any, Literal, overload

from moto.awslambda.exceptions import UnknownFunctionException
from moto.awslambda.utils import get_backend as _lambda_backend
from moto.backends import get_backend
from moto.core.base_backend import BackendDict
from moto.core.utils import utcnow
from moto.ec2.exceptions import InvalidInstanceIdError
from moto.iam.exceptions import NotFoundException as IamNotFound
from moto.s3.exceptions import MissingBucket
from moto.secretsmanager.exceptions import SecretNotFoundException
from moto.sns.exceptions import TopicNotFound
from moto.sqs.exceptions import QueueDoesNotExist
from moto.utilities.utils import get_partition

from .. import config
from ..security_groups import Rule
from .models import (
    AthenaBackend,
    AthenaWorkGroup,
    BaseBackend,
    Ec2Backend,
    Ec2Image,
    Ec2Instance,
    Ec2SecurityGroup,
    EventSourceMapping,
    GlueBackend,
    GlueCrawler,
    GlueJob,
    GlueTable,
    IamBackend,
    IamRole,
    LambdaBackend,
    LambdaFunction,
    LogsBackend,
    NamedQuery,
    RdsBackend,
    RdsEvent,
    RdsInstance,
    RdsParameterGroup,
    RedshiftBackend,
    RedshiftCluster,
    S3Backend,
    S3Bucket,
    S3NotificationConfiguration,
    S3Object,
    SecretsManagerBackend,
    SnsBackend,
    SqsBackend,
    SqsMessage,
    SqsQueue,
    SsmBackend,
)


class NotFound(LookupError):
    """AWS would answer "not found" for this (``kind`` names what, ``name`` which one)."""

    def __init__(self, kind: str, name: str) -> None:
        super().__init__(f"{kind} {name} not found")
        self.kind, self.name = kind, name


@overload
def backend(
    service: Literal["athena"], region: str = config.REGION, account: str = config.ACCOUNT_ID
) -> AthenaBackend: ...
@overload
def backend(service: Literal["ec2"], region: str = config.REGION, account: str = config.ACCOUNT_ID) -> Ec2Backend: ...
@overload
def backend(service: Literal["glue"], region: str = config.REGION, account: str = config.ACCOUNT_ID) -> GlueBackend: ...
@overload
def backend(service: Literal["iam"], region: str = config.REGION, account: str = config.ACCOUNT_ID) -> IamBackend: ...
@overload
def backend(
    service: Literal["lambda"], region: str = config.REGION, account: str = config.ACCOUNT_ID
) -> LambdaBackend: ...
@overload
def backend(service: Literal["logs"], region: str = config.REGION, account: str = config.ACCOUNT_ID) -> LogsBackend: ...
@overload
def backend(service: Literal["rds"], region: str = config.REGION, account: str = config.ACCOUNT_ID) -> RdsBackend: ...
@overload
def backend(
    service: Literal["redshift"], region: str = config.REGION, account: str = config.ACCOUNT_ID
) -> RedshiftBackend: ...
@overload
def backend(service: Literal["s3"], region: str = config.REGION, account: str = config.ACCOUNT_ID) -> S3Backend: ...
@overload
def backend(
    service: Literal["secretsmanager"], region: str = config.REGION, account: str = config.ACCOUNT_ID
) -> SecretsManagerBackend: ...
@overload
def backend(service: Literal["sns"], region: str = config.REGION, account: str = config.ACCOUNT_ID) -> SnsBackend: ...
@overload
def backend(service: Literal["sqs"], region: str = config.REGION, account: str = config.ACCOUNT_ID) -> SqsBackend: ...
@overload
def backend(service: Literal["ssm"], region: str = config.REGION, account: str = config.ACCOUNT_ID) -> SsmBackend: ...
@overload
def backend(service: str, region: str = config.REGION, account: str = config.ACCOUNT_ID) -> BaseBackend: ...
def backend(service: str, region: str = config.REGION, account: str = config.ACCOUNT_ID) -> BaseBackend:
    """moto's backend for ``service`` in ``account`` and ``region``.

    Global services (S3, IAM, STS, Budgets, ...) are keyed by *partition* in moto 5 (``aws``),
    not by region: the key is whichever of the two moto's backend dictionary knows.  A literal
    service name gives moto's own backend class (``backend("rds")`` is an ``RdsBackend``).
    """
    if service == "lambda":  # moto picks its Docker-less backend from its own configuration
        return _lambda_backend(account, region)
    # moto's get_backend is overloaded on its literal service names only; any other str is
    # looked up the same way at run time (the contract check passes names from a table).
    backends: BackendDict[BaseBackend] = get_backend(service)  # type: ignore[call-overload]
    per_account = backends[account]
    return per_account[region if region in per_account.regions else get_partition(region)]


# ---- EC2 --------------------------------------------------------------------------------------


def ec2_instance(instance_id: str, region: str = config.REGION) -> Ec2Instance:
    try:
        return backend("ec2", region).get_instance(instance_id)
    except InvalidInstanceIdError:
        raise NotFound("ec2 instance", instance_id) from None


def ec2_image(image_id: str, region: str = config.REGION) -> Ec2Image | None:
    """The AMI, or None when moto does not know it (an instance may outlive its AMI)."""
    return backend("ec2", region).amis.get(image_id)


def ec2_key_material(key_name: str, region: str = config.REGION) -> bytes | str:
    """The public key (OpenSSH line) of a key pair: bytes when moto made it, the request's text
    when ImportKeyPair gave it (moto stores ``PublicKeyMaterial`` as it comes)."""
    kp = backend("ec2", region).key_pairs.get(key_name)
    if kp is None:
        raise NotFound("ec2 key pair", key_name)
    return kp.material_public


def ec2_set_tag(resource_id: str, key: str, value: str, region: str = config.REGION) -> None:
    backend("ec2", region).create_tags([resource_id], {key: value})


def ec2_remove_tag(resource_id: str, key: str, region: str = config.REGION) -> None:
    # moto annotates the values as str; None deletes the tag whatever its value (moto's own test)
    backend("ec2", region).delete_tags([resource_id], {key: None})  # type: ignore[dict-item]


def ec2_instance_states(region: str = config.REGION) -> dict[str, str]:
    """instance id -> state name of every instance moto knows (persistence)."""
    return {i.id: i.state for i in backend("ec2", region).all_instances()}


def ec2_group_exists(group_id: str, region: str = config.REGION) -> bool:
    return backend("ec2", region).get_security_group_from_id(group_id) is not None


def _rules(groups: Iterable[Ec2SecurityGroup]) -> list[Rule]:
    """moto's ingress rules as the policy's plain rules (one source per moto rule)."""
    out = []
    for g in groups:
        for r in list(g.ingress_rules):
            rng = r.ip_range or {}
            out.append(Rule(str(r.ip_protocol or ""), r.from_port, r.to_port, rng.get("CidrIp") or rng.get("CidrIpv6")))
    return out


def ec2_ingress_rules(group_ids: Iterable[str], region: str = config.REGION) -> list[Rule]:
    """The ingress rules of these security groups now (a group that no longer exists has none)."""
    ec2 = backend("ec2", region)
    groups = [g for g in (ec2.get_security_group_from_id(gid) for gid in group_ids) if g is not None]
    return _rules(groups)


def ec2_ingress_group_refs(group_ids: Iterable[str], region: str = config.REGION) -> list[tuple[Rule, str]]:
    """The ingress rules of these security groups whose source is another security group, as
    (the rule without a source, the referenced group's id): traffic from inside the VPC."""
    ec2 = backend("ec2", region)
    out = []
    for g in [g for g in (ec2.get_security_group_from_id(gid) for gid in group_ids) if g is not None]:
        for r in list(g.ingress_rules):
            ref = (r.source_group or {}).get("GroupId")
            if ref:
                out.append((Rule(str(r.ip_protocol or ""), r.from_port, r.to_port, None), ref))
    return out


def ec2_default_group_id(region: str = config.REGION) -> str | None:
    """The default VPC's default security group (what AWS attaches when a request names none)."""
    group = backend("ec2", region).get_default_security_group()
    return group.id if group is not None else None


def ec2_default_vpc_cidr(region: str = config.REGION) -> str | None:
    vpc = backend("ec2", region).get_default_vpc()
    return vpc.cidr_block if vpc is not None else None


def ec2_instance_ingress_rules(instance: Ec2Instance) -> list[Rule]:
    """The ingress rules of every security group of an instance (its own and its interfaces')."""
    groups = {g.id: g for g in instance.security_groups if hasattr(g, "ingress_rules")}
    for nic in instance.nics.values():
        groups.update({g.id: g for g in nic.group_set if hasattr(g, "ingress_rules")})
    return _rules(groups.values())


# ---- RDS --------------------------------------------------------------------------------------


def find_db_instance(ident: str, region: str = config.REGION) -> RdsInstance | None:
    """moto's DB instance (identifiers are case-insensitive), or None."""
    return backend("rds", region).databases.get(ident.lower())


def db_parameters(group_name: str | None, region: str = config.REGION) -> dict[str, str]:
    """The values a DB parameter group sets (name -> value); empty for no or an unknown group."""
    group = backend("rds", region).db_parameter_groups.get(group_name) if group_name else None
    return {
        name: str(p["ParameterValue"])
        for name, p in (group.parameters.items() if group else ())
        if p.get("ParameterValue") is not None
    }


def find_db_parameter_group(name: str, region: str = config.REGION) -> RdsParameterGroup | None:
    """moto's DB parameter group (names are case-insensitive), or None."""
    return backend("rds", region).db_parameter_groups.get(name.lower())


def db_create_parameter_group(
    name: str, family: str, description: str, region: str = config.REGION
) -> RdsParameterGroup:
    """A DB parameter group as RDS makes its default ones (``default.mysql8.4``), in moto's state."""
    return backend("rds", region).create_db_parameter_group(
        {"db_parameter_group_name": name, "db_parameter_group_family": family, "description": description, "tags": []}
    )


def db_user_parameters(group: RdsParameterGroup) -> dict[str, dict[str, Any]]:
    """What ``modify_db_parameter_group`` set in a group: name -> {"ParameterValue", "ApplyMethod", ...}."""
    return {name: dict(spec) for name, spec in group.parameters.items()}


def db_allocated_storage_total(region: str = config.REGION) -> int:
    """GiB allocated by every DB instance of the account in the region (RDS's storage quota)."""
    return sum(int(db.allocated_storage or 0) for db in list(backend("rds", region).databases.values()))


def db_set_default_engine_version(engine: str, version: str) -> None:
    """The version moto gives an instance created without ``EngineVersion`` (moto's is 5.6.21)."""
    RdsInstance.default_engine_versions[engine] = version


def db_set_managed_secret(db: RdsInstance, value: str) -> None:
    """Put ``value`` in the secret moto made for ``ManageMasterUserPassword`` (every version)."""
    secret = db.master_user_secret.secret
    secret.secret_string = value
    for version in secret.versions.values():
        version["secret_string"] = value


# moto 5.2.5 keeps no EngineLifecycleSupport: the adapter keeps it on moto's instance, so it is
# saved with moto's state and a read replica (moto's copy of its source) inherits it.
_LIFECYCLE_ATTR = "engine_lifecycle_support"


def db_lifecycle(db: RdsInstance) -> str | None:
    """The EngineLifecycleSupport recorded for a DB instance (None: none recorded)."""
    return getattr(db, _LIFECYCLE_ATTR, None)


def db_set_lifecycle(db: RdsInstance, value: str) -> None:
    setattr(db, _LIFECYCLE_ATTR, value)


def db_unshare_replica_lists(db: RdsInstance) -> None:
    """moto's read replica is a shallow copy of its source: give it lists of its own."""
    for attr in ("vpc_security_group_ids", "tags"):
        if isinstance(getattr(db, attr, None), list):
            setattr(db, attr, list(getattr(db, attr)))


def db_detach_replica(ident: str, source_ident: str | None, region: str = config.REGION) -> None:
    """A promoted replica: no source any more, and no longer listed among its source's replicas."""
    db = find_db_instance(ident, region)
    if db is not None:
        db.is_replica, db.source_db_instance_identifier = False, None
    src = find_db_instance(source_ident, region) if source_ident else None
    if src is not None and db is not None and db.db_instance_identifier in src.replicas:
        src.replicas.remove(db.db_instance_identifier)


def db_forget(ident: str, region: str = config.REGION) -> None:
    """Remove a DB instance whose data could not be restored (persistence): moto's own delete,
    without a final snapshot, so its managed secret and its source's replica list go too."""
    rds = backend("rds", region)
    db = rds.databases.get(ident.lower())
    if db is None:
        return
    db.deletion_protection = False
    rds.delete_db_instance(db.db_instance_identifier, None, True)


def db_tags(db: RdsInstance) -> dict[str, str]:
    """A DB instance's tags as a dict (moto keeps RDS's list of Key/Value pairs)."""
    return {t["Key"]: t["Value"] for t in (getattr(db, "tags", None) or []) if "Key" in t}


def db_instances(region: str = config.REGION) -> list[RdsInstance]:
    return list(backend("rds", region).databases.values())


def db_add_event(ident: str, message: str, categories: list[str], region: str = config.REGION) -> None:
    """Record an RDS event about a DB instance (``describe_events``), as RDS does for its own
    actions: moto records only a few of its own, with fixed messages."""
    db = find_db_instance(ident, region)
    if db is None:
        return
    event = RdsEvent.__new__(RdsEvent)  # moto's Event takes its message from a fixed table
    event.source_identifier = db.db_instance_identifier
    event.source_type = "db-instance"
    event.message = message
    event.event_categories = list(categories)
    event.source_arn = db.arn
    event.date = datetime.datetime.now(datetime.UTC)
    backend("rds", region).events.append(event)


# ---- Redshift (provisioned clusters; moto has no Redshift Serverless) ---------------------------


def find_redshift_cluster(ident: str, region: str = config.REGION) -> RedshiftCluster | None:
    """moto's provisioned cluster, or None."""
    return backend("redshift", region).clusters.get(ident)


def redshift_clusters(region: str = config.REGION) -> list[RedshiftCluster]:
    return list(backend("redshift", region).clusters.values())


def redshift_forget(ident: str, region: str = config.REGION) -> None:
    """Remove a cluster whose data could not be restored (persistence): moto's own delete, no snapshot."""
    rs = backend("redshift", region)
    if ident in rs.clusters:
        rs.delete_cluster(cluster_identifier=ident, skip_final_snapshot=True, final_cluster_snapshot_identifier=None)


def redshift_tags(cluster: RedshiftCluster) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in (getattr(cluster, "tags", None) or []) if "Key" in t}


# ---- Secrets Manager ----------------------------------------------------------------------


def secret_create_managed(
    service: str, name: str, value: str, description: str, region: str = config.REGION, kms_key_id: str | None = None
) -> str:
    """A secret a service owns (``OwningService``, as AWS marks its managed secrets); its ARN."""
    sm = backend("secretsmanager", region)
    return sm.create_managed_secret(
        service_name=service, secret_id=name, secret_string=value, description=description, kms_key_id=kms_key_id
    ).arn


def secret_value(secret_id: str, region: str = config.REGION) -> str:
    """The current SecretString of a secret (by ARN or name)."""
    try:
        # moto annotates version id and stage as str; None (the current version) is what it expects
        value = backend("secretsmanager", region).get_secret_value(secret_id, None, None)  # type: ignore[arg-type]
        return value.get("SecretString") or ""
    except SecretNotFoundException:
        raise NotFound("secretsmanager secret", secret_id) from None


def secret_delete(secret_id: str, region: str = config.REGION) -> None:
    """Delete at once, without a recovery window (a service deleting its managed secret); no-op if gone."""
    try:
        backend("secretsmanager", region).delete_secret(secret_id, None, True)
    except SecretNotFoundException:
        pass


# ---- Athena and the Glue Data Catalog ------------------------------------------------------


def find_workgroup(name: str, region: str = config.REGION) -> AthenaWorkGroup | None:
    return backend("athena", region).work_groups.get(name)


def athena_update_workgroup(
    wg: AthenaWorkGroup, description: str | None, state: str | None, updates: dict[str, Any]
) -> None:
    """UpdateWorkGroup on moto's workgroup (moto has no such call): description, state and the
    ConfigurationUpdates of the API (``ResultConfigurationUpdates`` merged, ``Remove*`` honoured)."""
    if description is not None:
        wg.description = description
    if state is not None:
        wg.state = state
    conf = wg.configuration
    result = dict(conf.get("ResultConfiguration") or {})
    for key, value in (updates.get("ResultConfigurationUpdates") or {}).items():
        if key.startswith("Remove") and value:
            result.pop(key[len("Remove") :], None)
        elif not key.startswith("Remove"):
            result[key] = value
    conf["ResultConfiguration"] = result
    for key, value in updates.items():
        if key == "ResultConfigurationUpdates":
            continue
        if key == "ManagedQueryResultsConfigurationUpdates":
            managed = dict(conf.get("ManagedQueryResultsConfiguration") or {})
            managed.update({k: v for k, v in value.items() if not k.startswith("Remove")})
            conf["ManagedQueryResultsConfiguration"] = managed
        elif key.startswith("Remove") and value:
            conf.pop(key[len("Remove") :], None)
        elif not key.startswith("Remove"):
            conf[key] = value


def athena_data_catalogs(region: str = config.REGION) -> list[tuple[str, str]]:
    """(name, type) of the data catalogs made with CreateDataCatalog (moto keeps them)."""
    return [(c.name, c.type) for c in backend("athena", region).data_catalogs.values()]


def athena_named_queries(region: str = config.REGION) -> dict[str, NamedQuery]:
    """moto's saved queries (NamedQueryId -> model with name, description, database,
    query_string, workgroup); the Athena engine answers the calls moto lacks from it."""
    return backend("athena", region).named_queries


def glue(region: str = config.REGION) -> GlueBackend:
    return backend("glue", region)


def glue_partitions(table: GlueTable) -> list[tuple[list[str], dict[str, Any]]]:
    """(values, PartitionInput) of every partition of a moto Glue table."""
    return [(list(p.values), p.partition_input) for p in list(table.partitions.values())]


def glue_has_partition(table: GlueTable, values: list[str]) -> bool:
    # moto keys a table's partitions by str() of the list of values
    return str(list(values)) in table.partitions


def find_crawler(name: str, region: str = config.REGION) -> GlueCrawler | None:
    return glue(region).crawlers.get(name)


def glue_job(name: str, region: str = config.REGION) -> dict[str, Any] | None:
    """A Glue job definition in GetJob's shape (moto's), or None when there is no such job."""
    job = glue(region).jobs.get(name)
    return None if job is None else job.as_dict()


def glue_job_names(region: str = config.REGION, command: str | None = None) -> list[str]:
    """Names of the Glue jobs in ``region``; only those whose Command.Name is ``command`` if given."""
    jobs = list(glue(region).jobs.values())
    return [j.name for j in jobs if command is None or _job_command_name(j) == command]


def _job_command_name(job: GlueJob) -> str | None:
    """A job's Command.Name: moto annotates ``command`` as str but keeps the request's Command
    structure (a dict, or None for a job made without one)."""
    spec: object = job.command
    return spec.get("Name") if isinstance(spec, dict) else None


# JobUpdate member -> moto's job attribute (UpdateJob: "the previous job definition is completely
# overwritten by this information", so members left out are cleared).
_JOB_UPDATE = {
    "Description": "description",
    "LogUri": "log_uri",
    "Role": "role",
    "ExecutionProperty": "execution_property",
    "Command": "command",
    "DefaultArguments": "default_arguments",
    "NonOverridableArguments": "non_overridable_arguments",
    "Connections": "connections",
    "MaxRetries": "max_retries",
    "AllocatedCapacity": "allocated_capacity",
    "Timeout": "timeout",
    "MaxCapacity": "max_capacity",
    "WorkerType": "worker_type",
    "NumberOfWorkers": "number_of_workers",
    "SecurityConfiguration": "security_configuration",
    "NotificationProperty": "notification_property",
    "GlueVersion": "glue_version",
    "CodeGenConfigurationNodes": "code_gen_configuration_nodes",
    "ExecutionClass": "execution_class",
    "SourceControlDetails": "source_control_details",
}
_JOB_UPDATE_EMPTY = {"execution_property": {}, "default_arguments": {}, "execution_class": "STANDARD"}


def glue_update_job(name: str, update: dict[str, Any], region: str = config.REGION) -> None:
    """UpdateJob (moto has none): replace the job's definition with ``update`` (a JobUpdate)."""
    job = glue(region).jobs.get(name)
    if job is None:
        raise NotFound("glue job", name)
    for member, attr in _JOB_UPDATE.items():
        setattr(job, attr, update.get(member) or _JOB_UPDATE_EMPTY.get(attr))
    job.last_modified_on = utcnow()


# ---- S3 ---------------------------------------------------------------------------------------


def s3_bucket(name: str) -> S3Bucket:
    try:
        return backend("s3").get_bucket(name)
    except MissingBucket:
        raise NotFound("s3 bucket", name) from None


def s3_bucket_exists(name: str) -> bool:
    return name in backend("s3").buckets


def s3_keys_snapshot(bucket_name: str) -> dict[str, Any]:
    """key -> current object of a bucket, copied at one instant.

    moto keeps a bucket's keys in a ``_VersionedKeyStore`` (a dict of version lists, the current
    version last) and guards it with no lock: PutObject from another request thread (a query's
    result written into the bucket being listed, the labs' own layout) may add a key at any
    moment, and a Python-level loop over the live dict then fails with "dictionary changed size
    during iteration".  ``dict.copy`` copies the dict in one C call, which holds the GIL
    throughout: the same snapshot moto's own ``_VersionedKeyStore._self_iterable`` takes.
    """
    store = s3_bucket(bucket_name).keys
    versions = dict.copy(store)  # atomic under the GIL; see the docstring
    return {k: v[-1] for k, v in versions.items() if v}


def s3_objects(bucket_name: str, prefix: str) -> Iterator[tuple[str, int, str]]:
    """(key, size, etag) of the current version of every object under ``prefix``; delete
    markers left out.  Never touches an object's bytes; safe while others write the bucket."""
    for key, obj in s3_keys_snapshot(bucket_name).items():
        if key.startswith(prefix) and isinstance(obj, S3Object):
            yield key, obj.size, obj.etag.strip('"')


def s3_read(bucket_name: str, key: str) -> bytes:
    return s3_bucket(bucket_name).keys[key].value


def s3_put(bucket_name: str, key: str, body: bytes) -> None:
    s3_bucket(bucket_name)
    backend("s3").put_object(bucket_name, key, body)


def s3_notification(bucket_name: str) -> S3NotificationConfiguration | None:
    """The bucket's notification configuration (moto's object; None when there is none)."""
    return s3_bucket(bucket_name).notification_configuration


def s3_set_notification(bucket_name: str, conf: S3NotificationConfiguration | None) -> None:
    s3_bucket(bucket_name).notification_configuration = conf


def s3_notification_function_arns(conf: S3NotificationConfiguration | None) -> list[str]:
    """The Lambda function ARNs a notification configuration sends events to."""
    return [n.arn for n in (getattr(conf, "cloud_function", None) or [])]


# ---- Lambda, IAM, SQS, CloudWatch Logs ------------------------------------------------------


def lambda_function(name_or_arn: str, region: str = config.REGION, qualifier: str | None = None) -> LambdaFunction:
    try:
        return backend("lambda", region).get_function(name_or_arn, qualifier)
    except UnknownFunctionException:
        raise NotFound("lambda function", name_or_arn) from None


def lambda_functions(region: str = config.REGION) -> list[LambdaFunction]:
    """Every function of the account in the region (their $LATEST)."""
    return list(backend("lambda", region).list_functions())


def lambda_async_config(fn: LambdaFunction) -> dict[str, Any]:
    """The function's event invoke configuration (``put_function_event_invoke_config``): the last
    one put ({} when none; moto appends each put)."""
    configs = getattr(fn, "event_invoke_config", None) or []
    return dict(configs[-1].config) if configs else {}


def lambda_keep_last_async_config(fn: LambdaFunction) -> None:
    """PutFunctionEventInvokeConfig replaces the configuration on AWS; moto appends each put and
    answers Get with the first: keep only the last one put."""
    configs = getattr(fn, "event_invoke_config", None) or []
    del configs[:-1]


def find_event_source_mapping(uuid: str, region: str = config.REGION) -> EventSourceMapping | None:
    return backend("lambda", region).get_event_source_mapping(uuid)


def event_source_mapping_ids(region: str = config.REGION) -> list[str]:
    """The UUIDs of every event source mapping (persistence: pollers start again after a restore)."""
    return [esm.uuid for esm in backend("lambda", region).list_event_source_mappings("", "")]


def iam_role_by_arn(arn: str) -> IamRole:
    try:
        return backend("iam").get_role_by_arn(arn)
    except IamNotFound:
        raise NotFound("iam role", arn) from None


def sqs_queue(name: str, region: str = config.REGION) -> SqsQueue:
    try:
        return backend("sqs", region).get_queue(name)
    except QueueDoesNotExist:
        raise NotFound("sqs queue", name) from None


def sqs_detach_inline_mapping(queue: SqsQueue, function_arn: str) -> None:
    """moto delivers to an event source mapping inside SendMessage; a poller does it instead."""
    queue.lambda_event_source_mappings.pop(function_arn, None)


def sqs_receive(queue: SqsQueue, count: int, visibility_timeout: int, region: str = config.REGION) -> list[SqsMessage]:
    return backend("sqs", region).receive_message(queue.name, count, 0, visibility_timeout)


def sqs_delete(queue: SqsQueue, receipt_handle: str, region: str = config.REGION) -> None:
    backend("sqs", region).delete_message(queue.name, receipt_handle)


def sqs_send_to(queue_arn: str, body: str) -> None:
    """SendMessage to the queue an ARN names (raises NotFound when there is none)."""
    _, _, _, region, account, name = queue_arn.split(":", 5)
    try:
        backend("sqs", region, account).send_message(name, body)
    except QueueDoesNotExist:
        raise NotFound("sqs queue", queue_arn) from None


def sns_publish_to(topic_arn: str, message: str) -> None:
    """Publish to the topic an ARN names: moto delivers to its subscriptions (SQS, Lambda, ...)."""
    _, _, _, region, account, _ = topic_arn.split(":", 5)
    sns = backend("sns", region, account)
    try:
        sns.get_topic(topic_arn)
    except TopicNotFound:
        raise NotFound("sns topic", topic_arn) from None
    sns.publish(message, arn=topic_arn)


def logs_put(region: str, group: str, stream: str, events: list[dict[str, Any]]) -> None:
    """Append events (``{"timestamp", "message"}``, in time order) to a log stream, creating the
    group and the stream when missing (what Lambda's log agent does)."""
    logs = backend("logs", region)
    logs.ensure_log_group(group)
    if stream not in logs.groups[group].streams:
        logs.create_log_stream(group, stream)
    logs.put_log_events(group, stream, events)
