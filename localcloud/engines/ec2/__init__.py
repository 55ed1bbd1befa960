"""EC2: a real SSH server per running instance, behind its security groups (lab 01)."""

from .engine import Ec2Ssh as ENGINE

__all__ = ["ENGINE"]
