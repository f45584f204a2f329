"""The IAM authorizer: IAM users' identity policies decide; everyone else as before."""

from __future__ import annotations

import json

from tests.unit.services.iam.iam_world import ACCOUNT, World, allow

from strongroom.services.iam.authorizer import IamAuthorizer

USER_ARN = f"arn:aws:iam::{ACCOUNT}:user/alice"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _authorizer(world: World) -> IamAuthorizer:
    authorizer = IamAuthorizer()
    authorizer.attach(world.iam)
    return authorizer


def test_principals_that_are_not_iam_users_are_decided_as_before(world: World) -> None:
    authorizer = _authorizer(world)
    for arn in (
        f"arn:aws:iam::{ACCOUNT}:root",
        f"arn:aws:sts::{ACCOUNT}:assumed-role/rotation/run-1",
        "secretsmanager.amazonaws.com",
    ):
        assert authorizer.is_allowed(arn, "kms:Decrypt", KEY)


def test_a_user_gets_what_its_policies_allow(world: World) -> None:
    authorizer = _authorizer(world)
    world.call("CreateUser", UserName="alice")
    assert not authorizer.is_allowed(USER_ARN, "kms:Encrypt", KEY)
    message = authorizer.denial_message(USER_ARN, "kms:Encrypt", KEY)
    assert message.endswith("because no identity-based policy allows the kms:Encrypt action")
    world.call("PutUserPolicy", UserName="alice", PolicyName="p",
               PolicyDocument=allow(["kms:Encrypt"], KEY))  # fmt: skip
    assert authorizer.is_allowed(USER_ARN, "kms:Encrypt", KEY)
    assert not authorizer.is_allowed(USER_ARN, "kms:Decrypt", KEY)


def test_a_changed_policy_is_what_decides_next(world: World) -> None:
    """Compiled documents are cached by text: a new text is a new decision at once."""
    authorizer = _authorizer(world)
    world.call("CreateUser", UserName="alice")
    world.call("PutUserPolicy", UserName="alice", PolicyName="p",
               PolicyDocument=allow(["kms:Encrypt"]))  # fmt: skip
    assert authorizer.is_allowed(USER_ARN, "kms:Encrypt", KEY)
    deny = json.dumps(
        {"Version": "2012-10-17",
         "Statement": [{"Effect": "Deny", "Action": "kms:*", "Resource": "*"}]}
    )  # fmt: skip
    world.call("PutUserPolicy", UserName="alice", PolicyName="p", PolicyDocument=deny)
    assert not authorizer.is_allowed(USER_ARN, "kms:Encrypt", KEY)
    assert authorizer.denial_message(USER_ARN, "kms:Encrypt", KEY).endswith(
        "with an explicit deny in an identity-based policy"
    )


def test_an_unknown_user_or_a_detached_authorizer_is_allowed_nothing(world: World) -> None:
    assert not _authorizer(world).is_allowed(USER_ARN, "kms:Encrypt", KEY)
    world.call("CreateUser", UserName="alice")
    world.call("PutUserPolicy", UserName="alice", PolicyName="p",
               PolicyDocument=allow(["kms:Encrypt"]))  # fmt: skip
    assert not IamAuthorizer().is_allowed(USER_ARN, "kms:Encrypt", KEY)


class _Clock:
    def __init__(self, at: float) -> None:
        self.at = at

    def now(self) -> float:
        return self.at


def test_a_remembered_verdict_follows_the_clock(world: World) -> None:
    """Verdicts are kept per second: a time condition flips when the second does."""
    clock = _Clock(1_800_000_000.0)  # 2027-01-15T08:00:00Z
    authorizer = IamAuthorizer(clock)  # type: ignore[arg-type]
    authorizer.attach(world.iam)
    world.call("CreateUser", UserName="alice")
    until = {"DateLessThan": {"aws:CurrentTime": "2027-01-15T08:00:01Z"}}
    document = json.dumps(
        {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*", "Condition": until}
        ]}
    )  # fmt: skip
    world.call("PutUserPolicy", UserName="alice", PolicyName="p", PolicyDocument=document)
    assert authorizer.is_allowed(USER_ARN, "kms:Encrypt", KEY)
    assert authorizer.is_allowed(USER_ARN, "kms:Encrypt", KEY)  # remembered
    clock.at += 1
    assert not authorizer.is_allowed(USER_ARN, "kms:Encrypt", KEY)
