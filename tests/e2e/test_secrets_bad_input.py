"""Bad input to Secrets Manager is a 4xx AWS error, never a 500, and a refusal changes nothing.

The test walks botocore's `secretsmanager` model (the pinned botocore, as
`api/aws/model.py` loads it). For each operation it sends requests whose other members are
plausible (a real secret with two versions, a tag and a resource policy; a fresh name and
token where the operation creates something) and whose chosen member is:
- junk text, in every string slot (top level, list items, members of nested structures):
  JSON nested a thousand deep, a very long string, a lone surrogate, a digit that is not
  ASCII, control characters: success or a 4xx;
- missing (each required member), oversized or undersized (past each `max`/`min` of the
  model), or of the wrong JSON type (every slot, sent as raw signed JSON, since botocore
  cannot serialize some of these): always a 4xx.
Every 4xx carries an AWS error code, and after each refused request the secret (its
description, versions and labels, current value, policy) and the list of secrets are
exactly as before. Operations Strongroom does not serve are UnsupportedOperationException
(400). The server's stderr must never hold a traceback.

Parameter validation is off in the client and retries are off, so each request reaches
the server once, exactly as built.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.model import Shape

from strongroom.services.secretsmanager import OPERATIONS
from tests.e2e.answers import answer
from tests.e2e.bad_input_probe import Probe, walk_tests
from tests.e2e.harness import ServerProcess
from tests.e2e.model_walk import Walk, load_model
from tests.e2e.server_log import assert_no_traceback, log_of, logging_server

POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
            }
        ],
    }
)
COMPANIONS = {
    "CreateSecret": ("SecretString", "ClientRequestToken"),
    "PutSecretValue": ("SecretString", "ClientRequestToken"),
    "UpdateSecretVersionStage": ("MoveToVersionId",),
}
"""Optional members sent along by default, so that bad text reaches deeper than the first
"you must provide ..." check."""
NESTED_COMPANIONS = frozenset({"Region", "Key"})
"""The same inside structures: a replica entry's Region, a tag's or filter's Key."""
ACCESS_DATE = "LastAccessedDate"
"""Left out of the state: a read on a new UTC day may move it."""


@dataclass(frozen=True)
class Context:
    """The real secret the plausible members name."""

    name: str
    arn: str
    current: str
    pending: str


def _fresh_name() -> str:
    return f"bad-input-{uuid.uuid4().hex[:12]}"


def _named(name: str, shape: Shape, ctx: Context) -> str | None:
    """The plausible value of a string member, by its name (an enum's: the model's first)."""
    if shape.enum:
        return None
    if name == "Name":
        return _fresh_name()
    if name == "ClientRequestToken":
        return str(uuid.uuid4())
    return {
        "SecretId": ctx.name,
        "SecretIdList": ctx.name,
        "ResourcePolicy": POLICY,
        "Region": "eu-west-1",
        "RemoveReplicaRegions": "eu-west-1",
        "VersionStage": "custom-stage",
        "VersionId": ctx.current,
        "MoveToVersionId": ctx.current,
        "RemoveFromVersionId": ctx.pending,
        "RotationToken": str(uuid.UUID(int=1)),
        "Key": "purpose",
        "Value": "bad-input",
        "TagKeys": "purpose",
    }.get(name)


def _one_value(operation: str, member: str | None, params: dict[str, Any], ctx: Context) -> None:
    """A bad SecretBinary is sent alone: one value at a time."""
    if member == "SecretBinary":
        params.pop("SecretString", None)


MODEL = load_model("secretsmanager")
WALK = Walk(MODEL, _named, NESTED_COMPANIONS, COMPANIONS, _one_value)
server = logging_server("secrets-bad-input")


def _context(client: Any) -> Context:
    """A secret with AWSCURRENT and AWSPENDING versions, a tag and a resource policy."""
    name = _fresh_name()
    current, pending = str(uuid.uuid4()), str(uuid.uuid4())
    arn = client.create_secret(Name=name, SecretString="v1", ClientRequestToken=current)["ARN"]
    client.put_secret_value(
        SecretId=arn, SecretString="v2", ClientRequestToken=pending, VersionStages=["AWSPENDING"]
    )
    client.tag_resource(SecretId=arn, Tags=[{"Key": "purpose", "Value": "bad-input"}])
    client.put_resource_policy(SecretId=arn, ResourcePolicy=POLICY)
    return Context(name, arn, current, pending)


def _state(client: Any, ctx: Context) -> tuple[Any, ...]:
    """What a refused request must leave as it was."""
    names: list[str] = []
    for page in client.get_paginator("list_secrets").paginate(IncludePlannedDeletion=True):
        names.extend(entry["ARN"] for entry in page["SecretList"])
    return (
        answer(client.describe_secret, ACCESS_DATE, SecretId=ctx.arn),
        answer(
            client.list_secret_version_ids, ACCESS_DATE, SecretId=ctx.arn, IncludeDeprecated=True
        ),
        answer(client.get_secret_value, ACCESS_DATE, SecretId=ctx.arn),
        answer(client.get_resource_policy, ACCESS_DATE, SecretId=ctx.arn),
        sorted(names),
    )


def _probe(server: ServerProcess, operation: str) -> Probe[Context]:
    """A probe of `operation` on a fresh context."""
    client = server.client("secretsmanager", validate=False)
    since = len(log_of(server))
    ctx = _context(client)
    return Probe(server, client, WALK, operation, ctx, _state, since, operation in OPERATIONS)


# --- the tests -----------------------------------------------------------------------


def test_the_walk_covers_every_operation_and_the_members_that_matter() -> None:
    slots = {op: {where for where, _, _ in WALK.slots(op)} for op in MODEL.operation_names}
    assert set(OPERATIONS) <= set(slots)
    assert {"Name", "SecretString", "SecretBinary", "Tags.[0].Key"} <= slots["CreateSecret"]
    assert "AddReplicaRegions.[0].Region" in slots["ReplicateSecretToRegions"]
    assert "Filters.[0].Values.[0]" in slots["ListSecrets"]
    assert {"SecretIdList.[0]", "Filters.[0].Key"} <= slots["BatchGetSecretValue"]
    assert "VersionStages.[0]" in slots["PutSecretValue"]
    assert sum(map(len, slots.values())) > 100


(
    test_every_string_member_fed_junk_is_answered_without_a_5xx,
    test_a_missing_required_member_is_refused,
    test_a_member_past_its_bounds_is_refused,
    test_a_member_of_the_wrong_type_is_refused,
) = walk_tests(WALK, MODEL.operation_names, _probe, "eu-west-1")


@pytest.mark.parametrize("operation", ["CreateSecret", "ReplicateSecretToRegions"])
def test_a_replica_entry_without_a_region_is_refused(server: ServerProcess, operation: str) -> None:
    """The model lets `Region` be absent; the service must still refuse, not fail."""
    probe = _probe(server, operation)
    for entry in [{}, {"KmsKeyId": "alias/aws/secretsmanager"}]:
        params = {**WALK.base(operation, probe.ctx), "AddReplicaRegions": [entry]}
        probe.send(f"AddReplicaRegions <- [{entry}]", params, must_fail=True, raw=False)
    probe.finish()


def test_the_server_log_holds_no_traceback(server: ServerProcess) -> None:
    assert log_of(server), "the server's stderr was not captured"
    assert_no_traceback(server)
