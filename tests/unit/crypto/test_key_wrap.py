"""Unwrapping imported key material: what an importer wraps with `cryptography` under
each of AWS's four algorithms comes back exactly, and every corruption is one
detail-free `AuthenticationFailed`.
"""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives import hashes, keywrap, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from hypothesis import example, given, settings
from hypothesis import strategies as st

from strongroom.crypto import AuthenticationFailed
from strongroom.crypto.key_wrap import WRAPPING_ALGORITHMS, WrappingKey

ALGORITHMS = (
    "RSAES_OAEP_SHA_1",
    "RSAES_OAEP_SHA_256",
    "RSA_AES_KEY_WRAP_SHA_1",
    "RSA_AES_KEY_WRAP_SHA_256",
)
KEY_WRAP_ALGORITHMS = ("RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256")

PRIVATE_DER = WrappingKey.generate(2048)
"""One 2048-bit wrapping key for the module: RSA generation is slow."""
WRAPPING_KEY = WrappingKey(PRIVATE_DER)
OTHER_KEY = WrappingKey(WrappingKey.generate(2048))


def oaep(algorithm: str) -> padding.OAEP:
    """The importer's padding, written out by hand from AWS's algorithm name."""
    digest = hashes.SHA1() if algorithm.endswith("SHA_1") else hashes.SHA256()
    return padding.OAEP(padding.MGF1(digest), digest, None)


def wrap(public_der: bytes, algorithm: str, material: bytes, aes_key: bytes | None = None) -> bytes:
    """What an importer sends (AWS's documented procedure), with `cryptography` alone."""
    public = serialization.load_der_public_key(public_der)
    assert isinstance(public, rsa.RSAPublicKey)
    if algorithm.startswith("RSAES_OAEP"):
        return public.encrypt(material, oaep(algorithm))
    aes_key = os.urandom(32) if aes_key is None else aes_key
    return public.encrypt(aes_key, oaep(algorithm)) + keywrap.aes_key_wrap_with_padding(
        aes_key, material
    )


def assert_fails(algorithm: str, wrapped: bytes, key: WrappingKey = WRAPPING_KEY) -> None:
    with pytest.raises(AuthenticationFailed) as info:
        key.unwrap(algorithm, wrapped)
    assert str(info.value) == ""


def test_the_four_aws_algorithms_and_no_others() -> None:
    assert sorted(WRAPPING_ALGORITHMS) == sorted(ALGORITHMS)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("size", [1, 16, 32, 64])
def test_unwrap_gives_the_material(algorithm: str, size: int) -> None:
    material = os.urandom(size)
    wrapped = wrap(WRAPPING_KEY.public_der(), algorithm, material)
    assert WRAPPING_KEY.unwrap(algorithm, wrapped) == material


@pytest.mark.parametrize("algorithm", KEY_WRAP_ALGORITHMS)
def test_key_wrap_carries_a_private_key(algorithm: str) -> None:
    """The reason for the key-wrap algorithms: material longer than one RSA block."""
    material = rsa.generate_private_key(65537, 2048).private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    assert len(material) > 256
    wrapped = wrap(WRAPPING_KEY.public_der(), algorithm, material)
    assert WRAPPING_KEY.unwrap(algorithm, wrapped) == material


@pytest.mark.parametrize("bits", [2048, 3072, 4096])
@pytest.mark.parametrize("algorithm", ["RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_256"])
def test_every_wrapping_key_size(bits: int, algorithm: str) -> None:
    der = WrappingKey.generate(bits)
    loaded = serialization.load_der_private_key(der, None)
    assert isinstance(loaded, rsa.RSAPrivateKey) and loaded.key_size == bits
    key = WrappingKey(der)
    public = serialization.load_der_public_key(key.public_der())
    assert isinstance(public, rsa.RSAPublicKey) and public.key_size == bits
    material = os.urandom(32)
    assert key.unwrap(algorithm, wrap(key.public_der(), algorithm, material)) == material


@pytest.mark.parametrize(
    "case",
    [("RSAES_OAEP_SHA_1", 214), ("RSAES_OAEP_SHA_256", 190)],
    ids=lambda case: case[0],
)
def test_plain_oaep_carries_up_to_one_block(case: tuple[str, int]) -> None:
    algorithm, limit = case
    material = os.urandom(limit)
    wrapped = wrap(WRAPPING_KEY.public_der(), algorithm, material)
    assert WRAPPING_KEY.unwrap(algorithm, wrapped) == material
    with pytest.raises(ValueError):  # the importer cannot even make it
        wrap(WRAPPING_KEY.public_der(), algorithm, material + b"x")


def test_wrapping_keys_are_new_each_time() -> None:
    assert WrappingKey.generate(2048) != WrappingKey.generate(2048)


def test_a_wrapping_key_is_rsa() -> None:
    ec_der = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(TypeError):
        WrappingKey(ec_der)


# --- corruption ---------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_every_flipped_byte_fails(algorithm: str) -> None:
    """A flipped bit anywhere: in the RSA block or in the AES key wrap that follows."""
    wrapped = wrap(WRAPPING_KEY.public_der(), algorithm, os.urandom(40))
    for index in range(len(wrapped)):
        tampered = bytearray(wrapped)
        tampered[index] ^= 0x80
        assert_fails(algorithm, bytes(tampered))


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_truncated_or_extended_fails(algorithm: str) -> None:
    wrapped = wrap(WRAPPING_KEY.public_der(), algorithm, os.urandom(40))
    cuts = {0, 1, 255, 256, 257, 263, 264, len(wrapped) - 8, len(wrapped) - 1}
    for cut in sorted(cut for cut in cuts if cut < len(wrapped)):
        assert_fails(algorithm, wrapped[:cut])
    assert_fails(algorithm, wrapped + b"\x00")
    assert_fails(algorithm, wrapped + b"\x00" * 8)


@pytest.mark.parametrize(
    "pair",
    [(made, told) for made in ALGORITHMS for told in ALGORITHMS if made != told],
    ids=lambda pair: f"{pair[0]}-as-{pair[1]}",
)
def test_another_algorithm_name_fails(pair: tuple[str, str]) -> None:
    made, told = pair
    wrapped = wrap(WRAPPING_KEY.public_der(), made, os.urandom(32))
    assert_fails(told, wrapped)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_another_wrapping_key_fails(algorithm: str) -> None:
    wrapped = wrap(OTHER_KEY.public_der(), algorithm, os.urandom(32))
    assert len(OTHER_KEY.unwrap(algorithm, wrapped)) == 32
    assert_fails(algorithm, wrapped)


@pytest.mark.parametrize("algorithm", KEY_WRAP_ALGORITHMS)
def test_key_wrap_under_another_aes_key_fails(algorithm: str) -> None:
    """The RSA block carries one AES key, the key wrap was made with another."""
    public = serialization.load_der_public_key(WRAPPING_KEY.public_der())
    assert isinstance(public, rsa.RSAPublicKey)
    block = public.encrypt(os.urandom(32), oaep(algorithm))
    assert_fails(algorithm, block + keywrap.aes_key_wrap_with_padding(os.urandom(32), b"m" * 32))


@pytest.mark.parametrize("algorithm", KEY_WRAP_ALGORITHMS)
@pytest.mark.parametrize("aes_key_size", [0, 1, 20, 31, 33, 64])
def test_an_rsa_block_that_is_no_aes_key_fails(algorithm: str, aes_key_size: int) -> None:
    """OAEP opens, but what it holds is not an AES key: still the one failure."""
    public = serialization.load_der_public_key(WRAPPING_KEY.public_der())
    assert isinstance(public, rsa.RSAPublicKey)
    block = public.encrypt(os.urandom(aes_key_size), oaep(algorithm))
    assert_fails(algorithm, block + keywrap.aes_key_wrap_with_padding(os.urandom(32), b"m" * 32))


@pytest.mark.parametrize("algorithm", KEY_WRAP_ALGORITHMS)
def test_unpadded_key_wrap_fails(algorithm: str) -> None:
    """RFC 3394 key wrap (no padding) is not RFC 5649: its integrity check differs."""
    aes_key = os.urandom(32)
    public = serialization.load_der_public_key(WRAPPING_KEY.public_der())
    assert isinstance(public, rsa.RSAPublicKey)
    wrapped = public.encrypt(aes_key, oaep(algorithm)) + keywrap.aes_key_wrap(aes_key, b"m" * 32)
    assert_fails(algorithm, wrapped)


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=600))
def test_any_bytes_fail(data: bytes) -> None:
    for algorithm in ALGORITHMS:
        assert_fails(algorithm, data)


# --- property -----------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(material=st.binary(min_size=1, max_size=3000))
@example(material=b"\x00")
@example(material=b"\x01" * 8)  # one semiblock: RFC 5649's single-block case
@example(material=b"\x02" * 9)
@example(material=b"\x03" * 3000)
def test_any_material_round_trips_through_aes_key_wrap(material: bytes) -> None:
    wrapped = wrap(WRAPPING_KEY.public_der(), "RSA_AES_KEY_WRAP_SHA_256", material)
    assert WRAPPING_KEY.unwrap("RSA_AES_KEY_WRAP_SHA_256", wrapped) == material
