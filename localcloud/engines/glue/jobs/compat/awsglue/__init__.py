"""localcloud's ``awsglue``: the subset of AWS Glue's PySpark API that common ETL scripts use.

It exists only on the localcloud Glue workers' ``PYTHONPATH`` (the course environment cannot
import it), so a script that runs here runs unchanged on AWS Glue 5.0, where AWS's own package
takes its place. Anything outside the subset raises ``NotImplementedError`` naming the call.
Python shell jobs import ``awsglue.utils`` without Spark, so nothing here imports pyspark eagerly.
"""

__all__ = ["DynamicFrame"]


def __getattr__(name):
    if name == "DynamicFrame":
        from .dynamicframe import DynamicFrame

        return DynamicFrame
    raise AttributeError(f"module 'awsglue' has no attribute '{name}'")
