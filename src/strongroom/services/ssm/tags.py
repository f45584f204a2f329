"""Tags on parameters: AddTagsToResource, ListTagsForResource, RemoveTagsFromResource.

Only `ResourceType="Parameter"` is served (the others are resources Strongroom does not
have). At most 50 tags; `aws:` keys are AWS's own. A refused change changes nothing.
Authorized with the parameter's `aws:ResourceTag/<key>`, and `aws:RequestTag/<key>` and
`aws:TagKeys` of the tags added, or `aws:TagKeys` of the keys removed.
"""

from __future__ import annotations

from typing import Any

from strongroom.errors import (
    InvalidResourceId,
    InvalidResourceType,
    TooManyTagsError,
    ValidationException,
)
from strongroom.services.caller import NO_CONTEXT, Caller, Context, request_tag_keys
from strongroom.services.ssm.records import ParameterRecord
from strongroom.services.ssm.service import (
    Operation,
    ParameterStore,
    parameter_to_change,
    writes,
)

MAX_TAGS = 50


def tag_dict(tags: list[dict[str, str]], current: dict[str, str] | None = None) -> dict[str, str]:
    """`current` with `tags` added (a repeated key takes the new value), once the rules hold."""
    result = dict(current or {})
    for tag in tags:
        key = tag["Key"]
        if key.lower().startswith("aws:"):
            raise ValidationException("Tag keys beginning with aws: are reserved for AWS use.")
        result[key] = tag["Value"]
    if len(result) > MAX_TAGS:
        raise TooManyTagsError(
            f"The Tags parameter has more than {MAX_TAGS} tags: a resource can have at most "
            f"{MAX_TAGS}."
        )
    return result


def _parameter(
    ps: ParameterStore,
    caller: Caller,
    action: str,
    resource_type: str,
    resource_id: str,
    context: Context = NO_CONTEXT,
) -> ParameterRecord:
    if resource_type != "Parameter":
        raise InvalidResourceType(f"Strongroom tags only parameters, not {resource_type}.")
    return parameter_to_change(ps, caller, action, resource_id, _no_resource, context)


def _no_resource(name: str) -> InvalidResourceId:
    return InvalidResourceId(f"The parameter {name} does not exist.")


@writes
def add_tags_to_resource(
    ps: ParameterStore,
    caller: Caller,
    *,
    ResourceType: str,
    ResourceId: str,
    Tags: list[dict[str, str]],
) -> dict[str, Any]:
    """AddTagsToResource: add tags, or give existing keys new values."""
    tagging = request_tag_keys((tag["Key"], tag["Value"]) for tag in Tags)
    record = _parameter(ps, caller, "ssm:AddTagsToResource", ResourceType, ResourceId, tagging)
    record.tags = tag_dict(Tags, record.tags)
    ps.repository.save(record)
    return {}


def list_tags_for_resource(
    ps: ParameterStore, caller: Caller, *, ResourceType: str, ResourceId: str
) -> dict[str, Any]:
    """ListTagsForResource."""
    record = _parameter(ps, caller, "ssm:ListTagsForResource", ResourceType, ResourceId)
    return {"TagList": [{"Key": k, "Value": v} for k, v in record.tags.items()]}


@writes
def remove_tags_from_resource(
    ps: ParameterStore,
    caller: Caller,
    *,
    ResourceType: str,
    ResourceId: str,
    TagKeys: list[str],
) -> dict[str, Any]:
    """RemoveTagsFromResource: keys the parameter does not have are ignored."""
    removing = {"aws:TagKeys": tuple(TagKeys)}
    action = "ssm:RemoveTagsFromResource"
    record = _parameter(ps, caller, action, ResourceType, ResourceId, removing)
    for key in TagKeys:
        record.tags.pop(key, None)
    ps.repository.save(record)
    return {}


OPERATIONS: dict[str, Operation] = {
    "AddTagsToResource": add_tags_to_resource,
    "ListTagsForResource": list_tags_for_resource,
    "RemoveTagsFromResource": remove_tags_from_resource,
}
