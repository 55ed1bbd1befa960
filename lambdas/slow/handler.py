"""A deliberately slow handler (lab 07, failure modes): it sleeps longer than its timeout.

Lambda stops a function at its configured timeout, whatever it is doing; the caller gets
``FunctionError: Unhandled`` with *Task timed out after N.NN seconds*. Invoke it with
``{"seconds": 10}`` on a function whose timeout is 1 s (lab 07) to see that happen.
"""

import time
from typing import Any


def lambda_handler(event: dict[str, Any] | None, context: Any) -> dict[str, float]:
    seconds = float((event or {}).get("seconds", 10))
    print(f"working for {seconds:g} s; the function has {context.get_remaining_time_in_millis()} ms")
    time.sleep(seconds)
    return {"slept_seconds": seconds}
