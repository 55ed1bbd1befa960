"""Key pairs as AWS shows them: ``KeyType`` always, and the fingerprint AWS computes for each kind.

AWS (EC2 API reference, ``KeyPairInfo.KeyFingerprint``; EC2 user guide "Verify the fingerprint of
your key pair"; read 2026-11-30):

=================  ======================================  ======================================
key pair           RSA                                     ED25519
=================  ======================================  ======================================
CreateKeyPair      SHA-1 of the DER (PKCS#8) private key,  SHA-256 of the public key blob,
                   hex pairs joined by ``:``               base64 with ``=`` padding (OpenSSH 6.8+
                                                           shows the same digest without padding)
ImportKeyPair      MD5 of the DER public key (RFC 4716     as above
                   section 4), hex pairs joined by ``:``
=================  ======================================  ======================================

moto 5.2.5 hashes the public key in every case and shows hex pairs for ED25519, and leaves
``KeyType`` out when CreateKeyPair had no ``KeyType`` (AWS's default is ``rsa``).  PuTTY key files
(``KeyFormat=ppk``) are refused rather than answered with a PEM file.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives import serialization

from ... import seam
from ...awserrors import error
from ...calls import Call, Response
from .. import Engine

DEFAULT_KEY_TYPE = "rsa"


def _hex_pairs(digest: bytes) -> str:
    return ":".join(f"{b:02x}" for b in digest)


def public_key_blob(public: bytes | str) -> bytes:
    """The SSH wire-format key blob of a public key as ImportKeyPair takes it: an OpenSSH line
    (``ssh-ed25519 AAAA... comment``) or an RFC 4716 block, whose body is the same blob."""
    text = public.decode() if isinstance(public, bytes) else public
    if text.lstrip().startswith("---- BEGIN SSH2 PUBLIC KEY ----"):
        body: list[str] = []
        continued = False
        for line in text.strip().splitlines()[1:-1]:
            header = continued or (":" in line and not body)
            continued = header and line.endswith("\\")
            if not header:
                body.append(line.strip())
        return base64.b64decode("".join(body))
    return base64.b64decode(text.split()[1])


def fingerprint(key_type: str, material: seam.KeyPairMaterial, imported: bool) -> str | None:
    """The fingerprint AWS shows for a key pair (see the module docstring); None where moto's is AWS's."""
    if key_type == "ed25519":
        return base64.b64encode(hashlib.sha256(public_key_blob(material.public)).digest()).decode()
    if imported:
        return None  # moto's MD5 of the DER public key is what AWS shows
    key = serialization.load_pem_private_key(material.private, password=None)
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return _hex_pairs(hashlib.sha1(der).digest())


class KeyPairs(Engine):
    """Mixed into the EC2 engine: CreateKeyPair / ImportKeyPair answers and state as on AWS."""

    def _api_CreateKeyPair(self, call: Call) -> Response | None:
        if call.params.get("KeyFormat", "pem") == "ppk":
            return error(
                call,
                "UnsupportedOperation",
                "localcloud does not make PuTTY (.ppk) key files: create the key pair with KeyFormat=pem "
                "(the default) and convert it with puttygen.",
            )
        return None

    def _after_CreateKeyPair(self, call: Call, response: Response) -> Response | None:
        return self._fix_key_pair(call, response, imported=False)

    def _after_ImportKeyPair(self, call: Call, response: Response) -> Response | None:
        return self._fix_key_pair(call, response, imported=True)

    def _fix_key_pair(self, call: Call, response: Response, imported: bool) -> Response | None:
        name = call.params.get("KeyName", "")
        material = seam.ec2_key_pair_material(name, call.region)
        key_type = material.key_type or DEFAULT_KEY_TYPE
        new = fingerprint(key_type, material, imported)
        old = seam.ec2_set_key_pair_details(name, key_type, new, call.region)
        if new is None or new == old:
            return None
        tag = b"<keyFingerprint>%s</keyFingerprint>"
        response.body = response.body.replace(tag % old.encode(), tag % new.encode())
        return response
