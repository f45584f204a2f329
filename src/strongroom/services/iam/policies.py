"""Customer managed policies and their versions: Create/Get/List/DeletePolicy and
Create/Get/List/Delete/SetDefaultPolicyVersion.

Invariants: policy names are unique per account in any letter case. Every version's
document is a well-formed identity policy of at most 6,144 characters (white space not
counted). A policy has one to five versions, exactly one of them the default; version
ids count up (`v1`, `v2`, ...) and are never reused. The default version cannot be
deleted; a policy can be deleted only when nothing attaches it or is bounded by it and
it has no version but the default, as AWS requires. Only customer managed policies
exist here: Scope=AWS lists nothing.
"""

from __future__ import annotations

from typing import Any

from strongroom.errors import (
    DeleteConflictException,
    EntityAlreadyExistsException,
    IamLimitExceededException,
    NoSuchEntityException,
)
from strongroom.services.caller import Caller
from strongroom.services.iam.documents import check_managed_policy
from strongroom.services.iam.paging import page
from strongroom.services.iam.policy_usage import Usage, usage
from strongroom.services.iam.records import PolicyRecord, PolicyVersion, policy_arn
from strongroom.services.iam.service import (
    Iam,
    Operation,
    authorized_policy,
    policy_to_change,
    writes,
)
from strongroom.services.iam.tags import merged_tags

MAX_VERSIONS = 5


def policy_view(
    record: PolicyRecord, partition: str, used: Usage, *, detail: bool = True
) -> dict[str, Any]:
    """A `Policy` as AWS shapes it; listings leave out description and tags."""
    arn = record.arn(partition)
    view: dict[str, Any] = {
        "PolicyName": record.name,
        "PolicyId": record.policy_id,
        "Arn": arn,
        "Path": record.path,
        "DefaultVersionId": record.default_version,
        "AttachmentCount": used.attachments[arn],
        "PermissionsBoundaryUsageCount": used.boundaries[arn],
        "IsAttachable": True,
        "CreateDate": record.created,
        "UpdateDate": record.updated,
    }
    if detail:
        if record.description is not None:
            view["Description"] = record.description
        if record.tags:
            view["Tags"] = [dict(tag) for tag in record.tags]
    return view


def version_view(
    record: PolicyRecord, version: PolicyVersion, *, document: bool = False
) -> dict[str, Any]:
    """A `PolicyVersion`; the document only when asked for (GetPolicyVersion)."""
    view: dict[str, Any] = {
        "VersionId": version.version_id,
        "IsDefaultVersion": version.version_id == record.default_version,
        "CreateDate": version.created,
    }
    if document:
        view["Document"] = version.document
    return view


def _no_such_version(policy: str, version_id: str) -> NoSuchEntityException:
    return NoSuchEntityException(
        f"Policy {policy} version {version_id} does not exist or is not attachable."
    )


@writes
def create_policy(
    iam: Iam,
    caller: Caller,
    *,
    PolicyName: str,
    PolicyDocument: str,
    Path: str = "/",
    Description: str | None = None,
    Tags: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """Create a managed policy with its first version as the default."""
    arn = policy_arn(caller.partition, caller.account_id, Path, PolicyName)
    caller.authorize("iam:CreatePolicy", arn)
    if iam.repository.load_policy(caller.account_id, PolicyName) is not None:
        raise EntityAlreadyExistsException(
            f"A policy called {PolicyName} already exists. Duplicate names are not allowed."
        )
    check_managed_policy(PolicyDocument)
    now = iam.clock.now()
    record = PolicyRecord(
        account=caller.account_id,
        name=PolicyName,
        path=Path,
        policy_id=iam.new_id("policy"),
        created=now,
        updated=now,
        default_version="v1",
        versions=[PolicyVersion("v1", PolicyDocument, now)],
        next_version=2,
        description=Description,
        tags=merged_tags([], Tags or []),
    )
    iam.repository.save_policy(record)
    return {"Policy": policy_view(record, caller.partition, usage(iam, caller.account_id))}


def get_policy(iam: Iam, caller: Caller, *, PolicyArn: str) -> dict[str, Any]:
    """A managed policy (not its document: see GetPolicyVersion)."""
    record = authorized_policy(iam, caller, "iam:GetPolicy", PolicyArn)
    return {"Policy": policy_view(record, caller.partition, usage(iam, caller.account_id))}


def get_policy_version(
    iam: Iam, caller: Caller, *, PolicyArn: str, VersionId: str
) -> dict[str, Any]:
    """One version of a managed policy, with its document."""
    record = authorized_policy(iam, caller, "iam:GetPolicyVersion", PolicyArn)
    version = record.version(VersionId)
    if version is None:
        raise _no_such_version(PolicyArn, VersionId)
    return {"PolicyVersion": version_view(record, version, document=True)}


@writes
def create_policy_version(
    iam: Iam, caller: Caller, *, PolicyArn: str, PolicyDocument: str, SetAsDefault: bool = False
) -> dict[str, Any]:
    """Add a version (at most five), the default one if `SetAsDefault`."""
    record = policy_to_change(iam, caller, "iam:CreatePolicyVersion", PolicyArn)
    check_managed_policy(PolicyDocument)
    if len(record.versions) >= MAX_VERSIONS:
        raise IamLimitExceededException(
            f"A managed policy can have up to {MAX_VERSIONS} versions. Before you create a "
            "new version, you must delete an existing version."
        )
    now = iam.clock.now()
    version = PolicyVersion(f"v{record.next_version}", PolicyDocument, now)
    record.versions.append(version)
    record.next_version += 1
    record.updated = now
    if SetAsDefault:
        record.default_version = version.version_id
    iam.repository.save_policy(record)
    return {"PolicyVersion": version_view(record, version)}


@writes
def set_default_policy_version(
    iam: Iam, caller: Caller, *, PolicyArn: str, VersionId: str
) -> dict[str, Any]:
    """Make a version the one in force."""
    record = policy_to_change(iam, caller, "iam:SetDefaultPolicyVersion", PolicyArn)
    if record.version(VersionId) is None:
        raise _no_such_version(PolicyArn, VersionId)
    record.default_version = VersionId
    record.updated = iam.clock.now()
    iam.repository.save_policy(record)
    return {}


@writes
def delete_policy_version(
    iam: Iam, caller: Caller, *, PolicyArn: str, VersionId: str
) -> dict[str, Any]:
    """Delete a version other than the default."""
    record = policy_to_change(iam, caller, "iam:DeletePolicyVersion", PolicyArn)
    version = record.version(VersionId)
    if version is None:
        raise _no_such_version(PolicyArn, VersionId)
    if VersionId == record.default_version:
        raise DeleteConflictException("Cannot delete the default version of a policy.")
    record.versions.remove(version)
    iam.repository.save_policy(record)
    return {}


def list_policy_versions(
    iam: Iam,
    caller: Caller,
    *,
    PolicyArn: str,
    Marker: str | None = None,
    MaxItems: int | None = None,
) -> dict[str, Any]:
    """A managed policy's versions, newest first (without documents)."""
    record = authorized_policy(iam, caller, "iam:ListPolicyVersions", PolicyArn)
    # Newest first, as AWS lists them: order by the version number, descending.
    chosen, more = page(
        record.versions, lambda v: f"{1_000_000 - int(v.version_id[1:]):07d}", Marker, MaxItems
    )
    return {"Versions": [version_view(record, v) for v in chosen], **more}


def _listed(used: Usage, arn: str, only_attached: bool, usage_filter: str | None) -> bool:
    if not only_attached:
        return True
    if usage_filter == "PermissionsBoundary":
        return used.boundaries[arn] > 0
    return used.attachments[arn] > 0


def list_policies(
    iam: Iam,
    caller: Caller,
    *,
    Scope: str = "All",
    OnlyAttached: bool = False,
    PathPrefix: str = "/",
    PolicyUsageFilter: str | None = None,
    Marker: str | None = None,
    MaxItems: int | None = None,
) -> dict[str, Any]:
    """The account's managed policies (Strongroom keeps no AWS managed ones), by name."""
    caller.authorize("iam:ListPolicies", "*")
    used = usage(iam, caller.account_id)
    records = [] if Scope == "AWS" else list(iam.repository.policies(caller.account_id))
    listed = (
        r
        for r in records
        if r.path.startswith(PathPrefix)
        and _listed(used, r.arn(caller.partition), OnlyAttached, PolicyUsageFilter)
    )
    chosen, more = page(listed, lambda r: r.key, Marker, MaxItems)
    views = [policy_view(r, caller.partition, used, detail=False) for r in chosen]
    return {"Policies": views, **more}


@writes
def delete_policy(iam: Iam, caller: Caller, *, PolicyArn: str) -> dict[str, Any]:
    """Delete a managed policy nothing uses, that has only its default version left."""
    record = policy_to_change(iam, caller, "iam:DeletePolicy", PolicyArn)
    if usage(iam, caller.account_id).in_use(record.arn(caller.partition)):
        raise DeleteConflictException("Cannot delete a policy attached to entities.")
    if len(record.versions) > 1:
        raise DeleteConflictException(
            "This policy has more than one version. Before you delete a policy, you must "
            "delete the policy's versions. The default version is deleted with the policy."
        )
    iam.repository.remove_policy(caller.account_id, record.name)
    return {}


OPERATIONS: dict[str, Operation] = {
    "CreatePolicy": create_policy,
    "GetPolicy": get_policy,
    "GetPolicyVersion": get_policy_version,
    "CreatePolicyVersion": create_policy_version,
    "SetDefaultPolicyVersion": set_default_policy_version,
    "DeletePolicyVersion": delete_policy_version,
    "ListPolicyVersions": list_policy_versions,
    "ListPolicies": list_policies,
    "DeletePolicy": delete_policy,
}
