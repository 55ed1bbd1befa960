"""Athena: SQL answered for real by DuckDB over the Glue catalog's S3 data (lab 04)."""

from .engine import AthenaEngine as ENGINE

__all__ = ["ENGINE"]
