"""CloudFormation: the template checks AWS makes before a stack starts and moto does not."""

from .engine import CloudFormationEngine as ENGINE

__all__ = ["ENGINE"]
