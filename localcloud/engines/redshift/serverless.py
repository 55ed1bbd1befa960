"""Redshift Serverless control plane (moto has none): namespaces hold data, workgroups compute.

Operations take the request parameters as boto3 sends them (camelCase, as the
``redshift-serverless`` JSON protocol) and return the response dicts; failures raise
:class:`ApiError` with AWS's error code.  A namespace owns one warehouse (its data); a
workgroup starts that warehouse's server and endpoint (``CREATING`` until the server answers,
then ``AVAILABLE``); deleting the workgroup stops it (the namespace keeps its data), deleting
the namespace removes the data.  As on AWS a namespace has at most one workgroup.

Callbacks the wiring sets on :class:`Serverless`:

* ``create_admin_secret(namespace_name, username, password, kms_key_id) -> secret ARN`` when
  ``manageAdminPassword`` is true (AWS keeps the password in a Secrets Manager secret
  ``{"username", "password"}``); ``delete_admin_secret(arn)`` when the namespace goes;
* ``endpoint_address(workgroup_name) -> str`` (default ``127.0.0.1``);
* ``allow_for(workgroup dict) -> (source_ip -> bool)``: the security-group decision for the
  workgroup's endpoint, asked on every new connection;
* ``new_id() -> str``: namespace and workgroup ids (default random UUIDs; the wiring seeds them
  so a re-run of the labs shows the same ids).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import secrets
import string
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import ApiError
from .warehouse import WarehouseConfig

if TYPE_CHECKING:
    from .runtime import Runtime
    from .warehouse import Warehouse

NAME_RE = re.compile(r"^[a-z0-9-]{3,64}$")  # namespace and workgroup names: lower-case letters, digits, hyphens
USER_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]{0,127}$")
PORTS = set(range(5431, 5456)) | set(range(8191, 8216))  # the ports AWS accepts for a workgroup
RESERVED_USERS = {"rdsdb", "public", "admin_lc", "lc_internal"}
_PASSWORD_ALPHABET = string.ascii_letters + string.digits + "!#$%&()*+,-.:;<=>?[]^_{|}~"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Namespace:
    name: str
    ns_id: str
    arn: str
    admin_user: str
    db_name: str
    iam_roles: list[str]
    default_iam_role: str | None
    created: dt.datetime
    secret_arn: str | None = None
    kms_key_id: str = "AWS_OWNED_KMS_KEY"
    status: str = "AVAILABLE"
    tags: list[dict] = field(default_factory=list)
    has_data: bool = False  # a workgroup has run its warehouse: there is data to keep

    def record(self) -> dict:
        """What a restart needs to bring the namespace back (JSON-able)."""
        return {**dataclasses.asdict(self), "created": self.created.isoformat()}

    @classmethod
    def from_record(cls, rec: dict) -> Namespace:
        return cls(**{**rec, "created": dt.datetime.fromisoformat(rec["created"])})

    def describe(self) -> dict:
        out = {
            "namespaceName": self.name,
            "namespaceId": self.ns_id,
            "namespaceArn": self.arn,
            "adminUsername": self.admin_user,
            "dbName": self.db_name,
            "kmsKeyId": self.kms_key_id,
            "iamRoles": list(self.iam_roles),
            "logExports": [],
            "status": self.status,
            "creationDate": self.created,
        }
        if self.default_iam_role:
            out["defaultIamRoleArn"] = self.default_iam_role
        if self.secret_arn:
            out["adminPasswordSecretArn"] = self.secret_arn
            out["adminPasswordSecretKmsKeyId"] = "AWS_OWNED_KMS_KEY"
        return out


@dataclass
class Workgroup:
    name: str
    wg_id: str
    arn: str
    namespace: str
    base_capacity: int
    max_capacity: int | None
    security_group_ids: list[str]
    subnet_ids: list[str]
    publicly_accessible: bool
    enhanced_vpc_routing: bool
    config_parameters: list[dict]
    requested_port: int
    created: dt.datetime
    status: str = "CREATING"
    address: str = "127.0.0.1"
    port: int | None = None
    error: str | None = None
    tags: list[dict] = field(default_factory=list)

    def record(self) -> dict:
        return {**dataclasses.asdict(self), "created": self.created.isoformat()}

    @classmethod
    def from_record(cls, rec: dict) -> Workgroup:
        return cls(**{**rec, "created": dt.datetime.fromisoformat(rec["created"])})

    def describe(self) -> dict:
        out = {
            "workgroupName": self.name,
            "workgroupId": self.wg_id,
            "workgroupArn": self.arn,
            "namespaceName": self.namespace,
            "baseCapacity": self.base_capacity,
            "enhancedVpcRouting": self.enhanced_vpc_routing,
            "configParameters": [dict(p) for p in self.config_parameters],
            "securityGroupIds": list(self.security_group_ids),
            "subnetIds": list(self.subnet_ids),
            "status": self.status,
            "publiclyAccessible": self.publicly_accessible,
            "creationDate": self.created,
            "port": self.requested_port,  # the setting; locally the endpoint port differs (its own listener)
            "workgroupVersion": "1.0",
            "patchVersion": "patch 1.0",
        }
        if self.max_capacity:
            out["maxCapacity"] = self.max_capacity
        if self.status == "AVAILABLE" and self.port:
            # locally the endpoint is the warehouse proxy's own port on the loopback address
            out["endpoint"] = {"address": self.address, "port": self.port, "vpcEndpoints": []}
        return out


DEFAULT_CONFIG = [
    {"parameterKey": "auto_mv", "parameterValue": "true"},
    {"parameterKey": "datestyle", "parameterValue": "ISO, MDY"},
    {"parameterKey": "enable_case_sensitive_identifier", "parameterValue": "false"},
    {"parameterKey": "enable_user_activity_logging", "parameterValue": "true"},
    {"parameterKey": "query_group", "parameterValue": "default"},
    {"parameterKey": "search_path", "parameterValue": "$user, public"},
    {"parameterKey": "max_query_execution_time", "parameterValue": "14400"},
    {"parameterKey": "require_ssl", "parameterValue": "false"},
]


class Serverless:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.namespaces: dict[str, Namespace] = {}
        self.workgroups: dict[str, Workgroup] = {}
        self._lock = threading.RLock()
        self._threads: list[threading.Thread] = []
        self.create_admin_secret: Callable[[str, str, str, str | None], str] | None = None
        self.delete_admin_secret: Callable[[str], None] | None = None
        self.endpoint_address: Callable[[str], str] = lambda workgroup: "127.0.0.1"
        self.allow_for: Callable[[dict], Callable[[str], bool]] | None = None
        self.new_id: Callable[[], str] = lambda: str(uuid.uuid4())

    def _arn(self, kind: str, ident: str) -> str:
        return f"arn:aws:redshift-serverless:{self.runtime.region}:{self.runtime.account_id}:{kind}/{ident}"

    # -- namespaces ------------------------------------------------------------------------------
    def create_namespace(self, p: dict) -> dict:
        name = p.get("namespaceName") or ""
        if not NAME_RE.match(name):
            raise ApiError(
                "ValidationException",
                "namespaceName must be 3-64 characters: lower-case letters, digits and hyphens.",
            )
        managed = bool(p.get("manageAdminPassword"))
        user = p.get("adminUsername")
        password = p.get("adminUserPassword")
        if managed and password:
            raise ApiError("ValidationException", "You can't use adminUserPassword if manageAdminPassword is true.")
        if password and not user:
            raise ApiError("ValidationException", "adminUsername is required when adminUserPassword is given.")
        if user and not password and not managed:
            raise ApiError("ValidationException", "adminUserPassword is required when adminUsername is given.")
        if not user:
            raise ApiError(
                "ValidationException",
                "NOT_SUPPORTED: localcloud needs adminUsername (with adminUserPassword or manageAdminPassword); "
                "a namespace without an admin user is not simulated.",
            )
        if not USER_RE.match(user) or user.lower() in RESERVED_USERS:
            raise ApiError("ValidationException", f"adminUsername {user} is not valid or is reserved.")
        if password:
            _check_password(password)
        else:
            password = _generate_password()
        roles = list(p.get("iamRoles") or [])
        default_role = p.get("defaultIamRoleArn")
        if default_role and default_role not in roles:
            raise ApiError("ValidationException", "defaultIamRoleArn must be one of the namespace's iamRoles.")
        with self._lock:
            if name in self.namespaces:
                raise ApiError("ConflictException", f"Namespace {name} already exists.")
            ns_id = self.new_id()
            ns = Namespace(
                name, ns_id, self._arn("namespace", ns_id), user, p.get("dbName") or "dev", roles, default_role, _now()
            )
            ns.tags = _check_tags(p.get("tags"))
            if managed:
                if self.create_admin_secret is None:
                    raise ApiError("ValidationException", "manageAdminPassword needs Secrets Manager (not wired).")
                ns.secret_arn = self.create_admin_secret(name, user, password, p.get("adminPasswordSecretKmsKeyId"))
            self._warehouse_for(ns, password)
            self.namespaces[name] = ns
            return {"namespace": ns.describe()}

    def _warehouse_for(self, ns: Namespace, password: str) -> Warehouse:
        return self.runtime.create_warehouse(
            f"ns:{ns.name}",
            WarehouseConfig(
                name=f"ns-{ns.name}",
                admin_user=ns.admin_user,
                admin_password=password,
                database=ns.db_name,
                kind="serverless",
                iam_roles=list(ns.iam_roles),
                default_iam_role=ns.default_iam_role,
                region=self.runtime.region,
            ),
        )

    def get_namespace(self, p: dict) -> dict:
        return {"namespace": self._namespace(p.get("namespaceName")).describe()}

    def list_namespaces(self, p: dict) -> dict:
        with self._lock:
            items = [n.describe() for n in sorted(self.namespaces.values(), key=lambda n: n.created)]
        return _page(items, p, "namespaces")

    def update_namespace(self, p: dict) -> dict:
        ns = self._namespace(p.get("namespaceName"))
        if "iamRoles" in p:
            ns.iam_roles = list(p["iamRoles"])
        if "defaultIamRoleArn" in p:
            ns.default_iam_role = p["defaultIamRoleArn"]
        wh = self._namespace_warehouse(ns.name)
        wh.config.iam_roles, wh.config.default_iam_role = list(ns.iam_roles), ns.default_iam_role
        return {"namespace": ns.describe()}

    def delete_namespace(self, p: dict) -> dict:
        if p.get("finalSnapshotName"):
            raise ApiError(
                "ValidationException",
                "NOT_SUPPORTED: localcloud keeps no Redshift Serverless snapshots (finalSnapshotName); "
                "delete the namespace without one.",
            )
        with self._lock:
            ns = self._namespace(p.get("namespaceName"))
            if any(w.namespace == ns.name for w in self.workgroups.values()):
                raise ApiError(
                    "ConflictException",
                    f"Namespace {ns.name} has an associated workgroup. Delete the workgroup first.",
                )
            ns.status = "DELETING"
            out = {"namespace": ns.describe()}
            del self.namespaces[ns.name]
        self.runtime.remove_warehouse(f"ns:{ns.name}")
        if ns.secret_arn and self.delete_admin_secret:
            self.delete_admin_secret(ns.secret_arn)
        return out

    def _namespace_warehouse(self, namespace: str) -> Warehouse:
        """The warehouse a namespace owns (made with it, removed with it)."""
        wh = self.runtime.warehouse(f"ns:{namespace}")
        if wh is None:  # the namespace is being deleted
            raise ApiError("ResourceNotFoundException", f"Namespace {namespace} not found.")
        return wh

    def _namespace(self, name: str | None) -> Namespace:
        ns = self.namespaces.get(name or "")
        if ns is None:
            raise ApiError("ResourceNotFoundException", f"Namespace {name} not found.")
        return ns

    # -- workgroups -------------------------------------------------------------------------------
    def create_workgroup(self, p: dict) -> dict:
        name = p.get("workgroupName") or ""
        if not NAME_RE.match(name):
            raise ApiError(
                "ValidationException",
                "workgroupName must be 3-64 characters: lower-case letters, digits and hyphens.",
            )
        base = _check_capacity(p.get("baseCapacity", 128))
        port = p.get("port", 5439)
        if port not in PORTS:
            raise ApiError("ValidationException", "port must be in the range 5431-5455 or 8191-8215.")
        with self._lock:
            ns = self._namespace(p.get("namespaceName"))
            if name in self.workgroups:
                raise ApiError("ConflictException", f"Workgroup {name} already exists.")
            if any(w.namespace == ns.name for w in self.workgroups.values()):
                raise ApiError("ConflictException", f"Namespace {ns.name} already has a workgroup.")
            wg_id = self.new_id()
            params = {d["parameterKey"]: d for d in DEFAULT_CONFIG}
            for item in p.get("configParameters") or []:
                params[item["parameterKey"]] = dict(item)
            wg = Workgroup(
                name,
                wg_id,
                self._arn("workgroup", wg_id),
                ns.name,
                base,
                p.get("maxCapacity"),
                list(p.get("securityGroupIds") or []),
                list(p.get("subnetIds") or []),
                bool(p.get("publiclyAccessible", False)),
                bool(p.get("enhancedVpcRouting", False)),
                list(params.values()),
                port,
                _now(),
            )
            wg.address = self.endpoint_address(name)
            wg.tags = _check_tags(p.get("tags"))
            self.workgroups[name] = wg
            out = {"workgroup": wg.describe()}
        t = threading.Thread(target=self._bring_up, args=(wg,), daemon=True, name=f"redshift-wg-{name}")
        self._threads.append(t)
        t.start()
        return out

    def _bring_up(self, wg: Workgroup, port: int = 0) -> bool:
        """Start the namespace's warehouse for ``wg`` (on ``port`` when it is free); True when up."""
        allow = self.allow_for(wg.describe()) if self.allow_for else self.runtime.hooks.allow
        try:
            wh = self._namespace_warehouse(wg.namespace)
            wh.start(port=port, allow=allow)
        except Exception as exc:  # the workgroup stays CREATING with the reason kept for status()
            wg.error = str(exc)
            return False
        with self._lock:
            if self.workgroups.get(wg.name) is not wg:  # deleted while starting
                wh.stop()
                return False
            wg.port = wh.endpoint[1]
            wg.status = "AVAILABLE"
            ns = self.namespaces.get(wg.namespace)
            if ns is not None:
                ns.has_data = True
        return True

    # -- across a daemon restart (the engine's snapshot and restore) --------------------------------
    def export(self) -> dict:
        with self._lock:
            return {
                "namespaces": [n.record() for n in self.namespaces.values()],
                "workgroups": [w.record() for w in self.workgroups.values()],
            }

    def restore_namespace(self, rec: dict) -> Warehouse:
        """Register a saved namespace and its warehouse (not started); returns the warehouse."""
        ns = Namespace.from_record(rec)
        with self._lock:
            wh = self._warehouse_for(ns, "")  # its admin user already exists in its data
            self.namespaces[ns.name] = ns
        return wh

    def restore_workgroup(self, rec: dict) -> Workgroup:
        """Register a saved workgroup as ``CREATING``; :meth:`_bring_up` (on its old port) makes it available."""
        wg = Workgroup.from_record(rec)
        wg.status, wg.error = "CREATING", None
        with self._lock:
            self.workgroups[wg.name] = wg
        return wg

    def forget(self, namespace: str) -> tuple[Namespace | None, Workgroup | None]:
        """Drop a namespace and its workgroup that cannot come back (their warehouse removed)."""
        with self._lock:
            ns = self.namespaces.pop(namespace, None)
            wgs = [w for w in self.workgroups.values() if w.namespace == namespace]
            for w in wgs:
                del self.workgroups[w.name]
        self.runtime.remove_warehouse(f"ns:{namespace}")
        return ns, (wgs[0] if wgs else None)

    def get_workgroup(self, p: dict) -> dict:
        return {"workgroup": self._workgroup(p.get("workgroupName")).describe()}

    def list_workgroups(self, p: dict) -> dict:
        with self._lock:
            items = [w.describe() for w in sorted(self.workgroups.values(), key=lambda w: w.created)]
        return _page(items, p, "workgroups")

    def delete_workgroup(self, p: dict) -> dict:
        with self._lock:
            wg = self._workgroup(p.get("workgroupName"))
            if wg.status == "CREATING" and wg.error is None:
                raise ApiError("ConflictException", f"Workgroup {wg.name} is CREATING; try again when it is available.")
            wg.status = "DELETING"
            out = {"workgroup": wg.describe()}
            del self.workgroups[wg.name]
        wh = self.runtime.warehouse(f"ns:{wg.namespace}")
        if wh is not None:
            wh.stop()
        return out

    def update_workgroup(self, p: dict) -> dict:
        """The settings that change nothing the warehouse runs: capacity, security groups, public access
        (asked again on every new connection), configuration parameters."""
        with self._lock:
            wg = self._workgroup(p.get("workgroupName"))
            if "port" in p and p["port"] != wg.requested_port:
                raise ApiError(
                    "ValidationException", "NOT_SUPPORTED: localcloud does not move a workgroup to another port."
                )
            if "baseCapacity" in p:
                wg.base_capacity = _check_capacity(p["baseCapacity"])
            if "maxCapacity" in p:
                wg.max_capacity = p["maxCapacity"]
            if "securityGroupIds" in p:
                wg.security_group_ids = list(p["securityGroupIds"])
            if "subnetIds" in p:
                wg.subnet_ids = list(p["subnetIds"])
            if "publiclyAccessible" in p:
                wg.publicly_accessible = bool(p["publiclyAccessible"])
            if "enhancedVpcRouting" in p:
                wg.enhanced_vpc_routing = bool(p["enhancedVpcRouting"])
            params = {d["parameterKey"]: d for d in wg.config_parameters}
            for item in p.get("configParameters") or []:
                params[item["parameterKey"]] = dict(item)
            wg.config_parameters = list(params.values())
            return {"workgroup": wg.describe()}

    # -- tags (TagResource / UntagResource / ListTagsForResource, by ARN) ---------------------------
    def _by_arn(self, arn: str | None) -> Namespace | Workgroup:
        with self._lock:
            items: list[Namespace | Workgroup] = [*self.namespaces.values(), *self.workgroups.values()]
            for item in items:
                if item.arn == arn:
                    return item
        raise ApiError("ResourceNotFoundException", f"Resource {arn} not found.")

    def tag_resource(self, p: dict) -> dict:
        item = self._by_arn(p.get("resourceArn"))
        new = {t["key"]: t for t in _check_tags(p.get("tags"))}
        with self._lock:
            kept = [t for t in item.tags if t["key"] not in new]
            if len(kept) + len(new) > 200:
                raise ApiError("TooManyTagsException", "A resource can have at most 200 tags.")
            item.tags = kept + list(new.values())
        return {}

    def untag_resource(self, p: dict) -> dict:
        item = self._by_arn(p.get("resourceArn"))
        keys = set(p.get("tagKeys") or [])
        with self._lock:
            item.tags = [t for t in item.tags if t["key"] not in keys]
        return {}

    def list_tags_for_resource(self, p: dict) -> dict:
        return {"tags": [dict(t) for t in self._by_arn(p.get("resourceArn")).tags]}

    def _workgroup(self, name: str | None) -> Workgroup:
        wg = self.workgroups.get(name or "")
        if wg is None:
            raise ApiError("ResourceNotFoundException", f"Workgroup {name} not found.")
        return wg

    def warehouse_for_workgroup(self, name: str) -> tuple[Warehouse, Namespace]:
        wg = self._workgroup(name)
        if wg.status != "AVAILABLE":
            raise ApiError("ValidationException", f"Workgroup {name} is not available (status {wg.status}).")
        return self._namespace_warehouse(wg.namespace), self.namespaces[wg.namespace]

    def close(self) -> None:
        for t in self._threads:
            t.join(120)
        with self._lock:
            self.workgroups.clear()
            self.namespaces.clear()


# Base capacities AWS accepts (Management Guide, "Understanding Amazon Redshift Serverless capacity",
# read 2026-11-30; helpers/facts.toml redshift.serverless_base_capacity): 4 RPU, then 8 to 512 in
# steps of 8, then up to 1024 in steps of 32 (1024 only in some Regions, us-east-1 among them).
BASE_CAPACITIES = {4, *range(8, 513, 8), *range(544, 1025, 32)}


def _check_capacity(base: object) -> int:
    if not isinstance(base, int) or base not in BASE_CAPACITIES:
        raise ApiError(
            "ValidationException",
            "baseCapacity must be 4 RPUs, a multiple of 8 from 8 to 512, or a multiple of 32 from 512 to 1024.",
        )
    return base


def _check_tags(tags: list[object] | None) -> list[dict]:
    out = []
    for t in tags or []:
        if not isinstance(t, dict) or not t.get("key") or "value" not in t:
            raise ApiError("ValidationException", "Each tag needs a key and a value.")
        out.append({"key": str(t["key"]), "value": str(t["value"])})
    return out


def _check_password(password: str) -> None:
    # Redshift: 8-64 characters, an upper-case letter, a lower-case letter and a digit;
    # printable ASCII except ' " \ / @ and space.
    ok = (
        8 <= len(password) <= 64
        and re.search(r"[A-Z]", password)
        and re.search(r"[a-z]", password)
        and re.search(r"[0-9]", password)
        and all(33 <= ord(ch) <= 126 and ch not in "'\"\\/@" for ch in password)
    )
    if not ok:
        raise ApiError(
            "ValidationException",
            "adminUserPassword must be 8-64 characters with an upper-case letter, a lower-case letter and a digit, "
            "and no ' \" \\ / @ or space.",
        )


def _generate_password() -> str:
    while True:
        pw = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(32))
        if re.search(r"[A-Z]", pw) and re.search(r"[a-z]", pw) and re.search(r"[0-9]", pw):
            return pw


def _page(items: list[dict], p: dict, key: str) -> dict:
    start = int(p.get("nextToken") or 0)
    size = int(p.get("maxResults") or 100)
    out: dict[str, object] = {key: items[start : start + size]}
    if start + size < len(items):
        out["nextToken"] = str(start + size)
    return out
