"""Small shared pieces of the KMS end-to-end tests."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError


def error_of(call: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Call a boto3 operation that must fail; return its error (code, message, status)."""
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    response = raised.value.response
    return {
        "Code": response["Error"]["Code"],
        "Message": response["Error"].get("Message", ""),
        "Status": response["ResponseMetadata"]["HTTPStatusCode"],
    }


def new_key(kms: Any, **kwargs: Any) -> dict[str, Any]:
    """CreateKey and return its KeyMetadata."""
    return kms.create_key(**kwargs)["KeyMetadata"]  # type: ignore[no-any-return]
