"""Deployment packages are checked at upload as Lambda checks them: a zip that unzips,
at most 50 MB zipped and 250 MB unzipped; CodeSha256 is base64(SHA-256(zip))."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile

import pytest
from tests.unit.services.awslambda.world import HANDLER_ZIP, zip_of

from strongroom.errors import InvalidParameterValueException, RequestTooLargeError
from strongroom.services.awslambda import code_package
from strongroom.services.awslambda.code_package import UNZIP_FAILED, accept_zip, direct_upload


def test_an_accepted_zip_reports_lambdas_checksum_and_size() -> None:
    package = accept_zip(HANDLER_ZIP, "CreateFunction")
    assert package.sha256 == base64.b64encode(hashlib.sha256(HANDLER_ZIP).digest()).decode()
    assert package.size == len(HANDLER_ZIP)
    assert package.data == HANDLER_ZIP


@pytest.mark.parametrize("data", [b"", b"not a zip at all", HANDLER_ZIP[:-30]])
def test_what_does_not_unzip_is_refused_at_upload(data: bytes) -> None:
    with pytest.raises(InvalidParameterValueException) as info:
        accept_zip(data, "CreateFunction")
    assert info.value.message == UNZIP_FAILED


def test_a_member_whose_bytes_were_damaged_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("lambda_function.py", "x = 1\n" * 50)
    data = bytearray(buffer.getvalue())
    data[data.index(b"x = 1")] ^= 0x01  # the CRC no longer matches
    with pytest.raises(InvalidParameterValueException) as info:
        accept_zip(bytes(data), "UpdateFunctionCode")
    assert info.value.message == UNZIP_FAILED


def test_more_than_50_mb_zipped_is_a_request_too_large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(code_package, "MAX_ZIPPED", len(HANDLER_ZIP) - 1)
    with pytest.raises(RequestTooLargeError) as info:
        accept_zip(HANDLER_ZIP, "UpdateFunctionCode")
    assert info.value.code == "RequestEntityTooLargeException"
    assert info.value.message == (
        "Request must be smaller than 69905067 bytes for the UpdateFunctionCode operation"
    )


def test_too_large_unzipped_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    data = zip_of({"big.bin": "0" * 100_000})  # compresses to far less
    monkeypatch.setattr(code_package, "MAX_UNZIPPED", 100_000)
    with pytest.raises(InvalidParameterValueException) as info:
        accept_zip(data, "CreateFunction")
    assert info.value.message == "Unzipped size must be smaller than 100000 bytes"


def test_only_a_direct_upload_is_read() -> None:
    assert direct_upload(b"zip", None, None, None, None) == b"zip"
    for args, word in (
        ((None, "bucket", "key", None, None), "S3"),
        ((b"zip", None, None, "3", None), "S3"),
        ((None, None, None, None, "123.dkr.ecr/image"), "ImageUri"),
        ((None, None, None, None, None), "Please provide a source for function code."),
    ):
        with pytest.raises(InvalidParameterValueException) as info:
            direct_upload(*args)
        assert word in info.value.message
