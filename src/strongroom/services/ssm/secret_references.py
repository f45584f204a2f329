"""`GetParameter(Name="/aws/reference/secretsmanager/<secret>[:<version id or label>]")`:
a Secrets Manager secret read through Parameter Store, as AWS serves it.

Secrets Manager is reached only through its operation function GetSecretValue, as the
caller acting via `ssm.<region>.amazonaws.com`, so its authorization, key state and audit
apply. The answer is a SecureString of version 0, named as asked (without the selector),
whose `SourceResult` is GetSecretValue's answer as JSON. WithDecryption is required.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from strongroom.errors import ParameterNotFound, ResourceNotFoundException, ValidationException
from strongroom.services.caller import Caller
from strongroom.services.plugin import ServicePlugin

PREFIX = "/aws/reference/secretsmanager/"
_ARN_PARTS = 7  # arn:partition:secretsmanager:region:account:secret:name-suffix


def is_reference(name: str) -> bool:
    """Whether GetParameter(s) `name` names a Secrets Manager secret."""
    return name.startswith(PREFIX)


def name_of(reference: str) -> str:
    """The reference's parameter name without its selector (`PREFIX` + the secret id, an
    ARN's colons included): what GetParameter(s) is authorized on."""
    return PREFIX + _split(reference)[0]


def _split(reference: str) -> tuple[str, str | None]:
    """(secret id, version id or label) of the part after the prefix."""
    rest = reference[len(PREFIX) :]
    limit = _ARN_PARTS if rest.startswith("arn:") else 1
    parts = rest.split(":", limit)
    if len(parts) > limit:
        return ":".join(parts[:limit]), parts[limit]
    return rest, None


def _version_args(selector: str | None) -> dict[str, str]:
    if selector is None:
        return {}
    if 32 <= len(selector) <= 64 and not selector.startswith("AWS"):
        return {"VersionId": selector}
    return {"VersionStage": selector}


def read(
    secrets: ServicePlugin | None, caller: Caller, reference: str, decrypt: bool
) -> dict[str, Any]:
    """GetParameter's `Parameter` for a secret reference."""
    if not decrypt:
        raise ValidationException(
            "WithDecryption flag must be True for retrieving a Secret Manager secret."
        )
    secret_id, selector = _split(reference)
    via = caller.via(f"ssm.{caller.region}.amazonaws.com")
    if secrets is None or not secret_id:
        raise _not_found(reference)
    get = secrets.operations["GetSecretValue"]
    try:
        value = get(secrets.context, via, SecretId=secret_id, **_version_args(selector))
    except ResourceNotFoundException:
        raise _not_found(reference) from None
    text = value.get("SecretString")
    if text is None:
        text = base64.b64encode(value["SecretBinary"]).decode()
    parameter: dict[str, Any] = {
        "Name": reference[: len(PREFIX) + len(secret_id)],  # as asked, without a selector
        "Type": "SecureString",
        "Value": text,
        "Version": 0,
        "SourceResult": _source_result(value, text),
        "LastModifiedDate": value["CreatedDate"],
        "ARN": value["ARN"],
        "DataType": "text",
    }
    if selector is not None:
        parameter["Selector"] = f":{selector}"
    return parameter


def _source_result(value: dict[str, Any], text: str) -> str:
    """GetSecretValue's answer for the version read, as AWS puts it in `SourceResult`
    (its members named in lower camel case)."""
    fields = {
        "arn": value["ARN"],
        "name": value["Name"],
        "versionId": value["VersionId"],
        "secretString": text,
        "versionStages": value["VersionStages"],
        "createdDate": value["CreatedDate"],
    }
    return json.dumps(fields)


def _not_found(reference: str) -> ParameterNotFound:
    return ParameterNotFound(
        "An error occurred (ParameterNotFound) when referencing Secrets Manager: Secret "
        f"{reference} not found."
    )
