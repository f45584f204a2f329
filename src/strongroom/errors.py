"""Every error Strongroom raises on purpose, named as AWS names it.

One root, `StrongroomError`. A subclass's `code` is the AWS error code clients see in
`__type` (the class name unless set); its message is safe to show: it never holds a
secret, a plaintext or key material. `api/aws/errors.py` alone maps errors to HTTP.
"""

from __future__ import annotations

from typing import ClassVar


class StrongroomError(Exception):
    """Root of every deliberate error; `code` is what the wire calls it."""

    code: ClassVar[str] = "InternalFailure"

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "code" not in cls.__dict__:
            cls.code = cls.__name__


# --- protocol and validation (any service) ------------------------------------------


class ValidationException(StrongroomError):
    """A request member breaks its model constraint (length, range, pattern, enum)."""


class SerializationException(StrongroomError):
    """The body is not JSON, or a member has the wrong JSON type."""


class UnknownOperationException(StrongroomError):
    """The X-Amz-Target names no operation of the service."""


class RequestTooLargeError(StrongroomError):
    """The body is larger than any request of the service may be."""

    code = "RequestEntityTooLargeException"


class InternalFailure(StrongroomError):
    """Something unexpected; the message carries only a request id."""


class ServiceUnavailable(StrongroomError):
    """Strongroom is sealed or not initialised: nothing is read or served."""

    code = "ServiceUnavailableException"


# --- authentication and authorization ------------------------------------------------


class AuthenticationError(StrongroomError):
    """Base of every SigV4 failure: the request was not authenticated."""


class MissingAuthenticationToken(AuthenticationError):
    """No Authorization header and no presigned query."""

    code = "MissingAuthenticationTokenException"


class IncompleteSignatureException(AuthenticationError):
    """The Authorization header or the signed query is malformed."""


class InvalidSignatureException(AuthenticationError):
    """The signature does not match the request."""


class UnrecognizedClientException(AuthenticationError):
    """The access key id is unknown."""


class AccessDeniedException(StrongroomError):
    """The caller is authenticated but not allowed this action on this resource."""


# --- KMS ---------------------------------------------------------------------------


class NotFoundException(StrongroomError):
    """The key or alias does not exist in this account and region."""


class AlreadyExistsException(StrongroomError):
    """An alias of that name already exists."""


class DisabledException(StrongroomError):
    """The key is disabled."""


class KMSInvalidStateException(StrongroomError):
    """The key's state does not allow the operation (pending deletion, ...)."""


class InvalidCiphertextException(StrongroomError):
    """The ciphertext or its encryption context is not authentic. Says nothing more."""


class IncorrectKeyException(StrongroomError):
    """The ciphertext was made under another key than the one named."""


class InvalidKeyUsageException(StrongroomError):
    """The key's usage or spec does not allow the operation."""


class InvalidMarkerException(StrongroomError):
    """A pagination marker Strongroom did not hand out."""


class LimitExceededException(StrongroomError):
    """A per-account or per-key quota is reached."""


class TagException(StrongroomError):
    """A tag key or value breaks AWS's tag rules."""


class MalformedPolicyDocumentException(StrongroomError):
    """A key policy that is not a valid policy document."""


class UnsupportedOperationException(StrongroomError):
    """Not served: an operation Strongroom does not implement (yet), or one that is not
    valid for this key (origin, spec, store). One class, whichever the reason."""


class NotAuthorizedException(StrongroomError):
    """KMS's answer to an alias under the reserved `alias/aws/` prefix."""


class KMSInvalidSignatureException(StrongroomError):
    """Verify: the signature is not valid for the message, key and algorithm."""


class KMSInvalidMacException(StrongroomError):
    """VerifyMac: the MAC is not valid for the message, key and algorithm."""


class InvalidImportTokenException(StrongroomError):
    """An import token that is not valid, or not for this key."""


class ExpiredImportTokenException(StrongroomError):
    """An import token past its 24 hours."""


class IncorrectKeyMaterialException(StrongroomError):
    """Imported material that is not the material this key had, or was expected to get."""


class DryRunOperationException(StrongroomError):
    """The request would have succeeded, but DryRun was set."""


class KMSInternalException(StrongroomError):
    """KMS's own internal error name."""


class ThrottlingException(StrongroomError):
    """Too many calls from one client in too short a time (HTTP 429)."""


# --- IAM (access keys) ------------------------------------------------------------------


class NoSuchEntityException(StrongroomError):
    """The access key (or other IAM entity) does not exist in the caller's account."""

    code = "NoSuchEntity"


class IamLimitExceededException(StrongroomError):
    """An IAM quota is reached (two access keys per user, as AWS allows)."""

    code = "LimitExceeded"


class DeleteConflictException(StrongroomError):
    """The entity cannot be removed or disabled: something still depends on it."""

    code = "DeleteConflict"


class EntityAlreadyExistsException(StrongroomError):
    """A user, group, role or managed policy of that name (in any letter case) exists."""

    code = "EntityAlreadyExists"


class IamMalformedPolicyDocumentException(StrongroomError):
    """An IAM policy document (identity or trust policy) that breaks the policy grammar."""

    code = "MalformedPolicyDocument"


class InvalidInputException(StrongroomError):
    """An IAM parameter value that is not valid (a malformed ARN, a reserved tag key, ...)."""

    code = "InvalidInput"


class PolicyNotAttachableException(StrongroomError):
    """The managed policy cannot be attached (or set as a boundary) here."""

    code = "PolicyNotAttachable"


class IamValidationError(StrongroomError):
    """IAM's own validation error name (GetUser without a name, called by a role)."""

    code = "ValidationError"


# --- Secrets Manager ----------------------------------------------------------------------


class ResourceNotFoundException(StrongroomError):
    """The secret, or the version or label asked of it, does not exist."""


class InvalidParameterException(StrongroomError):
    """A parameter value is not valid for the secret or the operation."""


class InvalidRequestException(StrongroomError):
    """The request is not valid in the secret's current state (scheduled for deletion, ...)."""


class ResourceExistsException(StrongroomError):
    """A secret of that name, or a version with that token and another value, exists."""


class InvalidNextTokenException(StrongroomError):
    """A pagination token Strongroom did not hand out."""


class DecryptionFailure(StrongroomError):
    """The secret's value cannot be decrypted with its KMS key (disabled, deleted, ...)."""


class EncryptionFailure(StrongroomError):
    """The secret's value cannot be encrypted with its KMS key (disabled, deleted, ...)."""


class PublicPolicyException(StrongroomError):
    """A resource policy grants broad access while BlockPublicPolicy is set."""


class PreconditionNotMetException(StrongroomError):
    """A precondition of the request does not hold."""


# --- Systems Manager Parameter Store ---------------------------------------------------


class HierarchyLevelLimitExceededException(StrongroomError):
    """A parameter name has more than 15 levels."""


class HierarchyTypeMismatchException(StrongroomError):
    """A parameter's type cannot change from String/StringList to SecureString or back."""


class IncompatiblePolicyException(StrongroomError):
    """The parameter policies conflict (two of one type, or a policy the tier does not allow)."""


class InvalidAllowedPatternException(StrongroomError):
    """AllowedPattern is not a valid regular expression."""


class InvalidFilterKey(StrongroomError):
    """A filter key Parameter Store does not know, or not allowed here."""


class InvalidFilterOption(StrongroomError):
    """A filter option that is not valid for its key."""


class InvalidFilterValue(StrongroomError):
    """A filter value that is not valid for its key and option."""


class InvalidKeyId(StrongroomError):
    """The KMS key of a SecureString cannot be used (unknown, disabled, not symmetric)."""


class InvalidNextToken(StrongroomError):
    """A pagination token Parameter Store did not hand out."""


class InvalidPolicyAttributeException(StrongroomError):
    """A parameter policy attribute that is not valid."""


class InvalidPolicyTypeException(StrongroomError):
    """A policy type other than Expiration, ExpirationNotification, NoChangeNotification."""


class InvalidResourceId(StrongroomError):
    """The resource to tag does not exist."""


class InvalidResourceType(StrongroomError):
    """A resource type that cannot be tagged here."""


class ParameterAlreadyExists(StrongroomError):
    """The parameter exists and Overwrite was not set."""


class ParameterLimitExceeded(StrongroomError):
    """The account has as many parameters as it may."""


class ParameterMaxVersionLimitExceeded(StrongroomError):
    """The oldest version of a 100-version parameter has a label, so no new version fits."""


class ParameterNotFound(StrongroomError):
    """The parameter does not exist."""


class ParameterPatternMismatchException(StrongroomError):
    """The value does not match the AllowedPattern."""


class ParameterVersionLabelLimitExceeded(StrongroomError):
    """A version would have more than 10 labels."""


class ParameterVersionNotFound(StrongroomError):
    """The version (or label) named does not exist."""


class PoliciesLimitExceededException(StrongroomError):
    """More than 10 policies for one parameter."""


class TooManyTagsError(StrongroomError):
    """More than 50 tags on one resource."""


class TooManyUpdates(StrongroomError):
    """Too many concurrent updates of one parameter."""


class UnsupportedParameterType(StrongroomError):
    """A parameter type Parameter Store does not support."""


class InternalServerError(StrongroomError):
    """Parameter Store's own internal error name."""


# --- Lambda (the function API rotation uses) -----------------------------------------------


class ResourceConflictException(StrongroomError):
    """A function of that name exists, or the function is being changed."""


class InvalidParameterValueException(StrongroomError):
    """A Lambda parameter value is not valid (runtime, handler, zip, ...)."""


class CodeStorageExceededException(StrongroomError):
    """The function's code is larger than Strongroom accepts."""


class ServiceException(StrongroomError):
    """Lambda's own internal error name."""


class TooManyRequestsException(StrongroomError):
    """Too many invocations running at once."""


# --- temporary credentials ------------------------------------------------------------------


class ExpiredTokenException(AuthenticationError):
    """The session token of temporary credentials has expired."""
