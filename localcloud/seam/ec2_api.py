"""EC2 key pairs and Elastic IP addresses in moto's state, for the EC2 engine's AWS-fidelity fixes.

* key pairs: what moto made (type, private and public material) and the type and fingerprint
  AWS would show (the engine computes them: ``engines/ec2/keypairs.py``);
* Elastic IPs: their addresses, which instance they are associated with, and keeping an
  association across stop/start (moto gives a stopped-and-started instance a new random public
  IP even while an Elastic IP is associated) and ending it at terminate, as AWS does.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import config
from .backends import NotFound, backend
from .models import Ec2ElasticAddress, Ec2KeyPair


@dataclass(frozen=True)
class KeyPairMaterial:
    key_type: str | None  # None: moto was not told (CreateKeyPair without KeyType: AWS's default is rsa)
    private: bytes  # PEM (RSA: traditional, ED25519: OpenSSH); empty for an imported key
    public: bytes | str  # OpenSSH public key line (bytes), or the text ImportKeyPair was given


def _key_pair(name: str, region: str) -> Ec2KeyPair:
    kp = backend("ec2", region).key_pairs.get(name)
    if kp is None:
        raise NotFound("ec2 key pair", name)
    return kp


def ec2_key_pair_material(name: str, region: str = config.REGION) -> KeyPairMaterial:
    kp = _key_pair(name, region)
    return KeyPairMaterial(kp.key_type, kp.material or b"", kp.material_public)


def ec2_set_key_pair_details(
    name: str, key_type: str, fingerprint: str | None = None, region: str = config.REGION
) -> str:
    """Set the type (and the fingerprint, unless None) DescribeKeyPairs shows for a key pair;
    returns the fingerprint moto had."""
    kp = _key_pair(name, region)
    old = kp.key_fingerprint
    kp.key_type = key_type
    if fingerprint is not None:
        kp.key_fingerprint = fingerprint
    return old


@dataclass(frozen=True)
class ElasticIp:
    allocation_id: str | None
    public_ip: str
    domain: str
    instance_id: str | None


def ec2_elastic_ips(region: str = config.REGION) -> list[ElasticIp]:
    return [
        ElasticIp(a.allocation_id, a.public_ip, a.domain, a.instance.id if a.instance is not None else None)
        for a in list(backend("ec2", region).addresses)
    ]


def ec2_set_elastic_ip_address(allocation_id: str, public_ip: str, region: str = config.REGION) -> None:
    """Give a (new, unassociated) Elastic IP another address."""
    for a in backend("ec2", region).addresses:
        if a.allocation_id == allocation_id:
            a.public_ip = public_ip
            if a.eni is not None:
                a.eni.public_ip = public_ip
            return
    raise NotFound("ec2 elastic ip", allocation_id)


def _associated_with(instance_id: str, region: str) -> list[Ec2ElasticAddress]:
    return [a for a in backend("ec2", region).addresses if a.instance is not None and a.instance.id == instance_id]


def ec2_keep_elastic_ips(instance_id: str, region: str = config.REGION) -> list[str]:
    """The instance's network interfaces show their Elastic IPs again (after moto's stop/start);
    returns the addresses."""
    kept: list[str] = []
    for a in _associated_with(instance_id, region):
        if a.eni is not None:
            a.eni.public_ip = a.public_ip
            kept.append(a.public_ip)
    return kept


def ec2_disassociate_elastic_ips(instance_id: str, region: str = config.REGION) -> list[str]:
    """End the associations of a terminated instance's Elastic IPs (they stay allocated)."""
    ec2 = backend("ec2", region)
    gone = []
    for a in _associated_with(instance_id, region):
        ec2.disassociate_address(address=a.public_ip)
        gone.append(a.public_ip)
    return gone
