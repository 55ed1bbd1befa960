"""``.lab/`` is the learner's alone (issue 12): keys, dumps, logs and credentials under it.

localcloud makes the lab folder 0700 (even one created wider before it), runs with umask 077,
and writes its credentials and client files 0600; the test then tries, as another user, to read
what a local attacker would want.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess

import pytest

from localcloud import config, testing


def _private(path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


def test_lab_folder_and_everything_localcloud_writes_are_private(tmp_path):
    lab_dir = tmp_path / "lab"
    lab_dir.mkdir(mode=0o755)  # e.g. made by an earlier tool run with the usual umask
    (lab_dir / "run").mkdir(mode=0o755)
    os.chmod(lab_dir, 0o755)
    cloud = testing.start(lab_dir)
    try:
        s3 = cloud.client("s3")
        s3.create_bucket(Bucket="private-bucket")
        s3.put_object(Bucket="private-bucket", Key="k", Body=b"secret data")
        assert stat.S_IMODE(lab_dir.stat().st_mode) == 0o700
        state = lab_dir / "localcloud"
        for name in (config.CREDENTIALS_FILE, "aws_credentials", "aws_config", "client_env.json", "daemon.log"):
            assert stat.S_IMODE((state / name).stat().st_mode) == 0o600, name
        for path in state.rglob("*"):  # everything the daemon wrote (its umask is 077)
            if not path.is_symlink():
                assert _private(path), path
    finally:
        cloud.run("stop")


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root to act as another user")
def test_another_local_user_cannot_read_the_credentials(tmp_path):
    lab_dir = tmp_path / "lab"
    cloud = testing.start(lab_dir)
    try:
        os.chmod(tmp_path, 0o755)  # everything up to the lab folder is open: the lab folder must hold
        secret = lab_dir / "localcloud" / config.CREDENTIALS_FILE
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
        done = subprocess.run([*as_nobody, "cat", str(secret)], capture_output=True, text=True)
        assert done.returncode != 0 and "Permission denied" in done.stderr
        done = subprocess.run([*as_nobody, "ls", str(lab_dir)], capture_output=True, text=True)
        assert done.returncode != 0 and "Permission denied" in done.stderr
    finally:
        cloud.run("stop")
