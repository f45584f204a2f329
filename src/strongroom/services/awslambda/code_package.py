"""A function's deployment package: a .zip uploaded directly, checked as Lambda checks it.

Lambda's limits for a direct upload: 50 MB zipped (the request that carries it, base64,
must stay under 69,905,067 bytes) and 250 MB unzipped. A package that does not unzip is
refused at upload, not at the first invocation. The archive is read, never extracted, here:
unpacking happens in the process that runs the function.

`CodeSha256` is base64(SHA-256(zip)), as Lambda reports it: a content checksum defined by
the AWS API, not a protection of anything, which is why hashlib serves here rather than
`strongroom.crypto` (as for SigV4's payload hashes).
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from dataclasses import dataclass

from strongroom.errors import InvalidParameterValueException, RequestTooLargeError

MAX_ZIPPED = 50 * 1024 * 1024
MAX_REQUEST = 69_905_067
MAX_UNZIPPED = 262_144_000
UNZIP_FAILED = "Could not unzip uploaded file. Please check your file, then try to upload again."


@dataclass(frozen=True, slots=True)
class CodePackage:
    """An accepted zip and what Lambda reports about it."""

    data: bytes
    sha256: str
    size: int


def code_sha256(data: bytes) -> str:
    """Lambda's CodeSha256 of `data`."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def accept_zip(data: bytes, operation: str) -> CodePackage:
    """`data` as a deployment package, or Lambda's error for it."""
    if len(data) > MAX_ZIPPED:
        raise RequestTooLargeError(
            f"Request must be smaller than {MAX_REQUEST} bytes for the {operation} operation"
        )
    unzipped = _unzipped_size(data)
    if unzipped >= MAX_UNZIPPED:
        raise InvalidParameterValueException(
            f"Unzipped size must be smaller than {MAX_UNZIPPED} bytes"
        )
    return CodePackage(data, code_sha256(data), len(data))


def _unzipped_size(data: bytes) -> int:
    """The declared unzipped size of the archive, once every member read back intact."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            unzipped = sum(member.file_size for member in members)
            if unzipped >= MAX_UNZIPPED:
                return unzipped
            # Each read stops at its member's declared size and checks its CRC, so this
            # costs at most the 250 MB just bounded.
            if archive.testzip() is not None:
                raise InvalidParameterValueException(UNZIP_FAILED)
            return unzipped
    except InvalidParameterValueException:
        raise
    except Exception:  # whatever the archive reader trips on (zlib, lzma, encryption, ...)
        raise InvalidParameterValueException(UNZIP_FAILED) from None


def direct_upload(
    zip_file: bytes | None,
    s3_bucket: str | None,
    s3_key: str | None,
    s3_object_version: str | None,
    image_uri: str | None,
) -> bytes:
    """The zip of a `Code` (or UpdateFunctionCode) request: only a direct upload is read."""
    if image_uri:
        raise InvalidParameterValueException(
            "Strongroom runs .zip deployment packages only: ImageUri is not supported."
        )
    if s3_bucket or s3_key or s3_object_version:
        raise InvalidParameterValueException(
            "Strongroom takes function code only as a direct upload (ZipFile, at most "
            "50 MB zipped): it does not read code from Amazon S3 (S3Bucket, S3Key, "
            "S3ObjectVersion)."
        )
    if zip_file is None:
        raise InvalidParameterValueException("Please provide a source for function code.")
    return zip_file
