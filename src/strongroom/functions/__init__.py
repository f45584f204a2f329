"""Runs a Lambda-style Python function, one invocation per process, never in the server.

`invoke(Invocation(...))` unpacks the deployment package into a private directory,
starts a fresh interpreter there in its own process group with only the function's
environment, hands it the event and a context as AWS's Python runtime does, enforces
Timeout and MemorySize from the server, logs its output with the request id, and
answers as Lambda's Invoke does: the payload, or Lambda's error document with
function_error "Unhandled", and the log's tail. Linux only (/proc measures memory).
"""

from strongroom.functions.invocation import Invocation, InvocationResult
from strongroom.functions.runner import invoke

__all__ = ["Invocation", "InvocationResult", "invoke"]
