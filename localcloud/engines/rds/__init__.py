"""RDS for MySQL/MariaDB: a real MariaDB server per DB instance, replicas, the TCP gate (labs 02, 03, 06)."""

from .engine import RdsMariaDB as ENGINE

__all__ = ["ENGINE"]
