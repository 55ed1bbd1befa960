"""What RDS offers for the engines this package runs: versions, instance classes, storage, names.

The local server is MariaDB 10.11 (MySQL-compatible); the API reports the RDS for MySQL version a
learner would get on AWS, and the real server is named wherever localcloud describes itself
(``localcloud status``).  Anything outside these tables is refused as RDS refuses it, with RDS's
codes and messages; an engine that has no local server (PostgreSQL, Oracle, ...) is refused with a
localcloud error naming the gap, never created as an instance that nothing answers.

Sources (read 2026-11-30):

* MySQL minor versions RDS supports: aws/aws-cdk ``aws-rds/lib/instance-engine.ts``
  (``MysqlEngineVersion``: 8.0.42-8.0.46 and 8.4.5-8.4.10 current, older ones marked "no longer
  supported by Amazon RDS").  RDS's own default minor (``DefaultOnly=True``) could not be read; the
  newest is used here (``helpers/facts.toml`` [rds.mysql_84_minor]).
* Storage limits per storage type: botocore 1.44.8, RDS ``CreateDBInstanceMessage.AllocatedStorage``
  (MySQL and MariaDB: gp2/gp3 20-65536 GiB, io1/io2 100-65536, standard 5-3072).
* MasterUsername: the same model (1 to 16 letters, numbers or underscores, starting with a letter,
  not a reserved word of the engine).
* EngineLifecycleSupport: the same model (valid values ``open-source-rds-extended-support`` and
  ``open-source-rds-extended-support-disabled``, the first the default; "creating the DB instance
  will fail if the DB major version is past its end of standard support date" when it is disabled).
  MySQL 8.0's end of standard support, 2026-07-31: the AWS Database blog's RDS for MySQL 9.7 LTS
  announcement (``helpers/facts.toml`` [rds.mysql80_end_of_standard_support]); 8.4's, 2029-07-31:
  its RDS Extended Support begins 2029-08-01.  The error RDS answers such a creation with (code and
  message) was not found in any public source: localcloud refuses it as ``LocalCloudNotSupported``,
  saying so, and the message for an invalid value is localcloud's own (code ``InvalidParameterValue``).
* Error texts: as AWS returns them ("Cannot find version 9.99 for mysql", "RDS does not support
  creating a DB instance with the following combination: ...", "Invalid storage size for engine
  name mysql and storage type gp2: 1", "MasterUsername root cannot be used as it is a reserved word
  used by the engine"), from public logs of real calls.
"""

from __future__ import annotations

import datetime
import functools
import re
import subprocess
from dataclasses import dataclass

from .mariadb import server_binary

MYSQL_VERSIONS = {
    "8.4": ("8.4.5", "8.4.6", "8.4.7", "8.4.8", "8.4.9", "8.4.10"),
    "8.0": ("8.0.42", "8.0.43", "8.0.44", "8.0.45", "8.0.46"),
}
MYSQL_DEFAULT_MAJOR = "8.4"
# Majors RDS offers that the local server cannot stand in for (MySQL 9 features MariaDB lacks).
MYSQL_NOT_LOCAL = ("9.7",)
MARIADB_MAJOR = "10.11"

# RDS Extended Support: the API's values, its default, and when standard support ends per major.
EXTENDED_SUPPORT = "open-source-rds-extended-support"
EXTENDED_SUPPORT_DISABLED = "open-source-rds-extended-support-disabled"
LIFECYCLES = (EXTENDED_SUPPORT, EXTENDED_SUPPORT_DISABLED)
END_OF_STANDARD_SUPPORT = {"8.0": datetime.date(2026, 7, 31), "8.4": datetime.date(2029, 7, 31)}

LICENSE = "general-public-license"
# Instance classes RDS offers for MySQL and MariaDB (GiB of memory: DBInstanceClassMemory).
_SIZES = {"micro": 1, "small": 2, "medium": 4, "large": 8, "xlarge": 16, "2xlarge": 32, "4xlarge": 64}
CLASS_MEMORY_GIB = {
    **{f"db.{fam}.{size}": gib for fam in ("t3", "t4g") for size, gib in _SIZES.items() if size != "4xlarge"},
    **{
        f"db.{fam}.{size}": gib
        for fam in ("m5", "m6g", "m6i", "m7g", "m7i")
        for size, gib in _SIZES.items()
        if size in ("large", "xlarge", "2xlarge", "4xlarge")
    },
    **{
        f"db.{fam}.{size}": gib * 2
        for fam in ("r5", "r6g", "r6i", "r7g", "r7i")
        for size, gib in _SIZES.items()
        if size in ("large", "xlarge", "2xlarge", "4xlarge")
    },
}
STORAGE_GIB = {"gp2": (20, 65536), "gp3": (20, 65536), "io1": (100, 65536), "io2": (100, 65536), "standard": (5, 3072)}
DEFAULT_STORAGE_TYPE = "gp3"  # botocore 1.44.8: StorageType defaults to gp3 (io1 when Iops is given)
TOTAL_STORAGE_QUOTA_GIB = 100_000  # RDS quota "Total storage for all DB instances" (default)
# Accounts RDS for MySQL keeps for itself, and MySQL's own superuser: not a master user name.
RESERVED_USERS = frozenset({"root", "rdsadmin", "rdsrepladmin", "rdsproxyadmin", "mysql"})
_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,15}$")


class Refused(Exception):
    """A request RDS refuses: ``code`` and ``message`` as RDS answers."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@functools.cache
def server_version() -> str:
    """The local server's own version, e.g. ``10.11.19`` ('' when none is installed)."""
    binary = server_binary()
    if not binary:
        return ""
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30).stdout
    m = re.search(r"Ver (\d+\.\d+\.\d+)", out)
    return m.group(1) if m else ""


def server_description() -> str:
    version = server_version()
    return f"MariaDB {version}" if version else "MariaDB (not installed)"


def versions(engine: str) -> dict[str, tuple[str, ...]]:
    """Major -> full versions, oldest first."""
    if engine == "mysql":
        return MYSQL_VERSIONS
    return {MARIADB_MAJOR: (server_version() or f"{MARIADB_MAJOR}.0",)}


def default_version(engine: str, major: str | None = None) -> str:
    table = versions(engine)
    return table[major or (MYSQL_DEFAULT_MAJOR if engine == "mysql" else MARIADB_MAJOR)][-1]


def family(engine: str, version: str) -> str:
    """The DB parameter group family of a version: ``mysql8.4``, ``mariadb10.11``."""
    return engine + ".".join(version.split(".")[:2])


def resolve_version(engine: str, requested: str | None) -> str:
    """The full version RDS would create for ``EngineVersion`` (``None``, a major, or a full one)."""
    if not requested:
        return default_version(engine)
    table = versions(engine)
    if requested in table:
        return default_version(engine, requested)
    if any(requested in full for full in table.values()):
        return requested
    major = ".".join(requested.split(".")[:2])
    if engine == "mysql" and major in MYSQL_NOT_LOCAL:
        raise Refused(
            "LocalCloudNotSupported",
            f"RDS for MySQL {requested} exists on AWS, but localcloud's server ({server_description()}) "
            f"cannot stand in for MySQL {major}: use EngineVersion='8.4' locally (or LAB_TARGET=aws).",
        )
    raise Refused("InvalidParameterCombination", f"Cannot find version {requested} for {engine}")


def check_class(engine: str, instance_class: str, version: str) -> None:
    if instance_class not in CLASS_MEMORY_GIB:
        raise Refused(
            "InvalidParameterCombination",
            "RDS does not support creating a DB instance with the following combination: "
            f"DBInstanceClass={instance_class}, Engine={engine}, EngineVersion={version}, "
            f"LicenseModel={LICENSE}. For supported combinations of instance class and database "
            "engine version, see the documentation.",
        )


def check_storage(engine: str, storage_type: str | None, allocated: str | None, others_gib: int) -> None:
    if allocated in (None, ""):
        raise Refused("InvalidParameterValue", "The parameter AllocatedStorage must be provided and must not be null.")
    kind = (storage_type or DEFAULT_STORAGE_TYPE).lower()
    if kind not in STORAGE_GIB:
        raise Refused("InvalidParameterValue", f"Invalid storage type: {storage_type}")
    low, high = STORAGE_GIB[kind]
    size = int(allocated)
    if not low <= size <= high:
        raise Refused(
            "InvalidParameterCombination",
            f"Invalid storage size for engine name {engine} and storage type {kind}: {size}",
        )
    if others_gib + size > TOTAL_STORAGE_QUOTA_GIB:
        raise Refused(
            "StorageQuotaExceeded",
            "The request would result in the user exceeding the allowed amount of storage available "
            "across all DB instances.",
        )


def check_username(name: str) -> None:
    if not _USERNAME.match(name):
        raise Refused(
            "InvalidParameterValue",
            f"The parameter MasterUsername is not a valid identifier: {name!r} must be 1 to 16 letters, "
            "numbers, or underscores, and its first character must be a letter.",
        )
    if name.lower() in RESERVED_USERS:
        raise Refused(
            "InvalidParameterValue", f"MasterUsername {name} cannot be used as it is a reserved word used by the engine"
        )


def check_lifecycle(
    engine: str, lifecycle: str | None, version: str, creating: bool = True, today: datetime.date | None = None
) -> str:
    """The EngineLifecycleSupport an instance gets (the default when a creation names none); refuses a
    value RDS does not know, and Extended Support disabled for a major past its end of standard support."""
    if lifecycle is None:
        return EXTENDED_SUPPORT
    if lifecycle not in LIFECYCLES:
        raise Refused(
            "InvalidParameterValue",
            f"Invalid value {lifecycle} for EngineLifecycleSupport. Valid values: {', '.join(LIFECYCLES)}.",
        )
    major = ".".join(version.split(".")[:2])
    end = END_OF_STANDARD_SUPPORT.get(major) if engine == "mysql" else None
    today = today or datetime.datetime.now(datetime.UTC).date()
    if lifecycle != EXTENDED_SUPPORT_DISABLED or end is None or today <= end:
        return lifecycle
    past = f"RDS for MySQL {major} left standard support on {end.isoformat()}"
    if creating:
        raise Refused(
            "LocalCloudNotSupported",
            f"{past}: with EngineLifecycleSupport='{EXTENDED_SUPPORT_DISABLED}' RDS refuses to create it (RDS API "
            'reference, CreateDBInstance: "creating the DB instance will fail if the DB major version is past its '
            'end of standard support date"). localcloud refuses too, but does not know the error code and message '
            "RDS answers with, so it answers with this one. Ask for EngineVersion='8.4', or leave "
            "EngineLifecycleSupport out to enrol the instance in (paid) RDS Extended Support.",
        )
    raise Refused(
        "LocalCloudNotSupported",
        f"{past}: without Extended Support RDS upgrades such an instance to a supported major version, which "
        "localcloud does not do. Create an 8.4 instance instead, or use LAB_TARGET=aws.",
    )


def max_connections(instance_class: str) -> int:
    """RDS for MySQL's default ``max_connections``: {DBInstanceClassMemory/12582880}."""
    return CLASS_MEMORY_GIB.get(instance_class, 1) * 2**30 // 12582880


# ---- DescribeDBEngineVersions and DescribeOrderableDBInstanceOptions ---------------------------


@dataclass(frozen=True)
class EngineVersion:
    engine: str
    version: str
    major: str
    default: bool

    def as_dict(self) -> dict:
        upgrades = [
            {
                "Engine": self.engine,
                "EngineVersion": v,
                "Description": f"{_engine_label(self.engine)} {v}",
                "AutoUpgrade": False,
                "IsMajorVersionUpgrade": major != self.major,
            }
            for major, fulls in versions(self.engine).items()
            for v in fulls
            if _newer(v, self.version)
        ]
        return {
            "Engine": self.engine,
            "EngineVersion": self.version,
            "DBParameterGroupFamily": family(self.engine, self.version),
            "DBEngineDescription": _engine_label(self.engine) + " Community Edition",
            "DBEngineVersionDescription": f"{_engine_label(self.engine)} {self.version}",
            "ValidUpgradeTarget": upgrades,
            "ExportableLogTypes": ["audit", "error", "general", "slowquery"],
            "SupportsLogExportsToCloudwatchLogs": True,
            "SupportsReadReplica": True,
            "SupportedEngineModes": ["provisioned"],
            "Status": "available",
            "SupportsParallelQuery": False,
            "SupportsGlobalDatabases": False,
            "MajorEngineVersion": self.major,
            "SupportsBabelfish": False,
            "SupportsCertificateRotationWithoutRestart": True,
            "SupportsLocalWriteForwarding": False,
            "SupportsIntegrations": False,
            "SupportsLimitlessDatabase": False,
        }


def _engine_label(engine: str) -> str:
    return "MySQL" if engine == "mysql" else "MariaDB"


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version))


def _newer(a: str, b: str) -> bool:
    return _key(a) > _key(b)


def engine_versions(engine: str | None, version: str | None, family_name: str | None, default_only: bool) -> list[dict]:
    rows = []
    for eng in ("mariadb", "mysql") if engine is None else (engine,):
        if eng not in ("mysql", "mariadb"):
            continue
        for major, fulls in versions(eng).items():
            for full in fulls:
                default = full == default_version(eng, major)
                if version and not (full == version or major == version):
                    continue
                if family_name and family(eng, full) != family_name:
                    continue
                if default_only and not default:
                    continue
                rows.append(EngineVersion(eng, full, major, default).as_dict())
    return rows


def orderable_options(engine: str, version: str | None, instance_class: str | None) -> list[dict]:
    rows = []
    for major, fulls in versions(engine).items():
        for full in fulls:
            if version and version not in (full, major):
                continue
            for cls in CLASS_MEMORY_GIB:
                if instance_class and cls != instance_class:
                    continue
                for kind, (low, high) in STORAGE_GIB.items():
                    rows.append(
                        {
                            "Engine": engine,
                            "EngineVersion": full,
                            "DBInstanceClass": cls,
                            "LicenseModel": LICENSE,
                            "AvailabilityZones": [{"Name": f"us-east-1{z}"} for z in "abcdf"],
                            "MultiAZCapable": True,
                            "ReadReplicaCapable": True,
                            "Vpc": True,
                            "SupportsStorageEncryption": True,
                            "StorageType": kind,
                            "SupportsIops": kind in ("io1", "io2", "gp3"),
                            "SupportsStorageThroughput": kind == "gp3",
                            "SupportsEnhancedMonitoring": True,
                            "SupportsIAMDatabaseAuthentication": True,
                            "SupportsPerformanceInsights": not cls.endswith((".micro", ".small")),
                            "MinStorageSize": low,
                            "MaxStorageSize": high,
                            "SupportedEngineModes": ["provisioned"],
                            "SupportsStorageAutoscaling": True,
                            "SupportsKerberosAuthentication": False,
                            "OutpostCapable": False,
                            "SupportsGlobalDatabases": False,
                            "SupportsClusters": False,
                            "SupportedNetworkTypes": ["IPV4", "DUAL"],
                            "SupportsDedicatedLogVolume": kind in ("io1", "io2"),
                        }
                    )
    return rows
