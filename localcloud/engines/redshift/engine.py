"""Amazon Redshift on the local target: Serverless, provisioned clusters and the Data API over real warehouses.

* **Redshift Serverless** (``redshift-serverless``; moto has none): every operation the labs use is
  answered by the runtime's control plane (``serverless.py``): namespaces (``manageAdminPassword``
  puts a generated password in a real Secrets Manager secret), workgroups (``CREATING`` until the
  warehouse's server answers, then ``AVAILABLE`` with an ``endpoint`` a client connects to as is),
  ``UpdateWorkgroup``, tags.  Any other Serverless operation is refused as NOT_SUPPORTED.
* **Provisioned clusters** (``redshift``): moto keeps the API state; ``CreateCluster`` starts a
  warehouse (``creating`` → ``available``), every answer that shows a cluster gets the local
  endpoint and, with ``ManageMasterPassword``, the secret's ARN; ``DeleteCluster`` removes it,
  ``PauseCluster``/``ResumeCluster`` stop and start its server.
* **The Redshift Data API** (``redshift-data``): statements on a workgroup or a cluster, with
  ``SecretArn`` (read from Secrets Manager) or ``DbUser``/the IAM identity (``data_api.py``).

A warehouse's endpoint asks on every new connection what AWS would: is the workgroup/cluster
``publiclyAccessible``, and do its VPC security groups let the learner's address in on its port
(the one policy, :mod:`localcloud.security_groups`; a denied connection is held in silence).
COPY/UNLOAD/Spectrum read and write the lake through the Athena engine's S3 store and Glue catalog
(``lake.py``); federated query reaches an RDS instance only if that instance's security groups
let the warehouse in (``federation.py``).  PostgreSQL starts only when a warehouse starts; the
runtime itself is built on the first Redshift call.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import re
import secrets
import string
import subprocess
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ... import config, seam, security_groups
from ...awserrors import error
from ...calls import Call, Response
from .. import Engine
from .persist import RedshiftPersistence

if TYPE_CHECKING:
    from .io import DbApiConnection
    from .runtime import Runtime
    from .warehouse import Warehouse

log = logging.getLogger("localcloud.redshift")

# Slices per node by node type (Amazon Redshift Management Guide, "Node type details"); the
# simulated slices of a cluster follow them.  Serverless namespaces use the runtime's default.
SLICES_PER_NODE = {
    "dc2.large": 2,
    "dc2.8xlarge": 16,
    "ra3.large": 2,
    "ra3.xlplus": 2,
    "ra3.4xlarge": 4,
    "ra3.16xlarge": 16,
}
PASSWORD_RULES = (
    "The parameter MasterUserPassword is not a valid password. It must be 8 to 64 characters long, contain at "
    "least one uppercase letter, one lowercase letter and one number, and may use any printable ASCII character "
    "except ' (single quote), \" (double quote), \\, /, @ or space."
)
USER_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_$]{0,127}$")
_PASSWORD_ALPHABET = string.ascii_letters + string.digits + "!#$%&()*+,-.:;<=>?[]^_{|}~"
JSON = "application/x-amz-json-1.1"


def _bool(value: object) -> bool:
    return str(value).lower() == "true"


def _valid_password(pw: str) -> bool:
    return (
        8 <= len(pw) <= 64
        and re.search(r"[A-Z]", pw) is not None
        and re.search(r"[a-z]", pw) is not None
        and re.search(r"[0-9]", pw) is not None
        and all(33 <= ord(ch) <= 126 and ch not in "'\"\\/@" for ch in pw)
    )


def _generate_password() -> str:
    while True:
        pw = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(32))
        if _valid_password(pw):
            return pw


def _json_default(value: object) -> float:
    if isinstance(value, dt.datetime):
        return value.timestamp()  # the JSON protocols' timestamps: epoch seconds
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


@dataclass
class Cluster:
    """What this engine keeps for a provisioned cluster (moto keeps the rest)."""

    ident: str
    warehouse: Warehouse
    secret_arn: str | None
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0  # the endpoint's port, kept across pause/resume
    error: str | None = None


class RedshiftEngine(RedshiftPersistence, Engine):
    name = "redshift"
    order = 30
    # SigV4 signing names (botocore's models): provisioned Redshift signs as "redshift" (its endpoint
    # prefix), Serverless as "redshift-serverless", the Data API as "redshift-data".  Their operation
    # names do not overlap where this engine has an _api_/_after_ method.
    services = ("redshift", "redshift-serverless", "redshift-data")

    def start(self) -> None:
        self._runtime: Runtime | None = None
        self._rt_lock = threading.Lock()
        self.clusters: dict[str, Cluster] = {}
        self._seed_ids()

    def _seed_ids(self) -> None:
        # namespace/workgroup ids repeat from run to run (moto's ids do too), like the labs' outputs
        self._ids = random.Random(config.SEED)
        self._ids_drawn = 0

    def _draw_ids(self, n: int) -> None:
        """Go on from where a saved state stopped (persistence)."""
        self._seed_ids()
        for _ in range(n):
            self._new_id()

    def _new_id(self) -> str:
        self._ids_drawn += 1
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    @property
    def _warehouses_dir(self) -> Path:
        return self.ctx.state_dir / "warehouses"

    # ---- the runtime, built on first use ---------------------------------------------------------
    @property
    def runtime(self) -> Runtime:
        with self._rt_lock:
            if self._runtime is None:
                self._runtime = self._build_runtime()
            return self._runtime

    def _build_runtime(self, reuse: bool = False) -> Runtime:
        from .lake import LakeCatalog, LakeS3
        from .runtime import Runtime
        from .warehouse import Hooks

        def spawn(argv: list[str], name: str, **popen_kw: Any) -> subprocess.Popen:
            return self.ctx.processes.spawn(argv, name=name, owner=self.name, **popen_kw).popen

        hooks = Hooks(
            spawn=spawn,
            allow=lambda source_ip: False,  # every warehouse gets its own decision at start
            s3=LakeS3(self.ctx.state_dir / "s3cache"),
            catalog=LakeCatalog(),
            federated_connect=self._federated_connect,
            drop=security_groups.hold_in_silence,
        )
        rt = Runtime(self._warehouses_dir, hooks, account_id=self.ctx.account_id, region=self.ctx.region, reuse=reuse)
        return self._wire(rt)

    def _wire(self, rt: Runtime) -> Runtime:
        """Point the runtime's control plane and Data API at Secrets Manager and the security groups."""
        sl = rt.serverless
        sl.create_admin_secret = self._create_namespace_secret
        sl.delete_admin_secret = lambda arn: seam.secret_delete(arn, self.ctx.region)

        def allow_for(wg: dict) -> Callable[[str], bool]:
            name = wg["workgroupName"]
            return lambda source_ip: self._workgroup_allowed(name)

        sl.allow_for = allow_for
        sl.new_id = self._new_id
        rt.data_api.resolve_secret = self._resolve_secret
        return rt

    def _postgres_missing(self, call: Call) -> Response | None:
        from .pgserver import PostgresMissing, bindir

        try:
            bindir()
        except PostgresMissing as exc:  # localcloud-only: a set-up problem on this machine, never an AWS answer
            return error(call, "LocalCloudEngineMissing", str(exc))
        return None

    # ---- answers in the JSON protocols (Serverless, Data API) ------------------------------------
    def _json(self, call: Call, fn: Callable[[dict], dict], params: dict | None = None) -> Response:
        from .errors import ApiError

        try:
            doc = fn(call.params if params is None else params)
        except ApiError as exc:
            return error(call, exc.code, exc.message, exc.status)
        body = json.dumps(doc, default=_json_default).encode()
        return Response(200, {"Content-Type": JSON, "x-amzn-RequestId": str(uuid.uuid4())}, body)

    def before(self, call: Call) -> Response | None:
        answer = super().before(call)  # _api_<Operation>
        if answer is None and call.service in ("redshift-serverless", "redshift-data"):
            if not hasattr(self, f"_api_{call.operation}"):
                # never let moto answer for these (it has no Serverless and a canned Data API)
                what = f"{call.service} {call.operation or 'this request'}"
                return error(call, "LocalCloudNotSupported", f"NOT_SUPPORTED: localcloud does not run {what}.")
        return answer

    # ---- Redshift Serverless ---------------------------------------------------------------------
    def _api_CreateNamespace(self, call: Call) -> Response:
        return self._postgres_missing(call) or self._json(call, self.runtime.serverless.create_namespace)

    def _api_GetNamespace(self, call: Call) -> Response:
        return self._json(call, self.runtime.serverless.get_namespace)

    def _api_ListNamespaces(self, call: Call) -> Response:
        return self._json(call, self.runtime.serverless.list_namespaces)

    def _api_UpdateNamespace(self, call: Call) -> Response:
        unsupported = {"adminUserPassword", "adminUsername", "manageAdminPassword", "kmsKeyId", "logExports"}
        if unsupported & set(call.params):
            names = ", ".join(sorted(unsupported & set(call.params)))
            message = (
                f"NOT_SUPPORTED: localcloud's UpdateNamespace changes only iamRoles and defaultIamRoleArn, not {names}."
            )
            return error(call, "LocalCloudNotSupported", message)
        return self._json(call, self.runtime.serverless.update_namespace)

    def _api_DeleteNamespace(self, call: Call) -> Response:
        return self._json(call, self.runtime.serverless.delete_namespace)

    def _api_CreateWorkgroup(self, call: Call) -> Response:
        p = dict(call.params)
        bad = self._postgres_missing(call) or self._check_groups(call, p.get("securityGroupIds"), "securityGroupIds")
        if bad:
            return bad
        if not p.get("securityGroupIds"):  # AWS: the VPC's default security group
            p["securityGroupIds"] = [g for g in [seam.ec2_default_group_id(call.region)] if g]
        return self._json(call, self.runtime.serverless.create_workgroup, p)

    def _api_GetWorkgroup(self, call: Call) -> Response:
        return self._json(call, self.runtime.serverless.get_workgroup)

    def _api_ListWorkgroups(self, call: Call) -> Response:
        return self._json(call, self.runtime.serverless.list_workgroups)

    def _api_UpdateWorkgroup(self, call: Call) -> Response:
        return self._check_groups(call, call.params.get("securityGroupIds"), "securityGroupIds") or self._json(
            call, self.runtime.serverless.update_workgroup
        )

    def _api_DeleteWorkgroup(self, call: Call) -> Response:
        return self._json(call, self.runtime.serverless.delete_workgroup)

    def _api_TagResource(self, call: Call) -> Response:
        return self._json(call, self.runtime.serverless.tag_resource)

    def _api_UntagResource(self, call: Call) -> Response:
        return self._json(call, self.runtime.serverless.untag_resource)

    def _api_ListTagsForResource(self, call: Call) -> Response:
        return self._json(call, self.runtime.serverless.list_tags_for_resource)

    def _check_groups(self, call: Call, group_ids: list[str] | None, what: str) -> Response | None:
        for gid in group_ids or []:
            if not seam.ec2_group_exists(gid, call.region):
                return error(call, "ValidationException", f"The security group {gid} in {what} does not exist.")
        return None

    def _create_namespace_secret(self, namespace: str, user: str, password: str, kms_key_id: str | None) -> str:
        return seam.secret_create_managed(
            "redshift",
            f"redshift!{namespace}-{user}",
            json.dumps({"username": user, "password": password}),
            f"Admin user password for Redshift Serverless namespace {namespace}",
            self.ctx.region,
            kms_key_id,
        )

    def _workgroup_allowed(self, name: str) -> bool:
        """Would AWS let a packet from the learner reach this workgroup's endpoint?"""
        wg = self.runtime.serverless.workgroups.get(name)
        if wg is None or not wg.publicly_accessible:
            return False  # a workgroup that is not publicly accessible has no route from outside its VPC
        rules = seam.ec2_ingress_rules(wg.security_group_ids, self.ctx.region)
        return security_groups.allows(rules, self.ctx.learner_ip, "tcp", wg.requested_port)

    # ---- the Data API ----------------------------------------------------------------------------
    def _api_ExecuteStatement(self, call: Call) -> Response:
        return self._json(call, self.runtime.data_api.execute_statement)

    def _api_BatchExecuteStatement(self, call: Call) -> Response:
        return self._json(call, self.runtime.data_api.batch_execute_statement)

    def _api_DescribeStatement(self, call: Call) -> Response:
        return self._json(call, self.runtime.data_api.describe_statement)

    def _api_GetStatementResult(self, call: Call) -> Response:
        return self._json(call, self.runtime.data_api.get_statement_result)

    def _api_ListStatements(self, call: Call) -> Response:
        return self._json(call, self.runtime.data_api.list_statements)

    def _api_CancelStatement(self, call: Call) -> Response:
        return self._json(call, self.runtime.data_api.cancel_statement)

    def _resolve_secret(self, secret_id: str) -> dict:
        from .errors import ApiError

        try:
            value = json.loads(seam.secret_value(secret_id, self.ctx.region))
        except seam.NotFound:
            raise ApiError(
                "ValidationException", f"Secrets Manager can't find the specified secret: {secret_id}"
            ) from None
        except ValueError:
            value = None
        if not isinstance(value, dict) or not {"username", "password"} <= set(value):
            raise ApiError("ValidationException", f"The secret {secret_id} must hold a JSON username and password.")
        return value

    # ---- provisioned clusters: validation AWS does and moto does not ----------------------------
    def _api_CreateCluster(self, call: Call) -> Response | None:
        p = call.params
        managed = _bool(p.get("ManageMasterPassword"))
        password = p.get("MasterUserPassword")
        if managed and password:
            return error(
                call,
                "InvalidParameterCombination",
                "You can't use MasterUserPassword if ManageMasterPassword is true.",
            )
        if not managed and not password:
            return error(
                call,
                "InvalidParameterValue",
                "The parameter MasterUserPassword must be provided unless ManageMasterPassword is true.",
            )
        if password and not _valid_password(password):
            return error(call, "InvalidParameterValue", PASSWORD_RULES)
        user = p.get("MasterUsername") or ""
        if not USER_RE.match(user) or user.lower() in ("rdsdb", "public", "lc_internal"):
            return error(call, "InvalidParameterValue", f"The parameter MasterUsername {user!r} is not valid.")
        node_type = p.get("NodeType", "")
        if node_type not in SLICES_PER_NODE:
            return error(call, "InvalidParameterValue", f"Invalid node type: {node_type}")
        nodes = int(p.get("NumberOfNodes") or 1)
        if p.get("ClusterType", "multi-node" if nodes > 1 else "single-node") == "multi-node" and nodes < 2:
            return error(
                call,
                "InvalidParameterValue",
                "Number of nodes for cluster type multi-node must be greater than or equal to 2",
            )
        roles = call.param_list("IamRoles.IamRoleArn")
        if p.get("DefaultIamRoleArn") and p["DefaultIamRoleArn"] not in roles:
            return error(
                call, "InvalidParameterValue", "The default IAM role must be one of the IAM roles of the cluster."
            )
        return self._check_cluster_groups(call) or self._postgres_missing(call)

    def _api_ModifyCluster(self, call: Call) -> Response | None:
        p = call.params
        if p.get("NewClusterIdentifier") and p.get("ClusterIdentifier") in self.clusters:
            return error(call, "LocalCloudNotSupported", "NOT_SUPPORTED: localcloud does not rename clusters.")
        if _bool(p.get("ManageMasterPassword")) or (p.get("NodeType") or p.get("NumberOfNodes")):
            return error(
                call,
                "LocalCloudNotSupported",
                "NOT_SUPPORTED: localcloud's ModifyCluster does not resize clusters or switch to a managed password.",
            )
        if p.get("MasterUserPassword") and not _valid_password(p["MasterUserPassword"]):
            return error(call, "InvalidParameterValue", PASSWORD_RULES)
        return self._check_cluster_groups(call)

    def _api_ModifyClusterIamRoles(self, call: Call) -> Response:
        return error(
            call,
            "LocalCloudNotSupported",
            "NOT_SUPPORTED: localcloud does not change a cluster's IAM roles after it is created; "
            "give IamRoles (and DefaultIamRoleArn) to create_cluster.",
        )

    def _check_cluster_groups(self, call: Call) -> Response | None:
        for gid in call.param_list("VpcSecurityGroupIds.VpcSecurityGroupId"):
            if not seam.ec2_group_exists(gid, call.region):
                return error(call, "InvalidParameterValue", f"The security group {gid} does not exist.")
        return None

    # ---- provisioned clusters: real warehouses behind moto's answers -----------------------------
    def after(self, call: Call, response: Response) -> Response | None:
        replaced = super().after(call, response)  # _after_<Operation>, for a successful answer
        answer = replaced or response
        if call.service == "redshift" and answer.status < 300 and seam.has_clusters(answer.body):
            answer.body = seam.edit_clusters(answer.body, lambda ident: self._cluster_edit(ident, call.region))
            return answer
        return replaced

    def _cluster_edit(self, ident: str, region: str) -> seam.ClusterEdit | None:
        state = self.clusters.get(ident)
        if state is None:
            return None
        moto_cluster = seam.find_redshift_cluster(ident, region)
        status = moto_cluster.status if moto_cluster is not None else "deleting"
        endpoint = None if status == "creating" or not state.port else ("127.0.0.1", state.port)
        return seam.ClusterEdit(status=status, endpoint=endpoint, secret_arn=state.secret_arn)

    def _after_CreateCluster(self, call: Call, response: Response) -> None:
        from .slices import Topology
        from .warehouse import WarehouseConfig

        p = call.params
        ident = p["ClusterIdentifier"]
        cluster = seam.find_redshift_cluster(ident, call.region)
        if cluster is None:  # moto has just answered CreateCluster with it
            raise seam.NotFound("redshift cluster", ident)
        user = p["MasterUsername"]
        secret_arn = None
        if _bool(p.get("ManageMasterPassword")):
            password = _generate_password()
            secret_arn = seam.secret_create_managed(
                "redshift",
                f"redshift!{ident}-{user}",
                json.dumps({"username": user, "password": password}),
                f"Admin user password for Redshift cluster {ident}",
                call.region,
                p.get("MasterPasswordSecretKmsKeyId"),
            )
        else:
            password = p["MasterUserPassword"]  # _api_CreateCluster refused a request without one
        roles = call.param_list("IamRoles.IamRoleArn")
        wh = self.runtime.create_warehouse(
            f"cluster:{ident}",
            WarehouseConfig(
                name=f"cluster-{ident}",
                admin_user=user,
                admin_password=password,
                database=cluster.db_name,
                kind="provisioned",
                topology=Topology(nodes=int(cluster.number_of_nodes), slices_per_node=SLICES_PER_NODE[p["NodeType"]]),
                iam_roles=roles,
                default_iam_role=p.get("DefaultIamRoleArn"),
                region=call.region,
            ),
        )
        state = Cluster(ident, wh, secret_arn)
        self.clusters[ident] = state
        cluster.status = "creating"
        self._in_background(state, call.region, "available")

    def _in_background(self, state: Cluster, region: str, final: str) -> None:
        """Start the cluster's warehouse on a thread, then set moto's status to ``final``."""

        def body() -> None:
            with state.lock:
                if self.clusters.get(state.ident) is not state:
                    return  # deleted meanwhile
                try:
                    state.warehouse.start(port=state.port, allow=lambda ip: self._cluster_allowed(state.ident, region))
                    state.port = state.warehouse.endpoint[1]
                    status = final
                except Exception as exc:
                    log.exception("redshift cluster %s failed to start", state.ident)
                    state.error, status = str(exc), "hardware-failure"
                cluster = seam.find_redshift_cluster(state.ident, region)
                if cluster is not None:
                    cluster.status = status

        threading.Thread(target=body, name=f"redshift-{state.ident}", daemon=True).start()

    def _cluster_allowed(self, ident: str, region: str) -> bool:
        cluster = seam.find_redshift_cluster(ident, region)
        if cluster is None or not cluster.publicly_accessible:
            return False  # a cluster that is not publicly accessible has no route from outside its VPC
        default = seam.ec2_default_group_id(region)
        groups = list(cluster.vpc_security_group_ids or []) or ([default] if default else [])
        rules = seam.ec2_ingress_rules(groups, region)
        return security_groups.allows(rules, self.ctx.learner_ip, "tcp", int(cluster.port))

    def _after_DeleteCluster(self, call: Call, response: Response) -> Response | None:
        state = self.clusters.pop(call.params.get("ClusterIdentifier", ""), None)
        if state is None:
            return None
        with state.lock:  # after a start in flight
            self.runtime.remove_warehouse(f"cluster:{state.ident}")
        if state.secret_arn:
            seam.secret_delete(state.secret_arn, call.region)  # AWS deletes the managed secret with its cluster
        # moto forgets the cluster at once; AWS answers with it "deleting" (describe_clusters then
        # says ClusterNotFound, which is what the cluster_deleted waiter waits for)
        endpoint = ("127.0.0.1", state.port) if state.port else None
        edit = seam.ClusterEdit(status="deleting", endpoint=endpoint, secret_arn=state.secret_arn)
        response.body = seam.edit_clusters(response.body, lambda ident: edit)
        return response

    def _after_PauseCluster(self, call: Call, response: Response) -> None:
        state = self.clusters.get(call.params.get("ClusterIdentifier", ""))
        if state is not None:
            with state.lock:
                state.warehouse.stop()  # data kept; the endpoint stops answering

    def _after_ResumeCluster(self, call: Call, response: Response) -> None:
        state = self.clusters.get(call.params.get("ClusterIdentifier", ""))
        cluster = seam.find_redshift_cluster(state.ident, call.region) if state is not None else None
        if state is not None and cluster is not None:
            cluster.status = "resuming"
            self._in_background(state, call.region, "available")

    def _after_ModifyCluster(self, call: Call, response: Response) -> None:
        from .proxy import md5_password
        from .sqltext import quote_ident, quote_literal

        state = self.clusters.get(call.params.get("ClusterIdentifier", ""))
        password = call.params.get("MasterUserPassword")
        if state is None or not password:
            return
        with state.lock:
            user = state.warehouse.config.admin_user
            state.warehouse.config.admin_password = password
            if state.warehouse.running:
                state.warehouse.admin_simple(
                    "postgres",
                    f"ALTER ROLE {quote_ident(user)} PASSWORD {quote_literal(md5_password(password, user))}",
                )

    # ---- federated query --------------------------------------------------------------------------
    def _federated_connect(self, options: dict) -> DbApiConnection:
        from .federation import connect

        return connect(self, options)

    def warehouse_groups(self, warehouse_name: str) -> list[str]:
        """The VPC security groups of the workgroup or cluster a warehouse (by config name) serves."""
        rt = self.runtime
        for wg in list(rt.serverless.workgroups.values()):
            if f"ns-{wg.namespace}" == warehouse_name:
                return list(wg.security_group_ids)
        for ident in list(self.clusters):
            if f"cluster-{ident}" == warehouse_name:
                cluster = seam.find_redshift_cluster(ident, self.ctx.region)
                groups = list(getattr(cluster, "vpc_security_group_ids", None) or [])
                return groups or [g for g in [seam.ec2_default_group_id(self.ctx.region)] if g]
        return []

    # ---- lifecycle of the engine itself -----------------------------------------------------------
    def _close_all(self, keep_data: bool) -> None:
        with self._rt_lock:
            rt = self._runtime
            clusters = list(self.clusters.values())
            self.clusters.clear()
            for state in clusters:
                with state.lock:  # let a start in flight finish; the runtime then stops it
                    pass
            if rt is not None and keep_data:
                self._runtime = None
                rt.stop()  # servers down cleanly, folders kept: the next start restores them
            elif rt is not None:
                self._wire(rt.reset())  # every warehouse gone; the template (a cache) kept
        self.ctx.processes.stop_all(owner=self.name, timeout=30)

    def reset(self) -> None:
        self._close_all(keep_data=False)
        self._seed_ids()

    def stop(self) -> None:
        self._close_all(keep_data=True)

    def status(self) -> dict:
        rt = self._runtime
        if rt is None:
            return {}
        kinds = {}
        for name, wg in list(rt.serverless.workgroups.items()):
            kinds[f"ns:{wg.namespace}"] = {"workgroup": name, "status": wg.status, "error": wg.error}
        for ident, state in list(self.clusters.items()):
            moto_cluster = seam.find_redshift_cluster(ident, self.ctx.region)
            kinds[f"cluster:{ident}"] = {
                "cluster": ident,
                "status": getattr(moto_cluster, "status", "?"),
                "error": state.error,
            }
        out = {}
        for wid, wh in list(rt.warehouses.items()):
            out[wid] = {
                **kinds.get(wid, {"status": "no workgroup"}),
                "running": wh.running,
                "port": wh.proxy.port if wh.proxy is not None else None,
                **(wh.proxy.stats if wh.proxy is not None else {}),
            }
        return out
