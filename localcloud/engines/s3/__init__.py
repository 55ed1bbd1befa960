"""S3: what AWS enforces and moto does not (Object Ownership, Block Public Access, key length)."""

from .engine import S3Engine as ENGINE

__all__ = ["ENGINE"]
