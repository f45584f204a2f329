"""The simulated principal of SimulatePrincipalPolicy: which entity, its policies (named as
`MatchedStatements` names them) and the condition keys its requests carry.

Both come from where the enforcing path takes them, so a simulation answers as a real
request is decided:
- policies: `principal_policies.policy_texts` (a user's own and its groups', a role's or a
  group's own; the permissions boundary), compiled as the authorizer compiles them;
  each text is then named by the policy it came from (inline: its name and the entity's
  kind; managed: its name, `user-managed`);
- condition keys (`aws:username`, `aws:userid`, `aws:PrincipalArn`, `aws:PrincipalTag/*`,
  ...): built as the authorizer builds them (`authorizer.principal_context`), for a user
  as for its requests, for a role as for a session of it named `SESSION_NAME`; a group is
  no principal and has none.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Final

from strongroom.errors import InvalidInputException
from strongroom.services.caller import Caller
from strongroom.services.iam.authorizer import principal_context
from strongroom.services.iam.documents import parsed
from strongroom.services.iam.principal_policies import policy_texts
from strongroom.services.iam.records import GROUP, ROLE, USER, EntityRecord, name_in_arn
from strongroom.services.iam.service import Iam, no_such_entity
from strongroom.services.iam.simulation_inputs import SourcePolicy, compiled

SESSION_NAME = "SimulatePrincipalPolicy"
"""The session name a simulated role's `aws:userid` carries (`<role id>:<session>`)."""
MANAGED_TYPE = "user-managed"

_ENTITY_ARN: Final = re.compile(
    r"arn:(aws|aws-cn|aws-us-gov):iam::([0-9]{12}):(user|group|role)(/(?:.*/)?)([^/]+)"
)

Keys = dict[str, tuple[str, ...]]


def source_entity(iam: Iam, caller: Caller, arn: str) -> EntityRecord:
    """The user, group or role `PolicySourceArn` names (already authorized on).

    Malformed is InvalidInput; of another account or partition, at another path, or
    missing is NoSuchEntity.
    """
    match = _ENTITY_ARN.fullmatch(arn)
    if match is None:
        raise InvalidInputException(
            f"PolicySourceArn {arn} is not valid: it must name an IAM user, group or role."
        )
    partition, account, kind, path, name = match.groups()
    record = None
    if partition == caller.partition and account == caller.account_id:
        record = iam.repository.entity(account, kind, name)
    if record is None or record.path != path:
        raise no_such_entity(kind, name)
    return record


def user_named(iam: Iam, caller: Caller, arn: str) -> EntityRecord | None:
    """The caller's account's IAM user with exactly this ARN, if there is one."""
    match = _ENTITY_ARN.fullmatch(arn)
    if match is None or match.group(3) != USER:
        return None
    partition, account, _, path, name = match.groups()
    if partition != caller.partition or account != caller.account_id:
        return None
    record = iam.repository.entity(account, USER, name)
    return record if record is not None and record.path == path else None


def policies_of(
    iam: Iam, record: EntityRecord
) -> tuple[list[SourcePolicy], list[SourcePolicy] | None]:
    """(identity policies, boundary or None when none is set) of a user, group or role."""
    texts, boundary = policy_texts(iam, record)
    names = _names(iam, record)
    identity = []
    for text in texts:
        source_id, source_type = names[text].pop(0) if names[text] else ("", "none")
        identity.append(compiled(source_id, source_type, text, parsed(text)))
    if boundary is None:
        return identity, None
    assert record.boundary is not None
    name = name_in_arn(record.boundary)
    return identity, [compiled(name, MANAGED_TYPE, text, parsed(text)) for text in boundary]


def _names(iam: Iam, record: EntityRecord) -> defaultdict[str, list[tuple[str, str]]]:
    """Each policy text of the entity (and a user's groups) -> (id, type) of the policies
    that hold it, in `policy_texts`' order."""
    names: defaultdict[str, list[tuple[str, str]]] = defaultdict(list)
    entities = [record]
    for group_key in record.groups if record.kind == USER else ():
        group = iam.repository.entity(record.account, GROUP, group_key)
        if group is not None:
            entities.append(group)
    for entity in entities:
        for name, text in sorted(entity.inline.items()):
            names[text].append((name, entity.kind))
        for arn in entity.attached:
            policy = iam.repository.policy(entity.account, name_in_arn(arn))
            if policy is not None:
                names[policy.default_document].append((policy.name, MANAGED_TYPE))
    return names


def keys_of(iam: Iam, record: EntityRecord, partition: str) -> Keys:
    """The condition keys a request by this user (or a session of this role) carries."""
    if record.kind not in (USER, ROLE):
        return {}
    return principal_context(record, partition, SESSION_NAME)
