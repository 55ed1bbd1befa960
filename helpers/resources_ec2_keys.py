"""Private key files the labs saved under ``.lab/keys`` (introduced in 01_ec2_launch_and_ssh).

A key pair's private key lives only in the file :func:`helpers.ssh.save_private_key` wrote;
deleting the key pair in EC2 leaves that file behind, so teardown removes it too. Files are
named after their key pair, ``aws-de-labs-labNN.pem``, which says which lab made them.
"""

from __future__ import annotations

import re
from pathlib import Path

from . import paths
from .resources import Resource, collector

_NAME = re.compile(r"^aws-de-labs-lab(\d\d)(?:-.*)?\.pem$")


def _delete(path: Path) -> None:
    if path.exists():
        path.chmod(0o600)  # 0400 files can be unlinked anyway; this keeps other systems happy too
        path.unlink()


@collector("local key file", order=21)  # right after the EC2 key pairs
def _key_files() -> list[Resource]:
    d = paths.lab_dir() / "keys"
    found = []
    for path in sorted(d.glob("aws-de-labs-lab*.pem")) if d.is_dir() else []:
        m = _NAME.match(path.name)
        if m:
            found.append(
                Resource(
                    "local key file", f"keys/{path.name}", m.group(1), "", path.stem, lambda path=path: _delete(path)
                )
            )
    return found
