"""Reading parameters: GetParameter, GetParameters, GetParametersByPath,
GetParameterHistory and DescribeParameters.

A parameter is read from its cached record (the current version in full), so the hot
path touches no disk; a SecureString asked WithDecryption costs one KMS Decrypt. Pages
are keyset-paginated by name (or version), so a page of a path costs what lies under it.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator
from types import MappingProxyType
from typing import Any

import orjson

from strongroom.errors import (
    InvalidNextToken,
    ParameterNotFound,
    ParameterVersionNotFound,
    ValidationException,
)
from strongroom.services.caller import Caller, Context
from strongroom.services.ssm import secret_references, secure_values
from strongroom.services.ssm.filters import (
    ParameterFacts,
    compile_describe_filters,
    compile_path_filters,
    requested_labels,
)
from strongroom.services.ssm.names import (
    Selector,
    check_path,
    is_under,
    parameter_arn,
    parse_selector,
)
from strongroom.services.ssm.parameter_access import flag
from strongroom.services.ssm.records import SECURE_STRING, ParameterRecord, VersionRecord
from strongroom.services.ssm.service import (
    Operation,
    ParameterStore,
    arn_of,
    authorized_parameter,
)


def _value(
    ps: ParameterStore,
    caller: Caller,
    record: ParameterRecord,
    version: VersionRecord,
    decrypt: bool,
) -> str:
    if version.type == SECURE_STRING and decrypt:
        return secure_values.decrypt(
            ps.kms, caller, record.arn, version.value, enveloped=version.enveloped
        )
    return version.value


def _selected(ps: ParameterStore, record: ParameterRecord, selector: Selector) -> VersionRecord:
    number = selector.version
    if selector.label is not None:
        number = record.labels.get(selector.label)
        if number is None:
            raise ParameterVersionNotFound(
                f"Systems Manager could not find version {selector.label} of {record.name}. "
                "Verify the version and try again."
            )
    if number is None:
        return record.current
    version = ps.repository.version(record, number) if number in record.kept else None
    if version is None:
        raise ParameterVersionNotFound(
            f"Systems Manager could not find version {number} of {record.name}. "
            "Verify the version and try again."
        )
    return version


def _parameter(
    ps: ParameterStore,
    caller: Caller,
    action: str,
    reference: str,
    decrypt: bool,
) -> dict[str, Any]:
    """One GetParameter(s) entry, by name or ARN, with an optional selector."""
    if secret_references.is_reference(reference):
        caller.authorize(action, arn_of(caller, secret_references.name_of(reference)))
        return secret_references.read(ps.secrets, caller, reference, decrypt)
    try:
        selector = parse_selector(reference)
    except ValidationException:
        caller.authorize(action, arn_of(caller, reference))
        raise ParameterNotFound(f"Parameter {reference} not found.") from None
    namespace = (selector.partition, selector.account, selector.region)
    record = None
    if namespace in ((None, None, None), (caller.partition, caller.account_id, caller.region)):
        record = ps.repository.parameter(caller.account_id, caller.region, selector.name)
    resource = arn_of(caller, selector.name)
    if selector.account is not None and selector.region is not None:  # an ARN: as written
        partition = selector.partition or caller.partition
        resource = parameter_arn(partition, selector.region, selector.account, selector.name)
    ps.access.authorize(caller, action, resource, record)
    if record is None:
        raise ParameterNotFound(f"Parameter {reference} not found.")
    version = _selected(ps, record, selector)
    shape = _shape(record, version, _value(ps, caller, record, version, decrypt))
    shape["Name"] = selector.name  # echoed as asked for: `/a` or `a`
    if selector.version is not None or selector.label is not None:
        shape["Selector"] = ":" + (selector.label or str(selector.version))
    return shape


def _shape(record: ParameterRecord, version: VersionRecord, value: str) -> dict[str, Any]:
    return {
        "Name": record.name,
        "Type": version.type,
        "Value": value,
        "Version": version.version,
        "LastModifiedDate": version.modified,
        "ARN": record.arn,
        "DataType": version.data_type,
    }


def get_parameter(
    ps: ParameterStore, caller: Caller, *, Name: str, WithDecryption: bool = False
) -> dict[str, Any]:
    """GetParameter: by name or ARN, `name:version` or `name:label`."""
    return {"Parameter": _parameter(ps, caller, "ssm:GetParameter", Name, WithDecryption)}


def get_parameters(
    ps: ParameterStore, caller: Caller, *, Names: list[str], WithDecryption: bool = False
) -> dict[str, Any]:
    """GetParameters: up to 10 (the edge checks); those not found are listed in
    InvalidParameters."""
    found: list[dict[str, Any]] = []
    invalid: list[str] = []
    for reference in dict.fromkeys(Names):
        try:
            found.append(_parameter(ps, caller, "ssm:GetParameters", reference, WithDecryption))
        except (ParameterNotFound, ParameterVersionNotFound):
            invalid.append(reference)
    return {"Parameters": found, "InvalidParameters": invalid}


_TOKEN_KEY = re.compile(r"[A-Za-z0-9_./\-]{1,2048}")
"""What a token may hold: a parameter name (or a version number) this service wrote."""


def _token(key: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(key)).decode()


def _after(token: str | None) -> str | None:
    if token is None:
        return None
    try:
        key = orjson.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError):
        raise InvalidNextToken("The specified token is not valid.") from None
    if not isinstance(key, str) or not (key == "" or _TOKEN_KEY.fullmatch(key)):
        raise InvalidNextToken("The specified token is not valid.")
    return key


def _facts(record: ParameterRecord) -> ParameterFacts:
    current = record.current
    return ParameterFacts(
        name=record.name,
        type=current.type,
        key_id=current.key_id,
        tier=current.tier,
        data_type=current.data_type,
        labels=frozenset(record.labels),
        tags=record.tags,
    )


def _page(
    records: Iterator[ParameterRecord],
    keep: Callable[[ParameterRecord], bool],
    limit: int,
) -> tuple[list[ParameterRecord], str | None]:
    page: list[ParameterRecord] = []
    for record in records:
        if keep(record):
            if len(page) == limit:
                return page, _token(page[-1].name)
            page.append(record)
    return page, None


def _labelled(
    ps: ParameterStore, record: ParameterRecord, labels: tuple[str, ...]
) -> VersionRecord:
    """The version a Label filter asks for (the first label the parameter has), else the
    current one: AWS answers the labelled versions."""
    for label in labels:
        number = record.labels.get(label)
        version = None if number is None else ps.repository.version(record, number)
        if version is not None:
            return version
    return record.current


_RECURSIVE: dict[bool, Context] = {
    recursive: MappingProxyType({"ssm:Recursive": flag(recursive)}) for recursive in (True, False)
}
"""GetParametersByPath's condition keys."""


def get_parameters_by_path(
    ps: ParameterStore,
    caller: Caller,
    *,
    Path: str,
    Recursive: bool = False,
    ParameterFilters: list[dict[str, Any]] | None = None,
    WithDecryption: bool = False,
    MaxResults: int = 10,
    NextToken: str | None = None,
) -> dict[str, Any]:
    """GetParametersByPath: one level below `Path`, or every level when Recursive.

    Authorized as AWS authorizes it ("How Parameter Store authorizes parameter
    retrieval"): `ssm:GetParametersByPath` on the path's ARN, with `ssm:Recursive`, and not
    on each parameter returned. Every parameter under an allowed path is returned, even
    one a policy denies to GetParameter: a policy that hides `/a/b` must also deny
    GetParametersByPath on `/a` and the paths above it."""
    path = check_path(Path)
    caller.authorize("ssm:GetParametersByPath", arn_of(caller, path), _RECURSIVE[Recursive])
    matches = compile_path_filters(ParameterFilters or [])
    prefix = "" if path == "/" else path.rstrip("/") + "/"
    records = ps.repository.under(caller.account_id, caller.region, prefix, _after(NextToken))
    page, token = _page(
        records,
        lambda record: is_under(record.name, path, Recursive) and matches(_facts(record)),
        MaxResults,
    )
    labels = requested_labels(ParameterFilters)
    parameters = []
    for record in page:
        version = _labelled(ps, record, labels)
        value = _value(ps, caller, record, version, WithDecryption)
        parameters.append(_shape(record, version, value))
    result: dict[str, Any] = {"Parameters": parameters}
    if token is not None:
        result["NextToken"] = token
    return result


def _history_entry(record: ParameterRecord, version: VersionRecord, value: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "Name": record.name,
        "Type": version.type,
        "LastModifiedDate": version.modified,
        "LastModifiedUser": version.modified_user,
        "Value": value,
        "Version": version.version,
        "Labels": sorted(label for label, v in record.labels.items() if v == version.version),
        "Tier": version.tier,
        "Policies": version.policies,
        "DataType": version.data_type,
    }
    optional = {
        "KeyId": version.key_id,
        "Description": version.description,
        "AllowedPattern": version.allowed_pattern,
    }
    entry.update({k: v for k, v in optional.items() if v is not None})
    return entry


def get_parameter_history(
    ps: ParameterStore,
    caller: Caller,
    *,
    Name: str,
    WithDecryption: bool = False,
    MaxResults: int = 50,
    NextToken: str | None = None,
) -> dict[str, Any]:
    """GetParameterHistory: every kept version, oldest first."""
    record = authorized_parameter(ps, caller, "ssm:GetParameterHistory", Name)
    after = _after(NextToken)
    if after is not None and not (after.isascii() and after.isdecimal() and len(after) < 10):
        raise InvalidNextToken("The specified token is not valid.")
    numbers = [n for n in record.kept if after is None or n > int(after)]
    page = numbers[:MaxResults]
    entries = []
    for number in page:
        version = ps.repository.version(record, number)
        if version is not None:
            value = _value(ps, caller, record, version, WithDecryption)
            entries.append(_history_entry(record, version, value))
    result: dict[str, Any] = {"Parameters": entries}
    if len(numbers) > MaxResults:
        result["NextToken"] = _token(str(page[-1]))
    return result


def _description(record: ParameterRecord) -> dict[str, Any]:
    current = record.current
    entry = _history_entry(record, current, "")
    for key in ("Value", "Labels"):
        entry.pop(key)
    entry["ARN"] = record.arn
    return entry


def describe_parameters(
    ps: ParameterStore,
    caller: Caller,
    *,
    Filters: list[dict[str, Any]] | None = None,
    ParameterFilters: list[dict[str, Any]] | None = None,
    MaxResults: int = 10,
    NextToken: str | None = None,
    Shared: bool = False,
) -> dict[str, Any]:
    """DescribeParameters: metadata of the account's parameters, filtered, by name."""
    caller.authorize("ssm:DescribeParameters", "*")
    matches = compile_describe_filters(Filters, ParameterFilters)
    records = ps.repository.under(caller.account_id, caller.region, "", _after(NextToken))
    page, token = _page(records, lambda record: matches(_facts(record)), MaxResults)
    result: dict[str, Any] = {"Parameters": [_description(record) for record in page]}
    if token is not None:
        result["NextToken"] = token
    return result


OPERATIONS: dict[str, Operation] = {
    "GetParameter": get_parameter,
    "GetParameters": get_parameters,
    "GetParametersByPath": get_parameters_by_path,
    "GetParameterHistory": get_parameter_history,
    "DescribeParameters": describe_parameters,
}
