"""EC2 API answers as AWS gives them: key pairs (type, fingerprints) and Elastic IPs.

localcloud/engines/ec2/keypairs.py and addresses.py, against the session's localcloud.  The
fingerprints are checked against independent tools: OpenSSH's ``ssh-keygen -l`` (ED25519) and
the hashes AWS documents, computed here with ``cryptography`` (RSA).
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import shutil
import subprocess
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

import labcontract
from helpers import lab

AL2023 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"


@pytest.fixture(scope="module")
def ec2():
    lab.start("01")
    return boto3.client("ec2")


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _colon_hex(digest: bytes) -> str:
    return ":".join(f"{b:02x}" for b in digest)


def _describe(ec2, name: str) -> dict:
    return ec2.describe_key_pairs(KeyNames=[name], IncludePublicKey=True)["KeyPairs"][0]


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="OpenSSH's ssh-keygen is the oracle (make setup)")
def test_created_ed25519_fingerprint_is_openssh_sha256_with_padding(ec2, tmp_path):
    name = _name("kp-ed")
    created = ec2.create_key_pair(KeyName=name, KeyType="ed25519")
    try:
        pem = tmp_path / "k.pem"
        pem.write_text(created["KeyMaterial"])
        pem.chmod(0o600)
        line = subprocess.run(["ssh-keygen", "-l", "-f", str(pem)], capture_output=True, text=True, check=True).stdout
        openssh = line.split()[1].removeprefix("SHA256:")
        assert created["KeyFingerprint"] == openssh + "=" * (-len(openssh) % 4)
        info = _describe(ec2, name)
        assert (info["KeyType"], info["KeyFingerprint"]) == ("ed25519", created["KeyFingerprint"])
        assert info["PublicKey"].startswith("ssh-ed25519 ") and "CreateTime" in info and info["KeyPairId"]
        assert created["KeyMaterial"].startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    finally:
        ec2.delete_key_pair(KeyName=name)


def test_created_rsa_is_rsa_by_default_with_sha1_of_the_pkcs8_private_key(ec2):
    name = _name("kp-rsa")
    created = ec2.create_key_pair(KeyName=name)  # no KeyType: AWS makes rsa
    try:
        key = serialization.load_pem_private_key(created["KeyMaterial"].encode(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        der = key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        assert created["KeyFingerprint"] == _colon_hex(hashlib.sha1(der).digest())
        info = _describe(ec2, name)
        assert (info["KeyType"], info["KeyFingerprint"]) == ("rsa", created["KeyFingerprint"])
    finally:
        ec2.delete_key_pair(KeyName=name)


def test_imported_keys_md5_for_rsa_sha256_for_ed25519(ec2):
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    ed_key = ed25519.Ed25519PrivateKey.generate().public_key()
    openssh = serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ed_line = ed_key.public_bytes(*openssh)
    expected = {
        "rsa": _colon_hex(hashlib.md5(rsa_key.public_bytes(*spki)).digest()),
        "ed25519": base64.b64encode(hashlib.sha256(base64.b64decode(ed_line.split()[1])).digest()).decode(),
    }
    for key_type, line in (("rsa", rsa_key.public_bytes(*openssh)), ("ed25519", ed_line + b" me@laptop")):
        name = _name(f"imp-{key_type}")
        imported = ec2.import_key_pair(KeyName=name, PublicKeyMaterial=line)
        try:
            assert imported["KeyFingerprint"] == expected[key_type]
            info = _describe(ec2, name)
            assert (info["KeyType"], info["KeyFingerprint"]) == (key_type, expected[key_type])
        finally:
            ec2.delete_key_pair(KeyName=name)


def test_ppk_key_files_are_refused_not_answered_with_pem(ec2):
    with pytest.raises(ClientError) as err:
        ec2.create_key_pair(KeyName=_name("kp-ppk"), KeyFormat="ppk")
    assert err.value.response["Error"]["Code"] == "UnsupportedOperation"
    assert "ppk" in err.value.response["Error"]["Message"]


def _instance(ec2, iid: str) -> dict:
    return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]


def _tag(inst: dict) -> str | None:
    return {t["Key"]: t["Value"] for t in inst.get("Tags", [])}.get(labcontract.SSH_ENDPOINT_TAG)


def test_an_elastic_ip_looks_public_and_stays_through_stop_start(ec2):
    ami = boto3.client("ssm").get_parameter(Name=AL2023)["Parameter"]["Value"]
    iid = ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid])
    eip = ec2.allocate_address(Domain="vpc")
    try:
        ip = ipaddress.ip_address(eip["PublicIp"])
        assert not (ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_unspecified)
        assert not any(ip in ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
        ec2.associate_address(AllocationId=eip["AllocationId"], InstanceId=iid)
        assert _instance(ec2, iid)["PublicIpAddress"] == eip["PublicIp"]

        ec2.stop_instances(InstanceIds=[iid])
        ec2.get_waiter("instance_stopped").wait(InstanceIds=[iid])
        stopped = _instance(ec2, iid)
        assert stopped["PublicIpAddress"] == eip["PublicIp"]  # AWS: still associated while stopped
        assert _tag(stopped) is None  # no SSH endpoint while stopped

        ec2.start_instances(InstanceIds=[iid])
        ec2.get_waiter("instance_running").wait(InstanceIds=[iid])
        running = _instance(ec2, iid)
        assert running["PublicIpAddress"] == eip["PublicIp"]
        assert _tag(running).startswith("127.0.0.1:")  # the learner's SSH endpoint stays the local gate
        (address,) = ec2.describe_addresses(AllocationIds=[eip["AllocationId"]])["Addresses"]
        assert (address["InstanceId"], address["PublicIp"]) == (iid, eip["PublicIp"])

        ec2.terminate_instances(InstanceIds=[iid])
        ec2.get_waiter("instance_terminated").wait(InstanceIds=[iid])
        (address,) = ec2.describe_addresses(AllocationIds=[eip["AllocationId"]])["Addresses"]
        assert not address.get("InstanceId") and not address.get("AssociationId")  # allocated, not associated
    finally:
        ec2.release_address(AllocationId=eip["AllocationId"])


def test_five_elastic_ips_per_region(ec2):
    held = [a for a in ec2.describe_addresses()["Addresses"] if a["Domain"] == "vpc"]
    mine = [ec2.allocate_address(Domain="vpc")["AllocationId"] for _ in range(5 - len(held))]
    try:
        with pytest.raises(ClientError) as err:
            ec2.allocate_address(Domain="vpc")
        assert err.value.response["Error"]["Code"] == "AddressLimitExceeded"
        addresses = [a["PublicIp"] for a in ec2.describe_addresses()["Addresses"]]
        assert len(set(addresses)) == len(addresses)
    finally:
        for allocation in mine:
            ec2.release_address(AllocationId=allocation)


def _inbound(ec2, group_id: str) -> list[dict]:
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])
    return [r for r in rules["SecurityGroupRules"] if not r["IsEgress"]]


def test_a_vpcs_default_security_group_admits_its_own_members(ec2):
    """AWS ("Default security groups for your VPCs"): all inbound traffic from the group itself."""
    from localcloud.seam.ec2_defaults import self_reference_rule_id

    vpc_id = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    new_vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    try:
        for vpc in (vpc_id, new_vpc):
            group = ec2.describe_security_groups(
                Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
            )["SecurityGroups"][0]
            gid = group["GroupId"]
            assert group["IpPermissions"] == [
                {
                    "IpProtocol": "-1",
                    "UserIdGroupPairs": [{"UserId": group["OwnerId"], "GroupId": gid}],
                    "IpRanges": [],
                    "Ipv6Ranges": [],
                    "PrefixListIds": [],
                }
            ]
            (rule,) = _inbound(ec2, gid)
            assert rule["ReferencedGroupInfo"]["GroupId"] == gid and "CidrIpv4" not in rule
            assert rule["SecurityGroupRuleId"] == self_reference_rule_id(gid)
        mine = ec2.create_security_group(GroupName=_name("t-sg"), Description="t", VpcId=vpc_id)["GroupId"]
        assert _inbound(ec2, mine) == []  # a group you create starts with no inbound rule
        ec2.delete_security_group(GroupId=mine)
    finally:
        ec2.delete_vpc(VpcId=new_vpc)
