"""IAM: AWS managed policies exist when a request names them (moto answers the rest)."""

from .engine import IamEngine as ENGINE

__all__ = ["ENGINE"]
