"""Rotation functions for end-to-end tests, written as one writes them for AWS Lambda.

`GENERIC` follows AWS's rotation template for a secret Strongroom cannot verify anywhere
else (createSecret makes a random password with GetRandomPassword, setSecret and
testSecret have nothing to reach, finishSecret moves AWSCURRENT). Its environment steers
it, so one function covers the failure cases:
- `FAIL_STEP=<step>`: that step raises;
- `HANG_STEP=<step>` with `HANG_MARKER=<path>`: the first call of that step writes its
  process id into the marker (atomically: the marker never exists empty) and hangs (until
  killed); later calls go on;
- `EXIT_STEP=<step>`: that step ends the function's process at once (`os._exit(1)`), as a
  crash in native code would, without an answer;
- `FAIL_AFTER_STEP=<step>`: that step does its work, then raises;
- `CALL_LOG=<path>`: every call appends `<secret arn> <token> <step>` (to count them).
"""

from __future__ import annotations

import io
import zipfile

GENERIC = """
import json
import os
import time

import boto3


def _log(event):
    path = os.environ.get("CALL_LOG")
    if path:
        with open(path, "a") as log:
            log.write(f"{event['SecretId']} {event['ClientRequestToken']} {event['Step']}\\n")


def lambda_handler(event, context):
    _log(event)
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    client = boto3.client("secretsmanager", endpoint_url=os.environ["SECRETS_MANAGER_ENDPOINT"])
    metadata = client.describe_secret(SecretId=arn)
    if not metadata.get("RotationEnabled"):
        raise ValueError(f"Secret {arn} is not enabled for rotation")
    versions = metadata["VersionIdsToStages"]
    if token not in versions:
        raise ValueError(f"Secret version {token} has no stage for rotation of secret {arn}.")
    if "AWSCURRENT" in versions[token]:
        return
    if "AWSPENDING" not in versions[token]:
        raise ValueError(f"Secret version {token} not set as AWSPENDING for rotation of {arn}.")
    if os.environ.get("FAIL_STEP") == step:
        raise RuntimeError(f"{step} failed on purpose")
    if os.environ.get("EXIT_STEP") == step:
        os._exit(1)
    marker = os.environ.get("HANG_MARKER")
    if os.environ.get("HANG_STEP") == step and marker and not os.path.exists(marker):
        with open(marker + ".tmp", "w") as pid:
            pid.write(str(os.getpid()))
        os.replace(marker + ".tmp", marker)
        time.sleep(3600)
    if step == "createSecret":
        client.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")
        try:
            client.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        except client.exceptions.ResourceNotFoundException:
            password = client.get_random_password(ExcludeCharacters="/@\\"\\\\'")
            client.put_secret_value(
                SecretId=arn,
                ClientRequestToken=token,
                SecretString=json.dumps({"password": password["RandomPassword"]}),
                VersionStages=["AWSPENDING"],
            )
    elif step == "finishSecret":
        current = next(v for v, stages in versions.items() if "AWSCURRENT" in stages)
        client.update_secret_version_stage(
            SecretId=arn,
            VersionStage="AWSCURRENT",
            MoveToVersionId=token,
            RemoveFromVersionId=current,
        )
    elif step not in ("setSecret", "testSecret"):
        raise ValueError("Invalid step parameter")
    if os.environ.get("FAIL_AFTER_STEP") == step:
        raise RuntimeError(f"{step} failed after its work, on purpose")
"""


def zipped(source: str, module: str = "lambda_function") -> bytes:
    """A deployment package holding `source` as `<module>.py`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{module}.py", source)
    return buffer.getvalue()
