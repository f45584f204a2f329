"""SecureString values, encrypted through Strongroom's own KMS as AWS does it.

Called via `ssm.<region>.amazonaws.com`, with AWS's encryption context
`{"PARAMETER_ARN": <parameter ARN>}`. Up to 4,096 bytes: one KMS Encrypt, and the stored
ciphertext is KMS's blob (so `kms decrypt` with that context opens it, as on AWS).
Longer (Advanced tier): envelope encryption (`sealed_value`). Without a KeyId, the AWS
managed key `alias/aws/ssm` (made on first use). KMS's refusals become InvalidKeyId with
KMS's reason; KMS denying the caller stays AccessDeniedException.
"""

from __future__ import annotations

import base64
import binascii

from strongroom.crypto import AuthenticationFailed
from strongroom.errors import AccessDeniedException, InvalidKeyId, StrongroomError
from strongroom.services.caller import Caller
from strongroom.services.kms_envelope import KmsEnvelope
from strongroom.services.ssm import sealed_value

DIRECT_LIMIT = 4096
DEFAULT_KEY = "alias/aws/ssm"


def _context(arn: str) -> dict[str, str]:
    return {"PARAMETER_ARN": arn}


def _invalid_key(error: StrongroomError) -> InvalidKeyId:
    return InvalidKeyId(f"{error.message} (Service: AWSKMS; Error Code: {error.code})")


def is_enveloped(value: str) -> bool:
    """Whether `value` is sealed with envelope encryption (too long for one Encrypt)."""
    return len(value.encode()) > DIRECT_LIMIT


def encrypt(kms: KmsEnvelope, caller: Caller, key_id: str | None, arn: str, value: str) -> str:
    """The stored (and shown) ciphertext of `value`, base64 (see `is_enveloped`)."""
    plaintext = value.encode()
    try:
        if len(plaintext) <= DIRECT_LIMIT:
            result = kms.call(
                "Encrypt",
                caller,
                KeyId=kms.key_ref(caller, key_id),
                Plaintext=plaintext,
                EncryptionContext=_context(arn),
            )
            blob = result["CiphertextBlob"]
        else:
            sealed, _ = kms.seal(caller, key_id, _context(arn), plaintext, arn.encode())
            blob = sealed_value.encode(sealed)
    except AccessDeniedException:
        raise
    except StrongroomError as error:
        raise _invalid_key(error) from None
    return base64.b64encode(blob).decode()


def decrypt(kms: KmsEnvelope, caller: Caller, arn: str, ciphertext: str, *, enveloped: bool) -> str:
    """The plaintext of a stored SecureString value."""
    try:
        blob = base64.b64decode(ciphertext, validate=True)
        if enveloped:
            plaintext = kms.open(caller, sealed_value.decode(blob), _context(arn), arn.encode())
        else:
            result = kms.call(
                "Decrypt", caller, CiphertextBlob=blob, EncryptionContext=_context(arn)
            )
            plaintext = result["Plaintext"]
    except AccessDeniedException:
        raise
    except StrongroomError as error:
        raise _invalid_key(error) from None
    except (AuthenticationFailed, sealed_value.MalformedValue, binascii.Error):
        raise InvalidKeyId("The ciphertext of this parameter cannot be decrypted.") from None
    return plaintext.decode()
