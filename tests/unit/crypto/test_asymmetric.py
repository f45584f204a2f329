"""Asymmetric keys: every kind signs and verifies with its family's schemes (checked again
by `cryptography` directly), bad signatures are `False`, RSA-OAEP keeps AWS's limits and
fails as one `AuthenticationFailed`, ECDH agrees with the peer, Ed25519ph matches RFC 8032.
"""

from __future__ import annotations

import functools
import hashlib

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import (
    ec,
    ed448,
    ed25519,
    mldsa,
    padding,
    rsa,
    x25519,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.crypto import AuthenticationFailed
from strongroom.crypto.asymmetric import (
    ECDSA_SHA256,
    ECDSA_SHA384,
    ECDSA_SHA512,
    ED25519,
    ED25519_PH,
    KINDS,
    ML_DSA,
    OAEP_SHA1,
    OAEP_SHA256,
    RSA_PKCS1_SHA256,
    RSA_PKCS1_SHA384,
    RSA_PKCS1_SHA512,
    RSA_PSS_SHA256,
    RSA_PSS_SHA384,
    RSA_PSS_SHA512,
    InvalidKey,
    Oaep,
    PrivateKey,
    PublicKey,
    SignatureScheme,
    generate,
)

SCHEMES: dict[str, tuple[SignatureScheme, ...]] = {
    "rsa": (
        RSA_PSS_SHA256,
        RSA_PSS_SHA384,
        RSA_PSS_SHA512,
        RSA_PKCS1_SHA256,
        RSA_PKCS1_SHA384,
        RSA_PKCS1_SHA512,
    ),
    "ec": (ECDSA_SHA256, ECDSA_SHA384, ECDSA_SHA512),
    "ed25519": (ED25519, ED25519_PH),
    "mldsa": (ML_DSA,),
}
"""The schemes of each family (AWS's signing algorithms for its key specs)."""

PAIRS = [(kind, scheme) for kind in KINDS for scheme in SCHEMES[KINDS[kind].family]]
DIGEST_PAIRS = [(kind, scheme) for kind, scheme in PAIRS if scheme.hash and scheme.padding != "ph"]
ONE_OF_EACH_FAMILY = ("rsa2048", "p256", "ed25519", "mldsa44")
EC_KINDS = ("p256", "p384", "p521", "secp256k1")
RSA_KINDS = ("rsa2048", "rsa3072", "rsa4096")
CURVES: dict[str, ec.EllipticCurve] = {
    "p256": ec.SECP256R1(),
    "p384": ec.SECP384R1(),
    "p521": ec.SECP521R1(),
    "secp256k1": ec.SECP256K1(),
}
HASHES: dict[str, hashes.HashAlgorithm] = {
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}
MESSAGE = b"Strongroom signs this message."
PKCS8 = (serialization.Encoding.DER, serialization.PrivateFormat.PKCS8)
SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


@functools.cache
def private_der(kind: str) -> bytes:
    """One generated key per kind for the whole module (RSA generation is slow)."""
    der: bytes = generate(kind)
    return der


@functools.cache
def private(kind: str) -> PrivateKey:
    return PrivateKey(private_der(kind))


def pair_id(pair: tuple[str, SignatureScheme]) -> str:
    kind, scheme = pair
    return f"{kind}-{scheme.family}-{scheme.padding or 'plain'}-{scheme.hash or 'none'}"


def reference_verify(
    public_der: bytes, scheme: SignatureScheme, message: bytes, signature: bytes
) -> None:
    """Verify `signature` over the whole `message` with `cryptography` alone, as an outside
    verifier holding the public key would (PSS salt = digest length, as AWS KMS signs)."""
    key = serialization.load_der_public_key(public_der)
    if scheme.family == "rsa":
        assert isinstance(key, rsa.RSAPublicKey)
        algorithm = HASHES[scheme.hash]
        pad: padding.AsymmetricPadding = (
            padding.PSS(padding.MGF1(algorithm), algorithm.digest_size)
            if scheme.padding == "pss"
            else padding.PKCS1v15()
        )
        key.verify(signature, message, pad, algorithm)
    elif scheme.family == "ec":
        assert isinstance(key, ec.EllipticCurvePublicKey)
        algorithm = HASHES[scheme.hash]
        key.verify(signature, message, ec.ECDSA(algorithm))
    elif scheme == ED25519:
        assert isinstance(key, ed25519.Ed25519PublicKey)
        key.verify(signature, message)
    elif scheme == ML_DSA:
        assert isinstance(
            key, mldsa.MLDSA44PublicKey | mldsa.MLDSA65PublicKey | mldsa.MLDSA87PublicKey
        )
        key.verify(signature, message)
    else:
        raise AssertionError(f"no reference verifier for {scheme}")


# --- generation and loading ---------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
def test_generate_gives_pkcs8_of_the_kind(kind: str) -> None:
    der = private_der(kind)
    loaded = serialization.load_der_private_key(der, None)
    assert loaded.private_bytes(*PKCS8, serialization.NoEncryption()) == der
    key = private(kind)
    assert key.kind is KINDS[kind]
    assert key.public.kind is KINDS[kind]
    assert key.public.der == loaded.public_key().public_bytes(*SPKI)
    assert PublicKey(key.public.der).kind is KINDS[kind]
    if isinstance(loaded, rsa.RSAPrivateKey):
        assert loaded.key_size == KINDS[kind].bits
        assert loaded.private_numbers().public_numbers.e == 65537
    if isinstance(loaded, ec.EllipticCurvePrivateKey):
        assert loaded.curve.name == CURVES[kind].name


def test_generate_makes_a_new_key_each_time() -> None:
    assert generate("p256") != generate("p256")
    assert generate("ed25519") != generate("ed25519")


def test_generate_refuses_an_unknown_kind() -> None:
    with pytest.raises(KeyError):
        generate("rsa1024")


@pytest.mark.parametrize(
    "garbage",
    [b"", b"\x30", b"\x30\x00", b"\x00" * 64, b"not a key at all", b"\x30\x82\xff\xff" + b"x" * 9],
)
def test_garbage_is_an_invalid_key(garbage: bytes) -> None:
    with pytest.raises(InvalidKey):
        PublicKey(garbage)
    with pytest.raises(InvalidKey):
        PrivateKey(garbage)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=600))
def test_any_bytes_load_or_are_an_invalid_key(data: bytes) -> None:
    """Random bytes are never a key, and loading never raises anything but InvalidKey."""
    with pytest.raises(InvalidKey):
        PublicKey(data)
    with pytest.raises(InvalidKey):
        PrivateKey(data)


@pytest.mark.parametrize("kind", ONE_OF_EACH_FAMILY)
def test_truncated_or_swapped_keys_are_invalid(kind: str) -> None:
    key = private(kind)
    with pytest.raises(InvalidKey):
        PrivateKey(private_der(kind)[:-1])
    with pytest.raises(InvalidKey):
        PublicKey(key.public.der[:-1])
    with pytest.raises(InvalidKey):
        PrivateKey(key.public.der)  # a public key where a private one belongs
    with pytest.raises(InvalidKey):
        PublicKey(private_der(kind))


def test_pem_and_encrypted_pkcs8_are_invalid() -> None:
    loaded = serialization.load_der_private_key(private_der("p256"), None)
    pem = loaded.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    encrypted = loaded.private_bytes(*PKCS8, serialization.BestAvailableEncryption(b"a password"))
    public_pem = loaded.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for der in (pem, encrypted):
        with pytest.raises(InvalidKey):
            PrivateKey(der)
    with pytest.raises(InvalidKey):
        PublicKey(public_pem)


@pytest.mark.parametrize(
    "make",
    [
        lambda: rsa.generate_private_key(65537, 1024),
        lambda: rsa.generate_private_key(65537, 2560),
        lambda: ec.generate_private_key(ec.SECP224R1()),
        lambda: ec.generate_private_key(ec.BrainpoolP256R1()),
        ed448.Ed448PrivateKey.generate,
        x25519.X25519PrivateKey.generate,
    ],
    ids=["rsa1024", "rsa2560", "p224", "brainpoolP256r1", "ed448", "x25519"],
)
def test_keys_of_unsupported_kinds_are_invalid(make: object) -> None:
    assert callable(make)
    key = make()
    with pytest.raises(InvalidKey):
        PrivateKey(key.private_bytes(*PKCS8, serialization.NoEncryption()))
    with pytest.raises(InvalidKey):
        PublicKey(key.public_key().public_bytes(*SPKI))


# --- canonical encoding -------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
def test_canonical_der_is_stable(kind: str) -> None:
    der = private_der(kind)
    canonical = PrivateKey(der).canonical_der()
    assert canonical == der  # generate already writes cryptography's encoding
    assert PrivateKey(canonical).canonical_der() == canonical


@pytest.mark.parametrize("kind", [*RSA_KINDS, *EC_KINDS])
def test_traditional_openssl_encoding_gives_the_same_canonical_bytes(kind: str) -> None:
    loaded = serialization.load_der_private_key(private_der(kind), None)
    traditional = loaded.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    assert traditional != private_der(kind)
    key = PrivateKey(traditional)
    assert key.kind is KINDS[kind]
    assert key.canonical_der() == private_der(kind)


def _der_length(n: int) -> bytes:
    assert n < 128
    return bytes([n])


def test_pkcs8_without_the_optional_public_key_gives_the_same_canonical_bytes() -> None:
    """An EC PKCS#8 whose ECPrivateKey omits the optional public key (as some tools write
    it) is the same key, so the same canonical bytes."""
    loaded = serialization.load_der_private_key(private_der("p256"), None)
    assert isinstance(loaded, ec.EllipticCurvePrivateKey)
    scalar = loaded.private_numbers().private_value.to_bytes(32, "big")
    ec_private_key = b"\x02\x01\x01" + b"\x04\x20" + scalar  # version 1, privateKey
    ec_private_key = b"\x30" + _der_length(len(ec_private_key)) + ec_private_key
    algorithm = bytes.fromhex("301306072a8648ce3d020106082a8648ce3d030107")  # id-ecPublicKey, P-256
    body = b"\x02\x01\x00" + algorithm + b"\x04" + _der_length(len(ec_private_key))
    body += ec_private_key
    minimal = b"\x30" + _der_length(len(body)) + body
    assert minimal != private_der("p256")
    assert PrivateKey(minimal).canonical_der() == private_der("p256")


# --- signatures ---------------------------------------------------------------------------


@pytest.mark.parametrize("pair", PAIRS, ids=pair_id)
def test_sign_and_verify_raw(pair: tuple[str, SignatureScheme]) -> None:
    kind, scheme = pair
    key = private(kind)
    signature = key.sign(scheme, MESSAGE, prehashed=False)
    assert key.public.verify(scheme, MESSAGE, signature, prehashed=False) is True
    assert PublicKey(key.public.der).verify(scheme, MESSAGE, signature, prehashed=False) is True
    if scheme != ED25519_PH:  # Ed25519ph has its own known-answer test below
        reference_verify(key.public.der, scheme, MESSAGE, signature)


@pytest.mark.parametrize("pair", DIGEST_PAIRS, ids=pair_id)
def test_sign_and_verify_a_digest(pair: tuple[str, SignatureScheme]) -> None:
    """Signing the digest of a message is signing the message: either verifies either way,
    and an outside verifier given the whole message accepts it."""
    kind, scheme = pair
    key = private(kind)
    digest = hashlib.new(scheme.hash, MESSAGE).digest()
    assert scheme.digest_size == len(digest)
    signature = key.sign(scheme, digest, prehashed=True)
    assert key.public.verify(scheme, digest, signature, prehashed=True) is True
    assert key.public.verify(scheme, MESSAGE, signature, prehashed=False) is True
    reference_verify(key.public.der, scheme, MESSAGE, signature)
    raw_signature = key.sign(scheme, MESSAGE, prehashed=False)
    assert key.public.verify(scheme, digest, raw_signature, prehashed=True) is True


@pytest.mark.parametrize("pair", DIGEST_PAIRS, ids=pair_id)
def test_a_digest_of_the_wrong_length(pair: tuple[str, SignatureScheme]) -> None:
    kind, scheme = pair
    key = private(kind)
    digest = hashlib.new(scheme.hash, MESSAGE).digest()
    signature = key.sign(scheme, digest, prehashed=True)
    assert key.public.verify(scheme, digest[:-1], signature, prehashed=True) is False
    assert key.public.verify(scheme, digest + b"\x00", signature, prehashed=True) is False
    with pytest.raises(ValueError):  # a programmer's mistake: the service checks lengths
        key.sign(scheme, digest[:-1], prehashed=True)


@pytest.mark.parametrize("pair", PAIRS, ids=pair_id)
def test_tampered_message_or_signature_is_false(pair: tuple[str, SignatureScheme]) -> None:
    kind, scheme = pair
    key = private(kind)
    signature = key.sign(scheme, MESSAGE, prehashed=False)
    public = key.public
    assert public.verify(scheme, MESSAGE + b"!", signature, prehashed=False) is False
    assert public.verify(scheme, MESSAGE[:-1], signature, prehashed=False) is False
    assert public.verify(scheme, b"", signature, prehashed=False) is False
    for index in {0, 1, len(signature) // 2, len(signature) - 1}:
        tampered = bytearray(signature)
        tampered[index] ^= 0x01
        assert public.verify(scheme, MESSAGE, bytes(tampered), prehashed=False) is False
    for bad in (b"", signature[:-1], signature + b"\x00", b"\x00" * len(signature)):
        assert public.verify(scheme, MESSAGE, bad, prehashed=False) is False


@pytest.mark.parametrize("kind", ONE_OF_EACH_FAMILY)
def test_another_keys_signature_is_false(kind: str) -> None:
    other = PrivateKey(generate(kind))
    for scheme in SCHEMES[KINDS[kind].family]:
        signature = other.sign(scheme, MESSAGE, prehashed=False)
        assert private(kind).public.verify(scheme, MESSAGE, signature, prehashed=False) is False


@pytest.mark.parametrize("pair", PAIRS, ids=pair_id)
@settings(max_examples=15, deadline=None)
@given(signature=st.binary(max_size=5000))
def test_any_bytes_as_a_signature_are_false(
    pair: tuple[str, SignatureScheme], signature: bytes
) -> None:
    kind, scheme = pair
    assert private(kind).public.verify(scheme, MESSAGE, signature, prehashed=False) is False


@pytest.mark.parametrize("kind", ONE_OF_EACH_FAMILY)
@settings(max_examples=10, deadline=None)
@given(message=st.binary(max_size=4096), other=st.binary(max_size=64))
def test_a_signature_holds_for_its_message_only(kind: str, message: bytes, other: bytes) -> None:
    key = private(kind)
    for scheme in SCHEMES[KINDS[kind].family]:
        signature = key.sign(scheme, message, prehashed=False)
        assert key.public.verify(scheme, message, signature, prehashed=False) is True
        if other != message:
            assert key.public.verify(scheme, other, signature, prehashed=False) is False


def test_pss_signatures_are_randomized_and_pkcs1_deterministic() -> None:
    key = private("rsa2048")
    assert key.sign(RSA_PSS_SHA256, MESSAGE, prehashed=False) != key.sign(
        RSA_PSS_SHA256, MESSAGE, prehashed=False
    )
    assert key.sign(RSA_PKCS1_SHA256, MESSAGE, prehashed=False) == key.sign(
        RSA_PKCS1_SHA256, MESSAGE, prehashed=False
    )


def test_a_pss_signature_is_not_a_pkcs1_signature() -> None:
    key = private("rsa2048")
    pss = key.sign(RSA_PSS_SHA256, MESSAGE, prehashed=False)
    pkcs1 = key.sign(RSA_PKCS1_SHA256, MESSAGE, prehashed=False)
    assert key.public.verify(RSA_PKCS1_SHA256, MESSAGE, pss, prehashed=False) is False
    assert key.public.verify(RSA_PSS_SHA256, MESSAGE, pkcs1, prehashed=False) is False
    sha384 = key.sign(RSA_PSS_SHA384, MESSAGE, prehashed=False)
    assert key.public.verify(RSA_PSS_SHA256, MESSAGE, sha384, prehashed=False) is False


FOREIGN = (RSA_PSS_SHA256, RSA_PKCS1_SHA384, ECDSA_SHA256, ED25519, ED25519_PH, ML_DSA)
WRONG_FAMILY = [
    (kind, scheme)
    for kind in ONE_OF_EACH_FAMILY
    for scheme in FOREIGN
    if scheme.family != KINDS[kind].family
]


def test_signing_with_another_familys_scheme_is_a_type_error() -> None:
    """A scheme names its family: a key of another family refuses it rather than sign
    something else (RSA PKCS#1 for an ECDSA scheme, pure Ed25519 for an RSA one)."""
    accepted = []
    for kind, scheme in WRONG_FAMILY:
        try:
            private(kind).sign(scheme, MESSAGE, prehashed=False)
        except TypeError:
            continue
        except Exception as error:  # any other answer is itself the finding
            accepted.append(f"{pair_id((kind, scheme))}: {type(error).__name__}")
        else:
            accepted.append(f"{pair_id((kind, scheme))}: signed")
    assert not accepted, "accepted: " + ", ".join(accepted)


def _native(kind: str, foreign: SignatureScheme) -> SignatureScheme:
    """The scheme of `kind`'s family a foreign scheme would silently turn into if its
    family were ignored (the same hash; PKCS#1 for RSA)."""
    for scheme in SCHEMES[KINDS[kind].family]:
        if scheme.hash == foreign.hash and scheme.padding in ("", "pkcs1"):
            return scheme
    return SCHEMES[KINDS[kind].family][0]


def test_verifying_with_another_familys_scheme_is_refused() -> None:
    """A valid signature of the key's own family never verifies under a scheme of another
    family: the answer is False or a TypeError, never True (nor another exception)."""
    accepted = []
    for kind, foreign in WRONG_FAMILY:
        key = private(kind)
        signature = key.sign(_native(kind, foreign), MESSAGE, prehashed=False)
        try:
            verdict = key.public.verify(foreign, MESSAGE, signature, prehashed=False)
        except TypeError:
            continue
        except Exception as error:  # any other answer is itself the finding
            accepted.append(f"{pair_id((kind, foreign))}: {type(error).__name__}")
        else:
            if verdict is not False:
                accepted.append(f"{pair_id((kind, foreign))}: {verdict}")
    assert not accepted, "accepted: " + ", ".join(accepted)


# --- Ed25519ph (RFC 8032) -----------------------------------------------------------------

# RFC 8032, section 7.3 ("TEST abc"), as also pinned by Go's crypto/ed25519 tests.
RFC8032_PH_SECRET = "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42"
RFC8032_PH_PUBLIC = "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf"
RFC8032_PH_MESSAGE = b"abc"
RFC8032_PH_SIGNATURE = (
    "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae41"
    "31f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406"
)
# RFC 8032, section 7.1 ("TEST SHA(abc)"): pure Ed25519, same key, message SHA-512("abc").
RFC8032_PURE_SIGNATURE = (
    "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
    "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"
)


def rfc8032_key() -> PrivateKey:
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(RFC8032_PH_SECRET))
    return PrivateKey(key.private_bytes(*PKCS8, serialization.NoEncryption()))


def test_rfc8032_key_has_the_published_public_key() -> None:
    public = serialization.load_der_public_key(rfc8032_key().public.der)
    assert isinstance(public, ed25519.Ed25519PublicKey)
    assert public.public_bytes_raw().hex() == RFC8032_PH_PUBLIC


def test_ed25519ph_matches_rfc8032() -> None:
    key = rfc8032_key()
    signature = key.sign(ED25519_PH, RFC8032_PH_MESSAGE, prehashed=False)
    assert signature.hex() == RFC8032_PH_SIGNATURE
    public = PublicKey(
        ed25519.Ed25519PublicKey.from_public_bytes(bytes.fromhex(RFC8032_PH_PUBLIC)).public_bytes(
            *SPKI
        )
    )
    expected = bytes.fromhex(RFC8032_PH_SIGNATURE)
    assert public.verify(ED25519_PH, RFC8032_PH_MESSAGE, expected, prehashed=False) is True
    assert public.verify(ED25519_PH, b"abd", expected, prehashed=False) is False


def test_pure_ed25519_matches_rfc8032() -> None:
    message = hashlib.sha512(b"abc").digest()
    signature = rfc8032_key().sign(ED25519, message, prehashed=False)
    assert signature.hex() == RFC8032_PURE_SIGNATURE


def test_ed25519ph_and_pure_ed25519_signatures_do_not_cross() -> None:
    """The dom2 prefix separates the two: neither verifies as the other."""
    key = rfc8032_key()
    message = RFC8032_PH_MESSAGE
    ph = key.sign(ED25519_PH, message, prehashed=False)
    pure = key.sign(ED25519, message, prehashed=False)
    assert ph != pure
    assert key.public.verify(ED25519, message, ph, prehashed=False) is False
    assert key.public.verify(ED25519_PH, message, pure, prehashed=False) is False
    with pytest.raises(InvalidSignature):
        reference_verify(key.public.der, ED25519, message, ph)


def test_ed25519ph_always_hashes_what_it_is_given() -> None:
    """Given a digest (AWS's DIGEST message type), Ed25519ph hashes it again: the
    prehashed flag changes nothing, and the signature is that of the digest as a message."""
    key = rfc8032_key()
    digest = hashlib.sha512(RFC8032_PH_MESSAGE).digest()
    assert key.sign(ED25519_PH, digest, prehashed=True) == key.sign(
        ED25519_PH, digest, prehashed=False
    )
    signature = key.sign(ED25519_PH, digest, prehashed=True)
    assert signature.hex() != RFC8032_PH_SIGNATURE
    assert key.public.verify(ED25519_PH, digest, signature, prehashed=True) is True
    assert key.public.verify(ED25519_PH, RFC8032_PH_MESSAGE, signature, prehashed=False) is False


# --- RSA-OAEP -----------------------------------------------------------------------------

AWS_OAEP_LIMITS = [
    ("rsa2048", OAEP_SHA1, 214),
    ("rsa2048", OAEP_SHA256, 190),
    ("rsa3072", OAEP_SHA1, 342),
    ("rsa3072", OAEP_SHA256, 318),
    ("rsa4096", OAEP_SHA1, 470),
    ("rsa4096", OAEP_SHA256, 446),
]
"""AWS KMS's documented longest plaintext for Encrypt with each RSA key spec."""


def limit_id(case: tuple[str, Oaep, int]) -> str:
    return f"{case[0]}-{case[1].hash}"


@pytest.mark.parametrize("case", AWS_OAEP_LIMITS, ids=limit_id)
def test_max_plaintext_is_awss_limit(case: tuple[str, Oaep, int]) -> None:
    kind, oaep, limit = case
    assert oaep.max_plaintext(KINDS[kind].bits) == limit


@pytest.mark.parametrize("case", AWS_OAEP_LIMITS, ids=limit_id)
def test_oaep_round_trip_at_the_limit(case: tuple[str, Oaep, int]) -> None:
    kind, oaep, limit = case
    key = private(kind)
    for plaintext in (b"", b"x", bytes(range(256)) * 2):
        plaintext = plaintext[:limit]
        ciphertext = key.public.encrypt(oaep, plaintext)
        assert len(ciphertext) == KINDS[kind].bits // 8
        assert key.decrypt(oaep, ciphertext) == plaintext
    at_limit = b"\xa5" * limit
    assert key.decrypt(oaep, key.public.encrypt(oaep, at_limit)) == at_limit
    with pytest.raises(ValueError):
        key.public.encrypt(oaep, at_limit + b"\xa5")


@pytest.mark.parametrize("oaep", [OAEP_SHA1, OAEP_SHA256], ids=lambda o: o.hash)
def test_oaep_is_the_standard_padding(oaep: Oaep) -> None:
    """Same hash for the label and MGF1, no label: `cryptography` configured so by hand
    opens our ciphertexts, and we open its."""
    algorithm = hashes.SHA1() if oaep.hash == "sha1" else hashes.SHA256()
    reference = padding.OAEP(padding.MGF1(algorithm), algorithm, None)
    key = private("rsa2048")
    theirs = serialization.load_der_private_key(private_der("rsa2048"), None)
    assert isinstance(theirs, rsa.RSAPrivateKey)
    assert theirs.decrypt(key.public.encrypt(oaep, b"ours"), reference) == b"ours"
    assert key.decrypt(oaep, theirs.public_key().encrypt(b"theirs", reference)) == b"theirs"


def test_oaep_ciphertexts_are_randomized() -> None:
    public = private("rsa2048").public
    assert public.encrypt(OAEP_SHA256, b"same") != public.encrypt(OAEP_SHA256, b"same")


@pytest.mark.parametrize("oaep", [OAEP_SHA1, OAEP_SHA256], ids=lambda o: o.hash)
def test_decrypting_garbage_fails_without_detail(oaep: Oaep) -> None:
    key = private("rsa2048")
    good = key.public.encrypt(oaep, b"secret")
    other_hash = OAEP_SHA1 if oaep is OAEP_SHA256 else OAEP_SHA256
    garbage = [
        b"",
        b"\x00",
        good[:-1],
        good + b"\x00",
        b"\x00" * 256,
        b"\xff" * 256,  # larger than the modulus
        private("rsa3072").public.encrypt(oaep, b"secret"),  # another key's block size
        PrivateKey(generate("rsa2048")).public.encrypt(oaep, b"secret"),  # another key
        key.public.encrypt(other_hash, b"secret"),  # the other padding
    ]
    for index in (0, 1, 128, 255):
        tampered = bytearray(good)
        tampered[index] ^= 0x01
        garbage.append(bytes(tampered))
    for ciphertext in garbage:
        with pytest.raises(AuthenticationFailed) as info:
            key.decrypt(oaep, ciphertext)
        assert str(info.value) == ""


@settings(max_examples=30, deadline=None)
@given(ciphertext=st.binary(min_size=256, max_size=256))
def test_random_blocks_do_not_decrypt(ciphertext: bytes) -> None:
    with pytest.raises(AuthenticationFailed):
        private("rsa2048").decrypt(OAEP_SHA256, ciphertext)


@pytest.mark.parametrize("kind", ["p256", "ed25519", "mldsa44"])
def test_only_rsa_keys_encrypt_and_decrypt(kind: str) -> None:
    key = private(kind)
    with pytest.raises(TypeError):
        key.public.encrypt(OAEP_SHA256, b"x")
    with pytest.raises(TypeError):
        key.decrypt(OAEP_SHA256, b"\x00" * 256)


# --- ECDH ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", EC_KINDS)
def test_exchange_agrees_with_the_peer(kind: str) -> None:
    ours = private(kind)
    peer = ec.generate_private_key(CURVES[kind])
    secret = ours.exchange(PublicKey(peer.public_key().public_bytes(*SPKI)))
    our_public = serialization.load_der_public_key(ours.public.der)
    assert isinstance(our_public, ec.EllipticCurvePublicKey)
    assert secret == peer.exchange(ec.ECDH(), our_public)
    assert len(secret) == (CURVES[kind].key_size + 7) // 8


@pytest.mark.parametrize("kind", EC_KINDS)
def test_exchange_is_symmetric_between_two_of_our_keys(kind: str) -> None:
    other = PrivateKey(generate(kind))
    assert private(kind).exchange(other.public) == other.exchange(private(kind).public)
    assert private(kind).exchange(other.public) != private(kind).exchange(private(kind).public)


@pytest.mark.parametrize(
    "pair",
    [(ours, theirs) for ours in EC_KINDS for theirs in EC_KINDS if ours != theirs],
    ids=lambda pair: f"{pair[0]}-with-{pair[1]}",
)
def test_exchange_with_a_key_on_another_curve_is_invalid(pair: tuple[str, str]) -> None:
    ours, theirs = pair
    with pytest.raises(InvalidKey):
        private(ours).exchange(private(theirs).public)


@pytest.mark.parametrize("peer", ["rsa2048", "ed25519", "mldsa44"])
def test_exchange_with_a_key_that_is_not_ec_is_invalid(peer: str) -> None:
    with pytest.raises(InvalidKey):
        private("p256").exchange(private(peer).public)


@pytest.mark.parametrize("kind", ["rsa2048", "ed25519", "mldsa44"])
def test_only_ec_keys_exchange(kind: str) -> None:
    with pytest.raises(TypeError):
        private(kind).exchange(private("p256").public)
