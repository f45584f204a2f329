"""The four rotation steps as AWS's RDS rotation templates run them, shared by every
built-in function: a handler is this skeleton plus a strategy and an engine.

For every step, as the templates do: DescribeSecret; refuse a secret whose rotation is
turned off; return at once if the token's version is already AWSCURRENT; refuse a token
whose version is not AWSPENDING. Then:
- createSecret: read AWSCURRENT; if the token's AWSPENDING version already has a value,
  stop (a retry); else put a copy with the strategy's user name and a GetRandomPassword
  password, as the token's version, labelled AWSPENDING.
- setSecret: the strategy's (`single_user`, `alternating_users`).
- testSecret: log in with AWSPENDING and run `SELECT 1`.
- finishSecret: move AWSCURRENT to the token's version (UpdateSecretVersionStage with
  RemoveFromVersionId: the old version becomes AWSPREVIOUS).

One addition: AWS's Secrets Manager, and Strongroom's RotateSecret, stage an empty version
named by the token as AWSPENDING before createSecret. createSecret also accepts a token
that names no version yet, provided no rotation is under way (no version but AWSCURRENT's
holds AWSPENDING), so a built-in can be run step by step without RotateSecret (by hand, or
by a test); its PutSecretValue then makes the token's version. Every other step requires
the token's version, as the templates do.

Invariants: a step that fails raises with a message saying why, and never holds a
password; AWSCURRENT moves only in finishSecret, after testSecret logged in with
AWSPENDING; a failed step leaves the AWSPENDING version in place for the retry.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from contextlib import closing
from dataclasses import dataclass
from typing import Any, Protocol

from strongroom.rotation.builtin.database import Engine, log_in
from strongroom.rotation.builtin.rds_secret import (
    AWSCURRENT,
    AWSPENDING,
    read_secret,
)
from strongroom.rotation.builtin.secrets_client import random_password, secrets_client

__all__ = ["STEPS", "Handler", "Rotation", "Strategy", "rotation_handler"]

log = logging.getLogger(__name__)

STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")

Handler = Callable[[Mapping[str, Any], object], None]
"""`lambda_handler(event, context)`."""


@dataclass(frozen=True)
class Rotation:
    """One step of one rotation: the secret, the version being made, and where it goes."""

    client: Any
    arn: str
    token: str
    engine: Engine

    def read(
        self, stage: str, *, token: str | None = None, secret_id: str | None = None
    ) -> dict[str, Any]:
        """A version of this secret (or of `secret_id`), checked to be for this engine."""
        return read_secret(self.client, secret_id or self.arn, stage, self.engine.engines, token)

    def read_if_any(self, stage: str) -> dict[str, Any] | None:
        """This secret's version labelled `stage`, or None if there is none (or it is not
        a usable RDS secret), as the templates treat AWSPREVIOUS."""
        try:
            return self.read(stage)
        except (self.client.exceptions.ResourceNotFoundException, ValueError):
            return None


class Strategy(Protocol):
    """Single user or alternating users: whose password changes, and how."""

    def pending_username(self, rotation: Rotation, current_username: str) -> str:
        """The user AWSPENDING will name."""

    def set_secret(self, rotation: Rotation) -> None:
        """setSecret: make the database accept the AWSPENDING credentials."""


def create_secret(rotation: Rotation, strategy: Strategy) -> None:
    """createSecret (see the module docstring)."""
    current = rotation.read(AWSCURRENT)
    try:
        rotation.read(AWSPENDING, token=rotation.token)
    except rotation.client.exceptions.ResourceNotFoundException:
        pass
    else:
        log.info("createSecret: version %s of %s already exists", rotation.token, rotation.arn)
        return
    pending = dict(current)
    pending["username"] = strategy.pending_username(rotation, str(current["username"]))
    pending["password"] = random_password(rotation.client, rotation.engine.excluded_characters)
    rotation.client.put_secret_value(
        SecretId=rotation.arn,
        ClientRequestToken=rotation.token,
        SecretString=json.dumps(pending),
        VersionStages=[AWSPENDING],
    )
    log.info("createSecret: put version %s of %s as AWSPENDING", rotation.token, rotation.arn)


def check_pending(rotation: Rotation) -> None:
    """testSecret: the AWSPENDING credentials log in and can run a query."""
    pending = rotation.read(AWSPENDING, token=rotation.token)
    with closing(log_in(rotation.engine, pending, f"{AWSPENDING} secret")) as session:
        session.select_one()
    log.info("testSecret: logged in with AWSPENDING of %s", rotation.arn)


def finish_secret(rotation: Rotation) -> None:
    """finishSecret: AWSCURRENT moves to the token's version."""
    metadata = rotation.client.describe_secret(SecretId=rotation.arn)
    current_version = None
    for version, stages in metadata.get("VersionIdsToStages", {}).items():
        if AWSCURRENT in stages:
            if version == rotation.token:
                log.info("finishSecret: %s is already AWSCURRENT", version)
                return
            current_version = version
            break
    moves: dict[str, Any] = {"MoveToVersionId": rotation.token}
    if current_version is not None:
        moves["RemoveFromVersionId"] = current_version
    rotation.client.update_secret_version_stage(
        SecretId=rotation.arn, VersionStage=AWSCURRENT, **moves
    )
    log.info("finishSecret: AWSCURRENT of %s is now version %s", rotation.arn, rotation.token)


def _wants_step(rotation: Rotation, step: str) -> bool:
    """The templates' staging checks: False if there is nothing left to do."""
    metadata = rotation.client.describe_secret(SecretId=rotation.arn)
    if metadata.get("RotationEnabled") is False:
        raise ValueError(f"Secret {rotation.arn} is not enabled for rotation")
    versions: dict[str, list[str]] = metadata.get("VersionIdsToStages", {})
    stages = versions.get(rotation.token)
    if stages is None:
        under_way = [v for v, s in versions.items() if AWSPENDING in s and AWSCURRENT not in s]
        if step == "createSecret" and not under_way:
            return True
        raise ValueError(
            f"Secret version {rotation.token} has no stage for rotation of secret {rotation.arn}."
        )
    if AWSCURRENT in stages:
        log.info("version %s is already AWSCURRENT for %s", rotation.token, rotation.arn)
        return False
    if AWSPENDING not in stages:
        raise ValueError(
            f"Secret version {rotation.token} not set as AWSPENDING for rotation of secret "
            f"{rotation.arn}."
        )
    return True


def run_step(engine: Engine, strategy: Strategy, event: Mapping[str, Any]) -> None:
    """Run the step `event` names for the secret and token it names."""
    try:
        arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    except KeyError as missing:
        raise ValueError(f"the event lacks {missing.args[0]}") from None
    if step not in STEPS:
        raise ValueError(f"Invalid step parameter {step} for secret {arn}")
    rotation = Rotation(secrets_client(), str(arn), str(token), engine)
    if not _wants_step(rotation, step):
        return
    if step == "createSecret":
        create_secret(rotation, strategy)
    elif step == "setSecret":
        strategy.set_secret(rotation)
    elif step == "testSecret":
        check_pending(rotation)
    else:
        finish_secret(rotation)


def rotation_handler(engine: Engine, strategy: Strategy) -> Handler:
    """A `lambda_handler(event, context)` rotating `engine` secrets with `strategy`."""

    def lambda_handler(event: Mapping[str, Any], context: object) -> None:
        run_step(engine, strategy, event)

    lambda_handler.__doc__ = f"Rotate a {engine.label} secret ({type(strategy).__name__})."
    return lambda_handler
