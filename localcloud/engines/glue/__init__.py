"""Glue: crawlers that infer tables and partitions from S3 (lab 04)."""

from .engine import GlueEngine as ENGINE

__all__ = ["ENGINE"]
