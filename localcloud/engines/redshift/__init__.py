"""Amazon Redshift: Serverless, provisioned clusters and the Data API over PostgreSQL-backed warehouses."""

from .engine import RedshiftEngine as ENGINE

__all__ = ["ENGINE"]
