"""The stored form of key material other than a symmetric AES key.

A symmetric key's material is stored as its 32 raw bytes (the format since the first
version; the key's spec, which its caller knows, says which form to expect). Every other
kind of material is one record:

    version (1 byte, = 1) | form (1 byte: 1 = HMAC key, 2 = private key) | material

where an HMAC key is its raw bytes and a private key is PKCS#8 DER. `decode` refuses
anything else.
"""

from __future__ import annotations

from typing import Literal

VERSION = 1
Form = Literal["hmac", "private"]
_FORM_BYTES: dict[Form, int] = {"hmac": 1, "private": 2}
_FORMS: dict[int, Form] = {value: form for form, value in _FORM_BYTES.items()}


class MalformedMaterial(ValueError):
    """Bytes that are not a material record of a known version and form."""


def encode(form: Form, material: bytes) -> bytes:
    """The stored bytes of `material` of `form`."""
    if not material:
        raise ValueError("material is never empty")
    return bytes((VERSION, _FORM_BYTES[form])) + material


def decode(data: bytes) -> tuple[Form, bytes]:
    """The form and material of a stored record, or `MalformedMaterial`."""
    if len(data) < 3 or data[0] != VERSION or data[1] not in _FORMS:
        raise MalformedMaterial("not a material record")
    return _FORMS[data[1]], data[2:]
