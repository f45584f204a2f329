"""What keeps a user, group or role from being deleted, with AWS's DeleteConflict words.

AWS deletes nothing implicitly: a user goes only without access keys, inline policies,
attached policies and group memberships; a group only without members and policies; a
role only without policies. The first thing found is reported.
"""

from __future__ import annotations

from strongroom.errors import DeleteConflictException
from strongroom.services.iam.records import GROUP, USER, EntityRecord
from strongroom.services.iam.service import Iam


def _conflict(what: str) -> DeleteConflictException:
    return DeleteConflictException(f"Cannot delete entity, must {what} first.")


def refuse_if_in_use(iam: Iam, record: EntityRecord) -> None:
    """DeleteConflict unless nothing hangs on the entity any more."""
    if record.kind == USER:
        keys = iam.access_keys.list(record.account)
        if any(key.principal.user_name == record.name for key in keys):
            raise _conflict("delete access keys")
    if record.inline:
        raise _conflict("delete policies")
    if record.attached:
        raise _conflict("detach all policies")
    if record.kind == USER and record.groups:
        raise _conflict("remove user from all groups")
    if record.kind == GROUP and any(
        record.key in user.groups for user in iam.repository.entities(record.account, USER)
    ):
        raise _conflict("remove users from group")
