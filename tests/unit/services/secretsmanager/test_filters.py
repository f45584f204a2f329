"""ListSecrets filters: each key, OR and AND, negation, case rules, word splitting."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.errors import InvalidParameterException
from strongroom.services.secretsmanager.filters import Searchable, compile_filters, words

KEYS = ["name", "description", "tag-key", "tag-value", "primary-region", "owning-service", "all"]


def secret(
    name: str = "plain",
    description: str = "",
    tags: Mapping[str, str] | None = None,
    primary_region: str | None = None,
    owning_service: str | None = None,
) -> Searchable:
    return Searchable(name, description, tags or {}, primary_region, owning_service)


def matches(filters: list[dict[str, Any]], target: Searchable) -> bool:
    return bool(compile_filters(filters)(target))


def one(key: str, *values: str) -> list[dict[str, Any]]:
    return [{"Key": key, "Values": list(values)}]


# --- words ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("credsDatabase#892", ["creds", "Database", "892"]),
        ("My_Secret", ["My", "Secret"]),
        ("prod/db-01", ["prod", "db", "01"]),
        ("v2beta", ["v", "2", "beta"]),
        ("ab12CD", ["ab", "12", "CD"]),
        ("HTTPServer", ["HTTP", "Server"]),
        ("SecretFTag2c7615", ["Secret", "F", "Tag", "2", "c", "7615"]),
        ("one  two\tthree", ["one", "two", "three"]),
        ("ÄpfelBirnen", ["Äpfel", "Birnen"]),
        ("", []),
        ("-/_ =#", []),
    ],
)
def test_words_split_on_punctuation_case_and_digits(text: str, expected: list[str]) -> None:
    assert words(text) == expected


@given(st.text())
def test_words_keep_every_letter_and_digit_in_order(text: str) -> None:
    found = words(text)
    assert all(word and word.isalnum() for word in found)
    assert "".join(found) == "".join(ch for ch in text if ch.isalnum() and ch != "_")


# --- combining -------------------------------------------------------------------------


def test_no_filters_match_everything() -> None:
    assert matches([], secret())
    assert matches([], secret(name="x", description="y", tags={"k": "v"}))


def test_values_of_one_filter_are_or() -> None:
    assert matches(one("name", "foo", "bar"), secret(name="bar1"))
    assert matches(one("name", "foo", "bar"), secret(name="foo1"))
    assert not matches(one("name", "foo", "bar"), secret(name="baz"))


def test_filters_are_and() -> None:
    filters = one("tag-key", "right") + one("tag-value", "right")
    assert matches(filters, secret(tags={"right": "right"}))
    assert not matches(filters, secret(tags={"right": "wrong"}))
    assert not matches(filters, secret(tags={"wrong": "right"}))


def test_a_repeated_key_is_and() -> None:
    filters = one("description", "one") + one("description", "two")
    assert matches(filters, secret(description="one two"))
    assert not matches(filters, secret(description="one"))
    assert not matches(filters, secret(description="two"))


def test_negated_and_plain_values_mix_as_or() -> None:
    filters = one("description", "one", "!two")
    assert matches(filters, secret(description="one two"))
    assert matches(filters, secret(description="one"))
    assert matches(filters, secret(description="unrelated"))
    assert not matches(filters, secret(description="two"))


# --- name ------------------------------------------------------------------------------


def test_name_is_a_case_sensitive_prefix() -> None:
    assert matches(one("name", "Data"), secret(name="DatabaseSecret"))
    assert not matches(one("name", "Data"), secret(name="databaseSecret"))
    assert not matches(one("name", "Data"), secret(name="MyData"))
    assert matches(one("name", "prod/"), secret(name="prod/db"))


def test_name_negation() -> None:
    assert not matches(one("name", "!Data"), secret(name="DatabaseSecret"))
    assert matches(one("name", "!Data"), secret(name="MyData"))


def test_empty_name_prefix_matches_every_name() -> None:
    assert matches(one("name", ""), secret(name="anything"))
    assert not matches(one("name", "!"), secret(name="anything"))


# --- description -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "description",
    ["My Description", "my description", "My basic description", "Description of my secret"],
)
def test_description_matches_words_in_any_order_and_case(description: str) -> None:
    assert matches(one("description", "My Description"), secret(description=description))


def test_description_needs_every_word() -> None:
    assert not matches(one("description", "My Description"), secret(description="my secret"))


def test_description_matches_word_prefixes_not_the_middle() -> None:
    assert matches(one("description", "desc"), secret(description="The DESCRIPTION"))
    assert matches(one("description", "data"), secret(description="creds myDatabase"))
    assert not matches(one("description", "base"), secret(description="creds myDatabase"))
    assert not matches(one("description", "script"), secret(description="description"))


def test_description_negation() -> None:
    assert not matches(one("description", "!desc"), secret(description="a description"))
    assert matches(one("description", "!o"), secret(description="two"))
    assert not matches(one("description", "!o"), secret(description="one"))


def test_description_without_words_matches_nothing() -> None:
    assert not matches(one("description", ""), secret(description="text"))
    assert not matches(one("description", "-/"), secret(description="text"))
    assert matches(one("description", "!"), secret(description="text"))


# --- tags ------------------------------------------------------------------------------


def test_tag_key_is_a_case_sensitive_prefix() -> None:
    tagged = secret(tags={"Production": "x", "team": "y"})
    assert matches(one("tag-key", "Prod"), tagged)
    assert matches(one("tag-key", "te"), tagged)
    assert not matches(one("tag-key", "prod"), tagged)
    assert not matches(one("tag-key", "x"), tagged)


def test_tag_key_negation_means_no_key_has_the_prefix() -> None:
    tagged = secret(tags={"Production": "x", "team": "y"})
    assert not matches(one("tag-key", "!team"), tagged)
    assert matches(one("tag-key", "!owner"), tagged)


def test_tag_value_is_a_case_sensitive_prefix() -> None:
    tagged = secret(tags={"env": "Production", "team": "payments"})
    assert matches(one("tag-value", "Prod"), tagged)
    assert matches(one("tag-value", "pay"), tagged)
    assert not matches(one("tag-value", "prod"), tagged)
    assert not matches(one("tag-value", "env"), tagged)


def test_tag_value_negation_means_no_value_has_the_prefix() -> None:
    tagged = secret(tags={"env": "Production", "team": "payments"})
    assert not matches(one("tag-value", "!pay"), tagged)
    assert matches(one("tag-value", "!staging"), tagged)


def test_empty_tag_value_matches_a_tag_with_any_value() -> None:
    assert matches(one("tag-value", ""), secret(tags={"k": ""}))
    assert not matches(one("tag-value", ""), secret())


# --- primary-region and owning-service --------------------------------------------------


def test_primary_region_is_a_case_sensitive_prefix() -> None:
    replicated = secret(primary_region="us-east-1")
    assert matches(one("primary-region", "us-"), replicated)
    assert matches(one("primary-region", "us-east-1"), replicated)
    assert not matches(one("primary-region", "US-"), replicated)
    assert not matches(one("primary-region", "eu-"), replicated)


def test_primary_region_negation() -> None:
    replicated = secret(primary_region="us-east-1")
    assert not matches(one("primary-region", "!us"), replicated)
    assert matches(one("primary-region", "!eu"), replicated)


def test_owning_service_is_a_case_insensitive_prefix() -> None:
    owned = secret(owning_service="my-service")
    assert matches(one("owning-service", "my-ser"), owned)
    assert matches(one("owning-service", "MY-SER"), owned)
    assert not matches(one("owning-service", "service"), owned)


def test_owning_service_negation() -> None:
    owned = secret(owning_service="rds")
    assert not matches(one("owning-service", "!RD"), owned)
    assert matches(one("owning-service", "!appflow"), owned)


# --- all -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        secret(name="foo"),
        secret(name="bar", description="about foo"),
        secret(name="baz", tags={"foo": "1"}),
        secret(name="qux", tags={"1": "foo"}),
    ],
)
def test_all_searches_name_description_tag_keys_and_values(target: Searchable) -> None:
    assert matches(one("all", "foo"), target)
    assert matches(one("all", "FOO"), target)


def test_all_ignores_region_and_owning_service() -> None:
    target = secret(primary_region="us-east-1", owning_service="rds")
    assert not matches(one("all", "us"), target)
    assert not matches(one("all", "rds"), target)


def test_all_splits_the_value_into_words() -> None:
    assert matches(one("all", "credsDatabase#892"), secret(name="creds/database-892"))
    assert matches(one("all", "credsDatabase#892"), secret(description="892 Database creds"))
    assert matches(one("all", "My_Secret"), secret(name="mySecretName"))
    assert matches(one("all", "data"), secret(name="credsDatabase"))
    assert not matches(one("all", "credsDatabase#892"), secret(name="creds-database"))


def test_all_words_must_hit_within_one_attribute() -> None:
    split = secret(name="creds", description="database 892")
    assert not matches(one("all", "credsDatabase#892"), split)
    assert matches(one("all", "creds", "database"), split)


def test_all_negation_means_no_attribute_matches() -> None:
    target = secret(name="app", description="billing", tags={"env": "prod"})
    assert not matches(one("all", "!prod"), target)
    assert not matches(one("all", "!BILL"), target)
    assert matches(one("all", "!staging"), target)


# --- a secret without description or tags ------------------------------------------------


@pytest.mark.parametrize(
    "key", ["description", "tag-key", "tag-value", "primary-region", "owning-service"]
)
def test_a_missing_attribute_matches_only_negated_values(key: str) -> None:
    bare = secret(name="x")
    assert not matches(one(key, "x"), bare)
    assert not matches(one(key, ""), bare)
    assert matches(one(key, "!x"), bare)


def test_all_on_a_bare_secret_uses_the_name() -> None:
    bare = secret(name="lonely-one")
    assert matches(one("all", "one"), bare)
    assert not matches(one("all", "two"), bare)


# --- negation in general ------------------------------------------------------------------

_ATTRIBUTE = st.text(alphabet="abAB1-/ ", max_size=8)
_SECRETS = st.builds(
    secret,
    name=_ATTRIBUTE,
    description=_ATTRIBUTE,
    tags=st.dictionaries(_ATTRIBUTE, _ATTRIBUTE, max_size=3),
    primary_region=st.none() | _ATTRIBUTE,
    owning_service=st.none() | _ATTRIBUTE,
)


@given(st.sampled_from(KEYS), st.text(alphabet="abAB1-/ ", max_size=5), _SECRETS)
def test_negation_is_the_complement(key: str, value: str, target: Searchable) -> None:
    assert matches(one(key, value), target) != matches(one(key, "!" + value), target)


# --- malformed filters ------------------------------------------------------------------


def test_a_filter_without_key_or_values_is_invalid() -> None:
    with pytest.raises(InvalidParameterException, match="Invalid filter key"):
        compile_filters([{"Values": ["x"]}])
    with pytest.raises(InvalidParameterException, match="for key: name"):
        compile_filters([{"Key": "name"}])
    with pytest.raises(InvalidParameterException, match="for key: name"):
        compile_filters([{"Key": "name", "Values": []}])


def test_an_unknown_key_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown filter key"):
        compile_filters(one("color", "red"))
