"""localcloud's implementation details behind the ``awsglue`` API (not part of AWS's package)."""
