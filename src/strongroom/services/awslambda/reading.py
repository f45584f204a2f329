"""Reading functions: GetFunction, GetFunctionConfiguration and ListFunctions.

GetFunction answers the configuration and tags but no `Code.Location`: Strongroom keeps
packages in its barrier and offers no download link. ListFunctions lists the account's
functions in this region in name order, `MaxItems` (default 50) a page; its marker is
the last name of the page, so a page is a bounded scan whatever the number of functions.
Built-in functions are not listed (they are Strongroom's, not the account's).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from strongroom.errors import InvalidParameterValueException
from strongroom.services.awslambda.service import Lambda, Operation, authorized_function
from strongroom.services.caller import Caller

PAGE = 50
_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")


def get_function(
    lam: Lambda, caller: Caller, *, FunctionName: str, Qualifier: str | None = None
) -> dict[str, Any]:
    """GetFunction: the configuration of `$LATEST` and the function's tags."""
    record = authorized_function(lam, caller, "lambda:GetFunction", FunctionName, Qualifier)
    result: dict[str, Any] = {"Configuration": record.configuration()}
    if record.tags:
        result["Tags"] = dict(record.tags)
    return result


def get_function_configuration(
    lam: Lambda, caller: Caller, *, FunctionName: str, Qualifier: str | None = None
) -> dict[str, Any]:
    """GetFunctionConfiguration."""
    record = authorized_function(
        lam, caller, "lambda:GetFunctionConfiguration", FunctionName, Qualifier
    )
    return record.configuration()


def _marker(name: str) -> str:
    return base64.urlsafe_b64encode(name.encode()).decode()


def _after(marker: str | None) -> str | None:
    """The name a marker this service handed out stands for."""
    if marker is None:
        return None
    try:
        name = base64.b64decode(marker.encode(), altchars=b"-_", validate=True).decode()
    except (ValueError, binascii.Error):
        name = ""
    if not _NAME.fullmatch(name):
        raise InvalidParameterValueException("The marker is not valid.")
    return name


def list_functions(
    lam: Lambda,
    caller: Caller,
    *,
    MasterRegion: str | None = None,
    FunctionVersion: str | None = None,
    Marker: str | None = None,
    MaxItems: int | None = None,
) -> dict[str, Any]:
    """ListFunctions: `$LATEST` of each function (the only version, even with
    FunctionVersion=ALL); no Lambda@Edge replica exists for MasterRegion to find."""
    caller.authorize("lambda:ListFunctions", "*")
    after = _after(Marker)
    if MasterRegion is not None:
        return {"Functions": []}
    limit = MaxItems or PAGE
    page: list[dict[str, Any]] = []
    for record in lam.repository.listed(caller.account_id, caller.region, after):
        if len(page) == limit:
            return {"Functions": page, "NextMarker": _marker(page[-1]["FunctionName"])}
        page.append(record.configuration())
    return {"Functions": page}


OPERATIONS: dict[str, Operation] = {
    "GetFunction": get_function,
    "GetFunctionConfiguration": get_function_configuration,
    "ListFunctions": list_functions,
}
