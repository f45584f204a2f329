"""Parameter names, selectors, paths, ARNs and labels, as Parameter Store has them.

Pure: no storage, no clock. The edge has already checked the model's shapes (a name is
1..2048 characters, a label 1..100); here are the rules the model does not state. Sources:
[D] AWS documentation (API reference PutParameter `Name`, GetParametersByPath `Path`,
LabelParameterVersion; user guide "Requirements and constraints for parameter names",
"Labeling parameters"), [O] AWS's answers as users quoted them in public issues, [3P] moto,
[C] our choice.

Names (`check_name`):
- Letters, digits and `_ . -`; `/` delimits levels [D]. A name with a `/` must begin with
  one ("fully qualified": `MyParameter3/L1` is not) [D]; no empty level, so no `//` and no
  `/` alone [D]. Case-sensitive [D]. Any other name is refused with AWS's one message for a
  malformed name, which speaks of "ssm" whatever the fault [O: `Dev MySQL DB`, `xxx/yyy`,
  `/p/support@gmail.com` all got it]; a trailing `/` has its own message [3P].
- Spaces before or after the name are removed, not refused [D]; spaces inside are refused.
- At most 15 levels [D: `/Level-1/L2/.../L14/parameter-name` is the deepest allowed];
  deeper is a HierarchyLevelLimitExceededException (message: the exception's documentation).
- Reserved prefixes, case-insensitive, with or without the leading slash [D]: a path under
  `/aws...` is an AccessDeniedException naming the name without its leading slash [O:
  `/awssec/lab01/vpc_id`, `/AWS/...`]; a path under `/ssm...` gets the malformed-name
  message [O: `/SSM/...`]; a single-level name (`awsX`, `/ssmX`) gets the short "aws or ssm"
  message [3P].
- Length: the parameter's ARN, name included, at most 1011 characters [D: the 45
  characters of `arn:aws:ssm:us-east-2:111122223333:parameter/` count]. Pass `arn_prefix`
  (`parameter_arn(partition, region, account, "")`) to apply it exactly; without it the
  name alone may have 1011. The message is ours [C].

Identity (`canonical_name`): `/TestParam1` and `TestParam1` are ONE parameter [D: user
guide, "Uniqueness": "the following examples ... are not unique"]; AWS stores it without
the slash (DescribeParameters lists `TestParam1`) while GetParameter echoes the name as it
was asked for [O: terraform-provider-aws #49116, #49339]. Their ARN is the same too.
`check_name` returns the name as the caller gave it (trimmed), which is what to echo;
`canonical_name` is the key to store and look up by. A name with deeper levels is its own
canonical form.

Selectors (`parse_selector`): `name:3` is version 3, `name:label` a label [D]; `:` is no
name character, so the first `:` separates. GetParameter(s) also take the parameter's ARN
(`arn:<partition>:ssm:<region>:<account>:parameter/<name>[:selector]`) [D]; its name is
`/` + what follows `parameter/` [O: the ARN of `/myparam` answered `"Name": "/myparam"`],
and the caller checks the ARN's account and region.

Paths (`check_path`, `is_under`): a path begins with `/`, has the name characters and no
empty level; a trailing `/` is allowed [3P: `/foo/` = `/foo`] [D: Path doc]; refused with
AWS's path message, which really carries backslashes before the quotes around aws and ssm
[O: aws-sdk-js-v3 #5928, copilot-cli #66]. Reserved prefixes are not refused: `/aws/service`
is a public path [D]. A parameter is under a path when the path is a proper ancestor of
it; one level means a direct child; path `/` holds the single-level names, with or without
their slash [O: moto #1700, kumo #386]. A path deeper than 15 levels is refused [C].

Labels (`check_label`): 1..100 characters of letters, digits, `. - _`; not beginning with a
digit, `aws` or `ssm` (case-insensitive) [D]. Bad labels are returned, not raised [D].
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from strongroom.errors import (
    AccessDeniedException,
    HierarchyLevelLimitExceededException,
    ValidationException,
)

MAX_LEVELS = 15
MAX_ARN_LENGTH = 1011
MAX_LABEL_LENGTH = 100

_NAME = re.compile(r"[A-Za-z0-9_.\-]+|(?:/[A-Za-z0-9_.\-]+)+")
_PATH = re.compile(r"/|(?:/[A-Za-z0-9_.\-]+)+/?")
_LABEL = re.compile(r"[A-Za-z0-9_.\-]+")
_ARN = re.compile(r"arn:([^:]+):ssm:([^:]*):([^:]*):parameter/(.+)")
_RESERVED = ("aws", "ssm")

MALFORMED_NAME = (
    'Parameter name: can\'t be prefixed with "ssm" (case-insensitive). If formed as a path, '
    "it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a "
    "mix of letters, numbers and the following 3 symbols .-_"
)
RESERVED_NAME = 'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).'
TRAILING_SLASH = "Parameter name must not end with slash."
TOO_DEEP = (
    "A hierarchy can have a maximum of 15 levels. For more information, see Requirements "
    "and constraints for parameter names in the Amazon Web Services Systems Manager User "
    "Guide."
)
BAD_PATH = (
    "The parameter doesn't meet the parameter name requirements. The parameter name must "
    'begin with a forward slash "/". It can\'t be prefixed with \\"aws\\" or \\"ssm\\" '
    "(case-insensitive). It must use only letters, numbers, or the following symbols: . "
    "(period), - (hyphen), _ (underscore). Special characters are not allowed. All "
    'sub-paths, if specified, must use the forward slash symbol "/". Valid example: '
    "/get/parameters2-/by1./path0_."
)


@dataclass(frozen=True)
class Selector:
    """A GetParameter(s) name: the parameter, an optional version or label, and for an
    ARN the partition, region and account it names (None for a plain name)."""

    name: str
    version: int | None = None
    label: str | None = None
    partition: str | None = None
    region: str | None = None
    account: str | None = None


def check_name(name: str, *, arn_prefix: str = "") -> str:
    """`name` without surrounding spaces, once it is a name PutParameter accepts.

    Raises ValidationException, AccessDeniedException (a path under `/aws`) or
    HierarchyLevelLimitExceededException, as AWS does."""
    name = name.strip(" ")
    _check_reserved(name)
    _check_form(name)
    _check_depth(name)
    if len(arn_prefix) + len(name.removeprefix("/")) > MAX_ARN_LENGTH:
        limit = MAX_ARN_LENGTH - len(arn_prefix)
        raise ValidationException(
            f"1 validation error detected: Value '{name}' at 'name' failed to satisfy "
            f"constraint: Member must have length less than or equal to {limit}."
        )
    return name


def canonical_name(name: str) -> str:
    """The one key `/a` and `a` share: a single-level name loses its leading slash."""
    bare = name.removeprefix("/")
    return name if "/" in bare else bare


def parse_selector(reference: str) -> Selector:
    """Split a GetParameter(s) `Name` (a name or ARN, with an optional `:version` or
    `:label`). The name part must be well formed (reserved prefixes are readable)."""
    reference = reference.strip(" ")
    partition = region = account = None
    arn = _ARN.fullmatch(reference)
    if arn is not None:
        partition, region, account, rest = arn.groups()
        reference = "/" + rest
    name, colon, selector = reference.partition(":")
    if colon and (not selector or ":" in selector):
        raise ValidationException(MALFORMED_NAME)
    _check_form(name)
    _check_depth(name)
    version = int(selector) if selector.isdecimal() and selector.isascii() else None
    label = selector if selector and version is None else None
    return Selector(name, version, label, partition, region, account)


def check_path(path: str) -> str:
    """`path` once GetParametersByPath accepts it (ValidationException otherwise)."""
    path = path.strip(" ")
    if _PATH.fullmatch(path) is None:
        raise ValidationException(BAD_PATH)
    if len(_levels(path)) > MAX_LEVELS:
        raise HierarchyLevelLimitExceededException(TOO_DEEP)
    return path


def is_under(name: str, path: str, recursive: bool) -> bool:
    """Whether parameter `name` lies under `path`: anywhere below it when `recursive`,
    else as a direct child. A name is never under itself."""
    levels = _levels(name)
    parent = _levels(path)
    if len(levels) <= len(parent) or levels[: len(parent)] != parent:
        return False
    return recursive or len(levels) == len(parent) + 1


def parameter_arn(partition: str, region: str, account: str, name: str) -> str:
    """`arn:aws:ssm:us-east-1:123:parameter/a/b` for `/a/b` (no double slash) or `a/b`."""
    return f"arn:{partition}:ssm:{region}:{account}:parameter/{name.removeprefix('/')}"


def check_label(label: str) -> bool:
    """Whether LabelParameterVersion may attach `label` (else it is an InvalidLabel)."""
    return (
        0 < len(label) <= MAX_LABEL_LENGTH
        and _LABEL.fullmatch(label) is not None
        and not label[0].isdigit()
        and not label.lower().startswith(_RESERVED)
    )


def _levels(name: str) -> list[str]:
    """The levels of a name or path: `/a/b` and `/a/b/` -> [a, b]; `/` and `` -> []."""
    return [level for level in name.split("/") if level]


def is_well_formed(name: str) -> bool:
    """Whether `name` is a parameter name in form (characters and slashes; no selector):
    anything else names no parameter, and is never looked up."""
    return _NAME.fullmatch(name) is not None


def _check_form(name: str) -> None:
    if _NAME.fullmatch(name) is not None:
        return
    if name.endswith("/") and _NAME.fullmatch(name.rstrip("/")) is not None:
        raise ValidationException(TRAILING_SLASH)
    raise ValidationException(MALFORMED_NAME)


def _check_reserved(name: str) -> None:
    bare = name.removeprefix("/").lower()
    if not bare.startswith(_RESERVED):
        return
    is_path = "/" in name.removeprefix("/")
    if is_path and bare.startswith("aws") and name.startswith("/"):
        raise AccessDeniedException(f"No access to reserved parameter name: {name[1:]}.")
    raise ValidationException(MALFORMED_NAME if is_path else RESERVED_NAME)


def _check_depth(name: str) -> None:
    if len(_levels(name)) > MAX_LEVELS:
        raise HierarchyLevelLimitExceededException(TOO_DEEP)
