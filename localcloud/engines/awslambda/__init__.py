"""Lambda: handlers run for real in worker processes; S3, SNS and SQS triggers (lab 05)."""

from .engine import LambdaRuntime as ENGINE

__all__ = ["ENGINE"]
