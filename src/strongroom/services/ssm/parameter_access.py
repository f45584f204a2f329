"""Who may act on a parameter: identity policies on the parameter's ARN, with AWS's
Parameter Store condition keys.

The resource is the ARN the name makes, as AWS writes it: `arn:aws:ssm:<region>:
<account>:parameter/prod/db` for `/prod/db` (one slash) and `parameter/name` for `name`
or `/name` (`names.parameter_arn`), whether the parameter exists or not, so a refusal
says nothing of what exists. Parameters have no resource policy here.

Condition keys (Service Authorization Reference, "Condition keys for AWS Systems
Manager"): `aws:ResourceTag/<key>` of an existing parameter's tags (for every action on one
parameter but PutParameter), computed once per record object (the repository's cached
records are replaced, never changed); the request's keys each operation passes:
`ssm:Overwrite` and `ssm:Policies` ("true"/"false", as the request takes effect) and
`aws:RequestTag/<key>` / `aws:TagKeys` on PutParameter and AddTagsToResource,
`aws:TagKeys` on RemoveTagsFromResource, `ssm:Recursive` on GetParametersByPath. A
private copy read to be changed is a new object each time: its keys are not kept.
"""

from __future__ import annotations

from types import MappingProxyType

from strongroom.services.caller import NO_CONTEXT, Caller, Context
from strongroom.services.ssm.records import ParameterRecord

MAX_PARAMETERS = 4096
"""Tagged parameters whose keys are kept before that cache starts over."""


def flag(value: bool) -> tuple[str]:
    """A yes/no condition key's value."""
    return ("true",) if value else ("false",)


def tag_keys(record: ParameterRecord) -> Context:
    """`aws:ResourceTag/<key>` for each of the parameter's tags."""
    if not record.tags:
        return NO_CONTEXT
    return MappingProxyType({f"aws:ResourceTag/{k}": (v,) for k, v in record.tags.items()})


class ParameterAccess:
    """Authorizes operations on parameters (see the module docstring)."""

    def __init__(self) -> None:
        self._tagged: dict[str, tuple[ParameterRecord, Context]] = {}

    def authorize(
        self,
        caller: Caller,
        action: str,
        arn: str,
        record: ParameterRecord | None,
        context: Context = NO_CONTEXT,
        *,
        shared: bool = True,
    ) -> None:
        """Raise AccessDeniedException unless `caller` may do `action` on the parameter
        `arn` names; `record` is that parameter (None: there is none), the repository's
        cached object when `shared`, else a private copy."""
        keys = NO_CONTEXT
        if record is not None and record.tags:
            keys = self._of(record, arn) if shared else tag_keys(record)
        if context:
            keys = {**keys, **context} if keys else context
        caller.authorize(action, arn, keys)

    def _of(self, record: ParameterRecord, arn: str) -> Context:
        """The parameter's tag keys, kept while the record is the same object."""
        cached = self._tagged.get(arn)
        if cached is not None and cached[0] is record:
            return cached[1]
        keys = tag_keys(record)
        if len(self._tagged) >= MAX_PARAMETERS:
            self._tagged.clear()
        self._tagged[arn] = (record, keys)
        return keys
