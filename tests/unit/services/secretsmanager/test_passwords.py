"""GetRandomPassword: lengths, required classes, exclusions, errors and uniform draws."""

from __future__ import annotations

import random as stdlib_random
import secrets
import string
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.crypto import RandomBytes
from strongroom.errors import InvalidParameterException
from strongroom.services.secretsmanager.passwords import _below, random_password

CLASSES = {
    "upper": string.ascii_uppercase,
    "lower": string.ascii_lowercase,
    "digits": string.digits,
    "punctuation": string.punctuation,
}
FLAGS = {
    "upper": "ExcludeUppercase",
    "lower": "ExcludeLowercase",
    "digits": "ExcludeNumbers",
    "punctuation": "ExcludePunctuation",
}


def seeded(seed: int) -> RandomBytes:
    """A deterministic RandomBytes for reproducible tests."""
    return stdlib_random.Random(seed).randbytes


def test_defaults_give_32_chars_with_every_class() -> None:
    for seed in range(200):
        password = random_password(seeded(seed))
        assert len(password) == 32
        for chars in CLASSES.values():
            assert set(password) & set(chars)
        assert " " not in password


def test_system_random_works() -> None:
    password = random_password(secrets.token_bytes, PasswordLength=64)
    assert len(password) == 64
    assert set(password) <= set(string.ascii_letters + string.digits + string.punctuation)


@pytest.mark.parametrize("length", [1, 2, 4, 5, 31, 100, 4096])
def test_length_is_exact(length: int) -> None:
    required = length >= 4
    password = random_password(
        secrets.token_bytes, PasswordLength=length, RequireEachIncludedType=required
    )
    assert len(password) == length


def test_required_classes_present_at_minimum_length() -> None:
    for seed in range(500):
        password = random_password(seeded(seed), PasswordLength=4)
        assert sorted(_class_of(c) for c in password) == sorted(CLASSES)


def test_required_class_with_one_char_left_is_present() -> None:
    keep_only_bang = "".join(c for c in string.punctuation if c != "!")
    for seed in range(200):
        password = random_password(seeded(seed), PasswordLength=4, ExcludeCharacters=keep_only_bang)
        assert "!" in password


def test_fully_excluded_class_is_not_required() -> None:
    password = random_password(
        seeded(1), PasswordLength=3, ExcludeCharacters=string.digits, RequireEachIncludedType=True
    )
    assert len(password) == 3
    assert not set(password) & set(string.digits)


def test_excluded_characters_never_appear() -> None:
    excluded = "aeiouAEIOU0123456789!@#$%"
    for seed in range(50):
        password = random_password(seeded(seed), PasswordLength=200, ExcludeCharacters=excluded)
        assert not set(password) & set(excluded)


def test_exclude_flags_remove_classes() -> None:
    password = random_password(
        secrets.token_bytes,
        PasswordLength=500,
        ExcludeNumbers=True,
        ExcludePunctuation=True,
        ExcludeUppercase=True,
    )
    assert set(password) <= set(string.ascii_lowercase)


def test_include_space_brings_space_into_pool() -> None:
    password = random_password(
        seeded(7),
        PasswordLength=2000,
        ExcludeUppercase=True,
        ExcludeLowercase=True,
        ExcludePunctuation=True,
        IncludeSpace=True,
    )
    assert " " in password
    assert set(password) <= set(string.digits + " ")


def test_space_alone_is_a_valid_pool() -> None:
    password = random_password(
        seeded(3),
        PasswordLength=5,
        ExcludeUppercase=True,
        ExcludeLowercase=True,
        ExcludeNumbers=True,
        ExcludePunctuation=True,
        IncludeSpace=True,
    )
    assert password == "     "


def test_exclude_characters_can_remove_the_space() -> None:
    password = random_password(
        seeded(9), PasswordLength=1000, IncludeSpace=True, ExcludeCharacters=" "
    )
    assert " " not in password


def test_empty_pool_is_refused() -> None:
    with pytest.raises(InvalidParameterException, match="password pool is empty"):
        random_password(
            seeded(0),
            ExcludeUppercase=True,
            ExcludeLowercase=True,
            ExcludeNumbers=True,
            ExcludePunctuation=True,
        )


def test_pool_emptied_by_exclude_characters_is_refused() -> None:
    everything = string.ascii_letters + string.digits + string.punctuation + " "
    with pytest.raises(InvalidParameterException, match="password pool is empty"):
        random_password(seeded(0), ExcludeCharacters=everything, IncludeSpace=True)


def test_length_shorter_than_required_types_is_refused() -> None:
    with pytest.raises(
        InvalidParameterException,
        match=r"^Password length is too short based on the required types\.$",
    ):
        random_password(seeded(0), PasswordLength=3)


def test_short_length_allowed_without_requirement() -> None:
    password = random_password(seeded(0), PasswordLength=1, RequireEachIncludedType=False)
    assert len(password) == 1


def test_every_digit_appears_from_a_digit_pool() -> None:
    password = random_password(
        secrets.token_bytes,
        PasswordLength=4096,
        ExcludeUppercase=True,
        ExcludeLowercase=True,
        ExcludePunctuation=True,
    )
    drawn = password + "".join(
        random_password(
            seeded(seed),
            PasswordLength=4096,
            ExcludeUppercase=True,
            ExcludeLowercase=True,
            ExcludePunctuation=True,
        )
        for seed in range(4)
    )
    assert len(drawn) > 20000
    counts = Counter(drawn)
    assert set(counts) == set(string.digits)
    # Loose sanity bound, not a statistical test: each digit is about a tenth.
    assert all(1500 < n < 2600 for n in counts.values())


def test_required_characters_land_at_every_position() -> None:
    seen: dict[str, set[int]] = {name: set() for name in CLASSES}
    for seed in range(300):
        for i, c in enumerate(random_password(seeded(seed), PasswordLength=4)):
            seen[_class_of(c)].add(i)
    assert all(positions == {0, 1, 2, 3} for positions in seen.values())


@pytest.mark.parametrize("n", [1, 2, 3, 10, 94, 95, 256, 257, 4096])
def test_below_stays_in_range(n: int) -> None:
    rng = seeded(n)
    draws = [_below(rng, n) for _ in range(200)]
    assert all(0 <= d < n for d in draws)


def test_below_covers_a_non_power_of_two_range() -> None:
    rng = seeded(42)
    assert {_below(rng, 3) for _ in range(300)} == {0, 1, 2}


def test_below_rejects_out_of_range_values() -> None:
    script = iter([b"\x07", b"\x06", b"\x02"])
    assert _below(lambda _n: next(script), 5) == 2


def test_below_refuses_empty_range() -> None:
    with pytest.raises(ValueError):
        _below(seeded(0), 0)


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    length=st.integers(min_value=1, max_value=300),
    excluded=st.text(alphabet=string.printable[:95], max_size=40),
    exclude=st.fixed_dictionaries({name: st.booleans() for name in CLASSES}),
    include_space=st.booleans(),
    require=st.booleans(),
)
def test_property_over_option_combinations(
    seed: int,
    length: int,
    excluded: str,
    exclude: dict[str, bool],
    include_space: bool,
    require: bool,
) -> None:
    included = {name: chars for name, chars in CLASSES.items() if not exclude[name]}
    remaining = {
        name: set(chars) - set(excluded)
        for name, chars in included.items()
        if set(chars) - set(excluded)
    }
    pool = set().union(*remaining.values())
    if include_space and " " not in excluded:
        pool.add(" ")

    def call() -> str:
        return random_password(
            seeded(seed),
            PasswordLength=length,
            ExcludeCharacters=excluded,
            IncludeSpace=include_space,
            RequireEachIncludedType=require,
            **{FLAGS[name]: flag for name, flag in exclude.items()},
        )

    if not pool:
        with pytest.raises(InvalidParameterException, match="pool is empty"):
            call()
        return
    if require and length < len(remaining):
        with pytest.raises(InvalidParameterException, match="too short"):
            call()
        return
    password = call()
    assert len(password) == length
    assert set(password) <= pool
    if require:
        for chars in remaining.values():
            assert set(password) & chars


def _class_of(char: str) -> str:
    return next(name for name, chars in CLASSES.items() if char in chars)
