"""Imported key material (Origin EXTERNAL): GetParametersForImport, ImportKeyMaterial,
DeleteImportedKeyMaterial, and the expiry of material whose ValidTo has passed.

GetParametersForImport makes an RSA wrapping key and an import token bound to the key,
both valid 24 hours; the last `MAX_PARAMETER_SETS` sets stay valid side by side. A token
is `version (1) | token id (16) | key id (UTF-8)`; the wrapping keys live behind the
barrier with the key's records. ImportKeyMaterial unwraps, checks the material against
the key's spec and its history, and hands it to the key store:

- a key's first material, or EXISTING_KEY_MATERIAL: the same material (by KeyMaterialId,
  which is derived from the material and the key id) comes back after a deletion or an
  expiry, with a new ValidTo; different material is IncorrectKeyMaterialException;
- NEW_KEY_MATERIAL (symmetric keys only): new material waits as the key's pending
  material until RotateKeyOnDemand makes it current.

Deleting or expiring material erases it from the key store (the record keeps its id, so
the same material can come back) and the key goes to PendingImport.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from strongroom.crypto import AuthenticationFailed, asymmetric
from strongroom.crypto.key_wrap import WRAPPING_ALGORITHMS, WrappingKey
from strongroom.crypto.message_auth import material_id
from strongroom.errors import (
    ExpiredImportTokenException,
    IncorrectKeyMaterialException,
    InvalidCiphertextException,
    InvalidImportTokenException,
    KMSInvalidStateException,
    StrongroomError,
    UnsupportedOperationException,
    ValidationException,
)
from strongroom.keystores import MaterialForm
from strongroom.services.caller import Caller
from strongroom.services.kms.records import (
    DAY,
    DISABLED,
    ENABLED,
    PENDING_DELETION,
    PENDING_IMPORT,
    PENDING_REPLICA_DELETION,
    KeyRecord,
    MaterialVersion,
)
from strongroom.services.kms.service import (
    Kms,
    Operation,
    authorized_key,
    key_to_change,
    write_transaction,
    writes,
)

log = logging.getLogger("strongroom.kms")

PARAMETERS_VALID = DAY
MAX_PARAMETER_SETS = 5
MAX_VALID_TO_DAYS = 365
TOKEN_VERSION = 1
IMPORTED = "IMPORTED"
DELETED = "PENDING_IMPORT"


@dataclass(slots=True)
class ParameterSet:
    """One GetParametersForImport answer: its token id, wrapping key and expiry."""

    token_id: str
    wrapping_key: str  # PKCS#8 DER, hex
    algorithm: str
    expires: float


def _load_sets(kms: Kms, record: KeyRecord) -> list[ParameterSet]:
    data = kms.repository.import_parameters(record.account, record.region, record.key_id)
    return [] if data is None else [ParameterSet(**item) for item in orjson.loads(data)]


def _require_external(record: KeyRecord) -> None:
    if record.origin != "EXTERNAL":
        raise UnsupportedOperationException(
            f"{record.arn} origin is {record.origin} which is not valid for this operation."
        )


def _require_not_deleting(record: KeyRecord) -> None:
    if record.state in (PENDING_DELETION, PENDING_REPLICA_DELETION):
        raise KMSInvalidStateException(f"{record.arn} is pending deletion.")


def get_parameters_for_import(
    kms: Kms, caller: Caller, *, KeyId: str, WrappingAlgorithm: str, WrappingKeySpec: str
) -> dict[str, Any]:
    """A wrapping public key and an import token for the key, valid 24 hours."""
    found = authorized_key(
        kms,
        caller,
        "kms:GetParametersForImport",
        KeyId,
        aliases=False,
        check=_require_not_deleting,
    )
    _require_external(found)
    if WrappingAlgorithm not in WRAPPING_ALGORITHMS or not WrappingKeySpec.startswith("RSA_"):
        raise UnsupportedOperationException(
            f"Wrapping with {WrappingAlgorithm} and {WrappingKeySpec} is not supported: "
            "it is for AWS's China regions or deprecated."
        )
    # An RSA key takes up to seconds to make: made before the transaction, which holds
    # storage's lock, so that other requests do not wait for it.
    private_der = WrappingKey.generate(int(WrappingKeySpec.removeprefix("RSA_")))
    with write_transaction(kms):
        record = key_to_change(
            kms,
            caller,
            "kms:GetParametersForImport",
            found.arn,
            aliases=False,
            check=_require_not_deleting,
        )
        now = kms.clock.now()
        token_id = kms.random(16)
        expires = now + PARAMETERS_VALID
        fresh = ParameterSet(token_id.hex(), private_der.hex(), WrappingAlgorithm, expires)
        kept = [p for p in _load_sets(kms, record) if p.expires > now]
        sets = [*kept[-(MAX_PARAMETER_SETS - 1) :], fresh]
        kms.repository.save_import_parameters(
            record.account, record.region, record.key_id, orjson.dumps(sets)
        )
    return {
        "KeyId": record.arn,
        "ImportToken": bytes([TOKEN_VERSION]) + token_id + record.key_id.encode(),
        "PublicKey": WrappingKey(private_der).public_der(),
        "ParametersValidTo": fresh.expires,
    }


def _parameter_set(kms: Kms, record: KeyRecord, token: bytes) -> ParameterSet:
    if len(token) < 18 or token[0] != TOKEN_VERSION or token[17:] != record.key_id.encode():
        raise InvalidImportTokenException("Import token is invalid for the specified key.")
    token_id = token[1:17].hex()
    for candidate in _load_sets(kms, record):
        if candidate.token_id == token_id:
            if candidate.expires <= kms.clock.now():
                raise ExpiredImportTokenException("The import token has expired.")
            return candidate
    raise InvalidImportTokenException("Import token is invalid for the specified key.")


def _seconds(value: datetime | float | int) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


def _valid_to(kms: Kms, valid_to: Any, model: str | None) -> float | None:
    model = model or "KEY_MATERIAL_EXPIRES"
    if model == "KEY_MATERIAL_DOES_NOT_EXPIRE":
        if valid_to is not None:
            raise ValidationException(
                "A validTo date must not be set if the ExpirationModel is "
                "KEY_MATERIAL_DOES_NOT_EXPIRE"
            )
        return None
    if valid_to is None:
        raise ValidationException(
            "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES"
        )
    seconds, now = _seconds(valid_to), kms.clock.now()
    if seconds <= now or seconds > now + MAX_VALID_TO_DAYS * DAY:
        raise ValidationException(
            f"The validTo date must be in the future and at most {MAX_VALID_TO_DAYS} days away."
        )
    return seconds


def _checked_material(record: KeyRecord, material: bytes) -> tuple[MaterialForm, bytes]:
    """The material's form and its canonical bytes, or IncorrectKeyMaterialException."""
    spec = record.spec
    wrong = IncorrectKeyMaterialException(
        f"The key material is not valid for a {record.key_spec} key."
    )
    if spec.form == "symmetric":
        if len(material) != 32:
            raise wrong
        return "symmetric", material
    if spec.form == "hmac":
        if not spec.hmac_bytes[0] <= len(material) <= spec.hmac_bytes[1]:
            raise wrong
        return "hmac", material
    try:
        key = asymmetric.PrivateKey(material)
    except asymmetric.InvalidKey:
        raise wrong from None
    if key.kind.name != spec.kind:
        raise wrong
    return "private", key.canonical_der()


def import_key_material(
    kms: Kms,
    caller: Caller,
    *,
    KeyId: str,
    ImportToken: bytes,
    EncryptedKeyMaterial: bytes,
    ValidTo: Any = None,
    ExpirationModel: str | None = None,
    ImportType: str | None = None,
    KeyMaterialDescription: str | None = None,
    KeyMaterialId: str | None = None,
) -> dict[str, Any]:
    """ImportKeyMaterial: unwrap the material and give it to the key (see the module).

    Every check runs first on the cached record, and the unwrapping (RSA work, and for a
    private key its validation) before the transaction, which holds storage's lock; the
    transaction checks again on a fresh copy and stores. Pending material an import
    replaced is scrubbed from the files once it has committed."""
    found = authorized_key(
        kms, caller, "kms:ImportKeyMaterial", KeyId, aliases=False, check=_require_not_deleting
    )
    request = _ImportRequest(ImportToken, ValidTo, ExpirationModel, ImportType, KeyMaterialId)
    parameters, _, _ = _plan(kms, found, request)
    form, canonical, identity = _unwrapped(found, parameters, EncryptedKeyMaterial)
    if KeyMaterialId is not None and KeyMaterialId != identity:
        raise IncorrectKeyMaterialException("The key material does not match KeyMaterialId.")
    with write_transaction(kms):
        record = key_to_change(
            kms,
            caller,
            "kms:ImportKeyMaterial",
            found.arn,
            aliases=False,
            check=_require_not_deleting,
        )
        _, valid_to, import_type = _plan(kms, record, request)
        related = _related_keys(kms, record)
        if not record.versions:  # a related key's material, if any, is this key's too
            copied = next((r.versions for r in related if r.versions), [])
            record.versions = [v.awaiting() for v in copied]
            _, valid_to, import_type = _plan(kms, record, request)
        if import_type == "NEW_KEY_MATERIAL":
            version = _import_new(kms, record, form, canonical, identity, valid_to)
        else:
            version = _import_existing(kms, record, form, canonical, identity, valid_to)
        if KeyMaterialDescription is not None:
            version.description = KeyMaterialDescription
        if record.state == PENDING_IMPORT and all(
            v.import_state == IMPORTED for v in record.versions
        ):
            record.state = ENABLED
        for other in related:  # the first material of a multi-Region key binds every region
            if not other.versions:
                other.versions = [v.awaiting() for v in record.versions]
                kms.repository.save(other)
        kms.repository.save(record)
    scrub_destroyed(kms)
    return {"KeyId": record.arn, "KeyMaterialId": identity}


@dataclass(frozen=True, slots=True)
class _ImportRequest:
    token: bytes
    valid_to: Any
    expiration_model: str | None
    import_type: str | None
    material_id: str | None


def _plan(
    kms: Kms, record: KeyRecord, request: _ImportRequest
) -> tuple[ParameterSet, float | None, str]:
    """The checks that need no unwrapping: the token's parameters, ValidTo, import type."""
    _require_external(record)
    parameters = _parameter_set(kms, record, request.token)
    valid_to = _valid_to(kms, request.valid_to, request.expiration_model)
    import_type = request.import_type or (
        "EXISTING_KEY_MATERIAL" if record.versions else "NEW_KEY_MATERIAL"
    )
    if import_type == "NEW_KEY_MATERIAL" and request.material_id is not None:
        raise ValidationException("KeyMaterialId cannot be specified with NEW_KEY_MATERIAL.")
    if record.versions and import_type == "NEW_KEY_MATERIAL":
        if record.spec.form != "symmetric":
            raise IncorrectKeyMaterialException(
                f"{record.arn} already has key material; a {record.key_spec} key never gets new."
            )
        if record.is_replica:
            raise UnsupportedOperationException(
                f"{record.arn} is a multi-Region replica key: import new key material into "
                "its primary key, then the same material into each replica."
            )
    return parameters, valid_to, import_type


def _unwrapped(
    record: KeyRecord, parameters: ParameterSet, wrapped: bytes
) -> tuple[MaterialForm, bytes, str]:
    """The material's form, canonical bytes and id, or the error AWS gives."""
    try:
        key = WrappingKey(bytes.fromhex(parameters.wrapping_key))
        material = key.unwrap(parameters.algorithm, wrapped)
    except AuthenticationFailed:
        raise InvalidCiphertextException(
            "KMS could not decrypt the encrypted (wrapped) key material."
        ) from None
    form, canonical = _checked_material(record, material)
    return form, canonical, material_id(canonical, record.key_id)


def _related_keys(kms: Kms, record: KeyRecord) -> list[KeyRecord]:
    """The other regions' keys of a multi-Region key (private copies), else none."""
    if not record.multi_region or record.primary_region is None:
        return []
    primary = kms.repository.load(record.account, record.primary_region, record.key_id)
    if primary is None:
        return []
    regions = [primary.region, *primary.replica_regions]
    related = [
        primary
        if region == primary.region
        else kms.repository.load(record.account, region, record.key_id)
        for region in regions
        if region != record.region
    ]
    return [r for r in related if r is not None]


def _import_new(
    kms: Kms,
    record: KeyRecord,
    form: MaterialForm,
    material: bytes,
    identity: str,
    valid_to: float | None,
) -> MaterialVersion:
    known = record.all_material
    if any(v.material_id == identity for v in known):
        raise IncorrectKeyMaterialException(
            "This key material is already associated with the key: import it as "
            "EXISTING_KEY_MATERIAL."
        )
    keystore = kms.keystore(record)
    if record.pending_material is not None:  # new pending material replaces the old
        keystore.destroy(record.material_name, [record.pending_material.version])
    number = max((v.version for v in known), default=0) + 1
    keystore.put(record.material_name, number, form, material)
    version = MaterialVersion(
        number, kms.clock.now(), None, identity, import_state=IMPORTED, valid_to=valid_to
    )
    if record.versions:
        record.pending_material = version
        await_in_replicas(kms, record)
    else:
        record.versions = [version]
    return version


def await_in_replicas(kms: Kms, primary: KeyRecord) -> None:
    """A multi-Region primary's new pending material: each replica waits for the same
    material (PENDING_MULTI_REGION_IMPORT_AND_ROTATION until every one has it)."""
    if primary.pending_material is None:
        return
    for replica in _related_keys(kms, primary):
        if replica.pending_material is not None:
            kms.keystore(replica).destroy(replica.material_name, [replica.pending_material.version])
        replica.pending_material = primary.pending_material.awaiting()
        kms.repository.save(replica)


def _import_existing(
    kms: Kms,
    record: KeyRecord,
    form: MaterialForm,
    material: bytes,
    identity: str,
    valid_to: float | None,
) -> MaterialVersion:
    for version in record.all_material:
        if version.material_id == identity:
            keystore = kms.keystore(record)
            if not keystore.has(record.material_name, version.version):
                keystore.put(record.material_name, version.version, form, material)
            version.import_state = IMPORTED
            version.valid_to = valid_to
            return version
    raise IncorrectKeyMaterialException(
        "The key material is not the key material previously imported into this key."
    )


def remove_material(kms: Kms, record: KeyRecord, version: MaterialVersion) -> None:
    """Erase one imported material version; the key waits for it (PendingImport)."""
    kms.keystore(record).destroy(record.material_name, [version.version])
    if version is record.pending_material:
        record.pending_material = None
        return
    version.import_state = DELETED
    version.valid_to = None
    if record.state in (ENABLED, DISABLED):
        record.state = PENDING_IMPORT


def delete_imported_key_material(
    kms: Kms, caller: Caller, *, KeyId: str, KeyMaterialId: str | None = None
) -> dict[str, Any]:
    """DeleteImportedKeyMaterial (see `_delete_imported_key_material`), then the material
    is scrubbed from the files, once the deletion has committed."""
    result = _delete_imported_key_material(kms, caller, KeyId=KeyId, KeyMaterialId=KeyMaterialId)
    scrub_destroyed(kms)
    return result


def scrub_destroyed(kms: Kms) -> None:
    """Erase material destroyed by a committed request from storage's files now; if the
    storage cannot right now, the scrub stays owed (the next maintenance pass pays it)."""
    for keystore in kms.keystores.values():
        try:
            keystore.scrub()
        except StrongroomError as error:
            log.warning("a scrub of destroyed key material is owed: %s", error.message)


@writes
def _delete_imported_key_material(
    kms: Kms, caller: Caller, *, KeyId: str, KeyMaterialId: str | None = None
) -> dict[str, Any]:
    """DeleteImportedKeyMaterial: the current material, or the one named; a key pending
    deletion keeps its state, any other goes to PendingImport."""
    record = key_to_change(kms, caller, "kms:DeleteImportedKeyMaterial", KeyId, aliases=False)
    _require_external(record)
    if KeyMaterialId is None:
        chosen = record.versions[-1] if record.versions else None
    else:
        chosen = next((v for v in record.all_material if v.material_id == KeyMaterialId), None)
        if chosen is None:
            raise ValidationException(
                f"KeyMaterialId {KeyMaterialId} is not associated with {record.arn}."
            )
    if chosen is not None and chosen is record.pending_material and not record.is_replica:
        for replica in _related_keys(kms, record):  # a primary's new material goes whole
            if replica.pending_material is not None:
                remove_material(kms, replica, replica.pending_material)
                kms.repository.save(replica)
    if chosen is not None and chosen.import_state == IMPORTED:
        remove_material(kms, record, chosen)
        kms.repository.save(record)
    return {"KeyId": record.arn, "KeyMaterialId": chosen.material_id if chosen else ""}


def expire_if_due(kms: Kms, record: KeyRecord) -> bool:
    """Erase imported material whose ValidTo has passed; True if any was."""
    now = kms.clock.now()
    expired = [
        v
        for v in record.all_material
        if v.import_state == IMPORTED and v.valid_to is not None and v.valid_to <= now
    ]
    for version in expired:
        remove_material(kms, record, version)
    if expired:
        kms.repository.save(record)
    return bool(expired)


OPERATIONS: dict[str, Operation] = {
    "GetParametersForImport": get_parameters_for_import,
    "ImportKeyMaterial": import_key_material,
    "DeleteImportedKeyMaterial": delete_imported_key_material,
}
