"""Built-in prerequisites for ``lab.require`` (each later lab registers its own here).

Every ``ensure`` function is idempotent and returns True only when it created something.
"""

from __future__ import annotations

from . import clients
from .lab import requirement


@requirement("default-vpc", lab="01", description="a default VPC in this region")
def ensure_default_vpc() -> bool:
    ec2 = clients.client("ec2")
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    if vpcs:
        return False
    ec2.create_default_vpc()  # AWS re-creates it with a default subnet in every AZ
    return True
