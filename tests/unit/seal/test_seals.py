"""Seals: share strings (golden vectors), SealConfig, ShamirSeal + Unsealer, DevKeySeal."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from strongroom.errors import StrongroomError
from strongroom.seal import (
    ROOT_KEY_BYTES,
    AutoUnsealSeal,
    DevKeySeal,
    InvalidShareError,
    Progress,
    Seal,
    SealConfig,
    SealError,
    ShamirSeal,
    Unsealer,
    decode_share,
    encode_share,
)

VECTORS = json.loads(
    (Path(__file__).parents[2] / "vectors" / "shamir" / "shares-v1.json").read_text()
)


class SeededRng:
    """Deterministic rng: SHAKE-256(seed) read front to back."""

    def __init__(self, seed: str) -> None:
        self._stream = hashlib.shake_256(seed.encode()).digest(1 << 14)
        self._pos = 0

    def __call__(self, n: int) -> bytes:
        out = self._stream[self._pos : self._pos + n]
        self._pos += n
        return out


# --- share strings -----------------------------------------------------------------


@pytest.mark.parametrize("case", VECTORS["encoding"], ids=lambda c: c["string"][:12])
def test_share_encoding_golden_vectors(case: dict[str, str]) -> None:
    raw = bytes.fromhex(case["share_hex"])
    assert encode_share(raw) == case["string"]
    assert decode_share(case["string"]) == raw


@pytest.mark.parametrize("case", VECTORS["invalid"], ids=lambda c: c["why"])
def test_invalid_share_strings_are_refused(case: dict[str, str]) -> None:
    with pytest.raises(InvalidShareError) as caught:
        decode_share(case["string"])
    assert caught.value.code == "InvalidShare"
    assert isinstance(caught.value, StrongroomError)


def test_decode_ignores_surrounding_whitespace() -> None:
    case = VECTORS["encoding"][0]
    assert decode_share(f"  {case['string']}\n") == bytes.fromhex(case["share_hex"])


@pytest.mark.parametrize("garbage", ["é" * 8, "A" * 5000, "AQ AQ=="])
def test_decode_refuses_non_ascii_huge_and_inner_space(garbage: str) -> None:
    with pytest.raises(InvalidShareError):
        decode_share(garbage)


def test_decode_refuses_non_strings() -> None:
    with pytest.raises(InvalidShareError):
        decode_share(b"AQAH")  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", [b"", b"\x07", b"ab\x00"])
def test_encode_refuses_what_is_not_a_share(raw: bytes) -> None:
    with pytest.raises(ValueError):
        encode_share(raw)


# --- SealConfig --------------------------------------------------------------------


def test_seal_config_round_trips_in_canonical_json() -> None:
    config = SealConfig(shares=5, threshold=3)
    assert config.to_json() == b'{"shares":5,"threshold":3,"version":1}'
    assert SealConfig.from_json(config.to_json()) == config


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xfe",
        b"[]",
        b'{"shares":5,"threshold":3}',
        b'{"shares":5,"threshold":3,"version":2}',
        b'{"shares":5,"threshold":3,"version":true}',
        b'{"shares":5,"threshold":true,"version":1}',
        b'{"shares":"5","threshold":3,"version":1}',
        b'{"shares":3,"threshold":4,"version":1}',
        b'{"shares":300,"threshold":3,"version":1}',
        b'{"shares":5,"threshold":3,"version":1,"extra":0}',
    ],
)
def test_seal_config_refuses_malformed_json(data: bytes) -> None:
    with pytest.raises(SealError):
        SealConfig.from_json(data)


@pytest.mark.parametrize(("shares", "threshold"), [(3, 0), (3, 4), (256, 2)])
def test_seal_config_refuses_bad_counts(shares: int, threshold: int) -> None:
    with pytest.raises(ValueError):
        SealConfig(shares=shares, threshold=threshold)


# --- ShamirSeal and Unsealer -------------------------------------------------------


def test_seals_satisfy_their_protocols(tmp_path: Path) -> None:
    shamir_seal = ShamirSeal()
    dev = DevKeySeal(tmp_path / "key")
    assert isinstance(shamir_seal, Seal) and not shamir_seal.auto_unseal
    assert not isinstance(shamir_seal, AutoUnsealSeal)
    assert isinstance(dev, AutoUnsealSeal) and dev.auto_unseal
    assert {shamir_seal.kind, dev.kind} == {"shamir", "devkey"}


def test_initialize_makes_a_root_key_and_printable_shares() -> None:
    root_key, strings = ShamirSeal().initialize(shares=5, threshold=3)
    assert len(root_key) == ROOT_KEY_BYTES
    assert len(strings) == 5 and len(set(strings)) == 5
    for text in strings:
        assert text.isascii() and text.isprintable() and len(text) == 48
        assert len(decode_share(text)) == ROOT_KEY_BYTES + 1
    again, _ = ShamirSeal().initialize(shares=5, threshold=3)
    assert again != root_key


def test_initialize_draws_the_root_key_from_the_injected_rng() -> None:
    root_key, strings = ShamirSeal(SeededRng("init")).initialize(shares=3, threshold=2)
    assert root_key == SeededRng("init")(ROOT_KEY_BYTES)
    assert ShamirSeal(SeededRng("init")).initialize(3, 2) == (root_key, strings)


@pytest.mark.parametrize(("shares", "threshold"), [(3, 0), (2, 3), (256, 1)])
def test_initialize_refuses_bad_counts(shares: int, threshold: int) -> None:
    with pytest.raises(ValueError):
        ShamirSeal().initialize(shares, threshold)


@pytest.fixture
def initialized() -> Iterator[tuple[bytes, list[str], Unsealer]]:
    seal = ShamirSeal(SeededRng("unseal"))
    root_key, strings = seal.initialize(shares=5, threshold=3)
    yield root_key, strings, seal.unsealer(SealConfig(shares=5, threshold=3))


def test_unsealer_counts_progress_and_yields_the_root_key(
    initialized: tuple[bytes, list[str], Unsealer],
) -> None:
    root_key, strings, unsealer = initialized
    assert unsealer.progress == Progress(submitted=0, threshold=3, done=False)
    assert unsealer.submit(strings[4]) == Progress(1, 3, False)
    assert unsealer.candidate() is None
    assert unsealer.submit(strings[0]) == Progress(2, 3, False)
    assert unsealer.candidate() is None
    assert unsealer.submit(strings[2]) == Progress(3, 3, True)
    assert unsealer.candidate() == root_key


def test_unsealer_after_threshold_wants_a_reset(
    initialized: tuple[bytes, list[str], Unsealer],
) -> None:
    _, strings, unsealer = initialized
    for text in strings[:3]:
        unsealer.submit(text)
    with pytest.raises(ValueError, match="reset"):
        unsealer.submit(strings[3])


def test_unsealer_reset_forgets_everything(
    initialized: tuple[bytes, list[str], Unsealer],
) -> None:
    root_key, strings, unsealer = initialized
    for text in strings[:3]:
        unsealer.submit(text)
    unsealer.reset()
    assert unsealer.progress == Progress(0, 3, False)
    assert unsealer.candidate() is None
    for text in strings[2:]:
        unsealer.submit(text)
    assert unsealer.candidate() == root_key


def test_unsealer_refuses_a_share_submitted_twice(
    initialized: tuple[bytes, list[str], Unsealer],
) -> None:
    _, strings, unsealer = initialized
    unsealer.submit(strings[1])
    with pytest.raises(InvalidShareError, match="already submitted") as caught:
        unsealer.submit(" " + strings[1] + "\n")
    assert strings[1] not in str(caught.value)
    assert unsealer.progress.submitted == 1


def test_unsealer_refuses_a_conflicting_share_with_the_same_index(
    initialized: tuple[bytes, list[str], Unsealer],
) -> None:
    _, strings, unsealer = initialized
    unsealer.submit(strings[0])
    raw = decode_share(strings[0])
    tampered = encode_share(bytes([raw[0] ^ 1]) + raw[1:])
    with pytest.raises(InvalidShareError, match="conflicts"):
        unsealer.submit(tampered)
    assert unsealer.progress.submitted == 1


@pytest.mark.parametrize(
    "garbage",
    ["", "hello", "AQAH", encode_share(b"\x01" * 16 + b"\x05"), "Ag" + "A" * 46],
    ids=["empty", "words", "short-share", "wrong-length", "wrong-version"],
)
def test_unsealer_refuses_garbage_without_losing_progress(
    initialized: tuple[bytes, list[str], Unsealer], garbage: str
) -> None:
    root_key, strings, unsealer = initialized
    unsealer.submit(strings[0])
    with pytest.raises(InvalidShareError):
        unsealer.submit(garbage)
    assert unsealer.progress.submitted == 1
    unsealer.submit(strings[1])
    unsealer.submit(strings[3])
    assert unsealer.candidate() == root_key


def test_shares_of_another_init_give_a_wrong_candidate(
    initialized: tuple[bytes, list[str], Unsealer],
) -> None:
    root_key, strings, unsealer = initialized
    _, foreign = ShamirSeal(SeededRng("another")).initialize(shares=5, threshold=3)
    foreign_x = decode_share(foreign[0])[-1]
    own = [s for s in strings if decode_share(s)[-1] != foreign_x][:2]
    for text in [*own, foreign[0]]:
        unsealer.submit(text)
    candidate = unsealer.candidate()
    assert candidate is not None and candidate != root_key


def test_threshold_one_unseals_with_any_single_share() -> None:
    root_key, strings = ShamirSeal().initialize(shares=3, threshold=1)
    for text in strings:
        unsealer = Unsealer(SealConfig(shares=3, threshold=1))
        assert unsealer.submit(text).done
        assert unsealer.candidate() == root_key


# --- DevKeySeal --------------------------------------------------------------------


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def _no_rng(n: int) -> bytes:
    raise AssertionError("an existing key file must not draw a new key")


def test_devkey_creates_a_0600_file_in_a_0700_directory(tmp_path: Path, open_umask: None) -> None:
    path = tmp_path / "data" / "dev-root.key"
    key = DevKeySeal(path, SeededRng("dev")).load_or_create()
    assert key == SeededRng("dev")(ROOT_KEY_BYTES)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert os.listdir(path.parent) == ["dev-root.key"]  # no temporary file left behind
    text = path.read_text()
    assert "INSECURE" in text
    assert base64.b64encode(key).decode() in text


def test_devkey_persists_across_instances(tmp_path: Path) -> None:
    path = tmp_path / "dev-root.key"
    key = DevKeySeal(path).load_or_create()
    assert DevKeySeal(path, _no_rng).load_or_create() == key
    assert DevKeySeal(str(path), _no_rng).load_or_create() == key


def test_devkey_says_loudly_that_it_is_insecure(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="strongroom.seal.devkey"):
        DevKeySeal(tmp_path / "k").load_or_create()
    assert any("DEV MODE" in record.getMessage() for record in caplog.records)


def test_devkey_refuses_a_file_others_can_read(tmp_path: Path) -> None:
    path = tmp_path / "k"
    DevKeySeal(path).load_or_create()
    path.chmod(0o644)
    with pytest.raises(SealError, match="chmod 600"):
        DevKeySeal(path, _no_rng).load_or_create()


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"# only a comment\n",
        b"strongroom-devkey-v1:AAAA\n",
        b"strongroom-devkey-v2:" + base64.b64encode(bytes(32)) + b"\n",
        b"strongroom-devkey-v1:" + base64.b64encode(bytes(32)) + b"\nsecond line\n",
        b"\xff" * 10,
        b"#" * 5000,
    ],
)
def test_devkey_refuses_a_malformed_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "k"
    path.write_bytes(content)
    path.chmod(0o600)
    with pytest.raises(SealError, match="malformed") as caught:
        DevKeySeal(path, _no_rng).load_or_create()
    assert "AAAA" not in str(caught.value)


def test_devkey_refuses_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real"
    DevKeySeal(real).load_or_create()
    link = tmp_path / "link"
    link.symlink_to(real)
    with pytest.raises(OSError):
        DevKeySeal(link, _no_rng).load_or_create()


def test_devkey_keeps_the_key_of_a_server_that_started_first(tmp_path: Path) -> None:
    path = tmp_path / "k"
    winner: list[bytes] = []

    def racing_rng(n: int) -> bytes:
        # Another server creates the file between our failed read and our write.
        winner.append(DevKeySeal(path).load_or_create())
        return b"\x42" * n

    key = DevKeySeal(path, racing_rng).load_or_create()
    assert key == winner[0] != b"\x42" * ROOT_KEY_BYTES
    assert os.listdir(tmp_path) == ["k"]
