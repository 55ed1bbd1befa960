"""Waiting for AWS with boto3 waiters, a bound, and a progress bar (introduced in 00_setup).

``wait_for(ec2, "instance_running", "instance running", InstanceIds=[iid])`` checks the
waiter's condition once per attempt and shows progress between attempts; it gives up
after the waiter's own bound (about a minute locally) with a clear error, never loops
forever the way a bare ``while True: sleep(5)`` does.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Protocol, cast

from botocore.exceptions import WaiterError
from tqdm.auto import tqdm

from . import lab

if TYPE_CHECKING:
    from botocore.client import BaseClient
    from botocore.waiter import SingleWaiterConfig, Waiter


class WaiterSource(Protocol):
    """Anything with boto3's ``get_waiter(name)``, e.g. :class:`helpers.athena`'s custom waiters."""

    def get_waiter(self, waiter_name: str) -> Waiter: ...


class WaitTimeout(RuntimeError):
    pass


def wait_for(
    client: BaseClient | WaiterSource, waiter_name: str, what: str, *, local_seconds: float = 60.0, **kwargs: Any
) -> None:
    """``local_seconds``: the bound on the local target (``lab.poll_policy``); on AWS the waiter's own."""
    waiter = client.get_waiter(waiter_name)
    config = cast("SingleWaiterConfig", waiter.config)  # botocore-stubs say dict; botocore sets this object
    delay, attempts = lab.poll_policy(config.delay, config.max_attempts, local_seconds=local_seconds)
    # No times or rates in the bar: its text is saved with the notebook and must not vary.
    with tqdm(total=attempts, desc=f"waiting for {what}", bar_format="{desc}: {bar} check {n_fmt}", leave=True) as bar:
        for attempt in range(1, attempts + 1):
            try:
                # One check per call; the loop owns the pacing so the bar can move.
                waiter.wait(WaiterConfig={"Delay": 1, "MaxAttempts": 1}, **kwargs)
                bar.update(1)
                bar.total = bar.n  # a full bar: done, not abandoned
                break
            except WaiterError as exc:
                if "Max attempts exceeded" not in str(exc):
                    raise  # a failure state (e.g. the instance terminated): stop at once
                bar.update(1)
                if attempt == attempts:
                    raise WaitTimeout(
                        f"gave up waiting for {what} after {attempts} checks "
                        f"({delay * attempts:.0f} s); check the console, then re-run this cell"
                    ) from None
                time.sleep(delay)
    print(f"✓ {what}")
