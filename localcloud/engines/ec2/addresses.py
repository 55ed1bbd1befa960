"""Elastic IP addresses as AWS keeps them (allocate, associate, stop/start, terminate).

* **Addresses look public, and lead nowhere.** moto draws Elastic IPs from 127.0.0.0/8 (loopback):
  an address the learner's machine answers itself.  localcloud gives them addresses from the
  documentation ranges (RFC 5737: 198.51.100.0/24, then 192.0.2.0/24), which look like any public
  address but are never routed, so an ``ssh ec2-user@<elastic ip>`` typed from an example reaches
  nobody.  The learner's SSH endpoint stays the local gate in the ``localcloud:ssh-endpoint`` tag.
* **The association survives stop/start** (AWS: an Elastic IP stays associated with a stopped
  instance, which shows it as its public IP; moto drops it at stop and draws a new random
  address at start), and **ends at terminate** (the address stays allocated, unassociated).
* **The quota**: 5 Elastic IPs per Region by default (Amazon EC2 service quotas, "EC2-VPC Elastic
  IPs"; error ``AddressLimitExceeded``, EC2 API error codes; read 2026-11-30).
"""

from __future__ import annotations

import ipaddress

from ... import seam
from ...awserrors import error
from ...calls import Call, Response
from .. import Engine

POOLS = (ipaddress.ip_network("198.51.100.0/24"), ipaddress.ip_network("192.0.2.0/24"))
ADDRESS_QUOTA = 5


class ElasticIps(Engine):
    """Mixed into the EC2 engine.  Its lifecycle fixes run after the engine's own
    ``_after_StartInstances``/... (the SSH endpoints), as ``_addresses_after_<Operation>``."""

    def after(self, call: Call, response: Response) -> Response | None:
        result = super().after(call, response)
        if response.status < 300 and call.operation:
            fix = getattr(self, f"_addresses_after_{call.operation}", None)
            if fix is not None:
                fix(call)
        return result

    def _api_AllocateAddress(self, call: Call) -> Response | None:
        held = [a for a in seam.ec2_elastic_ips(call.region) if a.domain == "vpc"]
        if len(held) >= ADDRESS_QUOTA:
            return error(call, "AddressLimitExceeded", "The maximum number of addresses has been reached.")
        return None

    def _after_AllocateAddress(self, call: Call, response: Response) -> Response | None:
        if call.params.get("Address"):
            return None  # an address the learner asked for (BYOIP): keep it
        taken = {a.public_ip for a in seam.ec2_elastic_ips(call.region)}
        for eip in seam.ec2_elastic_ips(call.region):
            if not ipaddress.ip_address(eip.public_ip).is_loopback or eip.allocation_id is None:
                continue
            if f"<allocationId>{eip.allocation_id}</allocationId>".encode() not in response.body:
                continue
            new = next(str(ip) for pool in POOLS for ip in pool.hosts() if str(ip) not in taken)
            seam.ec2_set_elastic_ip_address(eip.allocation_id, new, call.region)
            response.body = response.body.replace(f">{eip.public_ip}<".encode(), f">{new}<".encode())
            return response
        return None

    def _addresses_after_StartInstances(self, call: Call) -> None:
        for iid in call.param_list("InstanceId"):
            seam.ec2_keep_elastic_ips(iid, call.region)

    _addresses_after_StopInstances = _addresses_after_StartInstances

    def _addresses_after_TerminateInstances(self, call: Call) -> None:
        for iid in call.param_list("InstanceId"):
            seam.ec2_disassociate_elastic_ips(iid, call.region)
