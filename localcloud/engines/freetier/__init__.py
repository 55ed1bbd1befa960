"""AWS Free Tier API: the account's plan (moto has no such service; this engine answers it)."""

from .engine import FreeTierEngine as ENGINE

__all__ = ["ENGINE"]
