"""GetParametersByPath and DescribeParameters through boto3 and the AWS CLI against a
real server.

Invariants checked: a path holds exactly its direct children (one level) or everything
below it (Recursive), never a sibling that merely shares its prefix; every filter selects
exactly what AWS's rules select (values OR, filters AND); a Label filter answers the
labelled version; bad keys, options and values get AWS's filter errors; pages (by hand
and through boto3's paginator) cover every match exactly once; bad tokens and bad paths
are refused.

The module has its own server. The read-only tests share one tree in a region of its
own; every other test has its own region, an empty namespace.
"""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from tests.e2e.aws_cli import aws_json
from tests.e2e.harness import ServerProcess
from tests.e2e.kms_support import error_of, new_key
from tests.e2e.own_regions import fresh_region, own_server, region_client

TREE_REGION = "zz-tree-1"
DEFAULT_KEY = "alias/aws/ssm"
APP = {
    "/app/name",
    "/app/db/url",
    "/app/db/password",
    "/app/db/token",
    "/app/api/key",
    "/app/api/v2/endpoint",
}
EVERYTHING = APP | {"/application/x", "/other/thing", "solo"}


server = own_server("ssm-listing")
region = fresh_region("zz-listing")
ssm = region_client("ssm")


@pytest.fixture(scope="module")
def tree(server: ServerProcess) -> dict[str, Any]:
    """The shared tree (see EVERYTHING), built once; the client and its own KMS key id.

    `/app/db/url` has version 1 `old-url` (label `release`) and version 2 `new-url`."""
    ssm = server.client("ssm", region_name=TREE_REGION)
    key = new_key(server.client("kms", region_name=TREE_REGION))["KeyId"]
    put = ssm.put_parameter
    put(Name="/app/name", Value="myapp", Type="String")
    put(Name="/app/db/url", Value="old-url", Type="String")
    put(Name="/app/db/url", Value="new-url", Type="String", Overwrite=True)
    ssm.label_parameter_version(Name="/app/db/url", ParameterVersion=1, Labels=["release"])
    put(Name="/app/db/password", Value="pw-canary", Type="SecureString")
    put(Name="/app/db/token", Value="tok-canary", Type="SecureString", KeyId=key)
    put(Name="/app/api/key", Value="a,b", Type="StringList")
    put(
        Name="/app/api/v2/endpoint",
        Value="api.internal",
        Type="String",
        Tier="Advanced",
        Tags=[{"Key": "team", "Value": "api"}],
    )
    put(Name="/application/x", Value="x", Type="String")
    put(
        Name="/other/thing",
        Value="ami-12345678",
        Type="String",
        DataType="aws:ec2:image",
        Tags=[{"Key": "team", "Value": "ops"}, {"Key": "env", "Value": "prod"}],
    )
    put(Name="/solo", Value="alone", Type="String", Tags=[{"Key": "team", "Value": "api"}])
    return {"ssm": ssm, "key": key}


# --- helpers ---------------------------------------------------------------------------


def _refused(call: Any, code: str, **kwargs: Any) -> str:
    """Call an operation that must fail with `code` as a client error; its message."""
    error = error_of(call, **kwargs)
    assert (error["Code"], error["Status"]) == (code, 400), error
    return str(error["Message"])


def _pages(call: Any, size: int, **kwargs: Any) -> list[list[dict[str, Any]]]:
    """Every page of a listing at `size` per page, each checked not to exceed it."""
    pages: list[list[dict[str, Any]]] = []
    token: dict[str, str] = {}
    while len(pages) < 1000:
        answer = call(MaxResults=size, **kwargs, **token)
        assert len(answer["Parameters"]) <= size
        pages.append(answer["Parameters"])
        if "NextToken" not in answer:
            return pages
        token = {"NextToken": answer["NextToken"]}
    raise AssertionError("the listing never ended")


def _listed(call: Any, size: int, **kwargs: Any) -> list[str]:
    """Names over every page, in order (repeats kept, so a test can see them)."""
    return [entry["Name"] for page in _pages(call, size, **kwargs) for entry in page]


def _by_path(ssm: Any, path: str, **kwargs: Any) -> dict[str, dict[str, Any]]:
    """GetParametersByPath over every page, by name; no name twice."""
    entries = [
        e for page in _pages(ssm.get_parameters_by_path, 10, Path=path, **kwargs) for e in page
    ]
    by_name = {entry["Name"]: entry for entry in entries}
    assert len(by_name) == len(entries)
    return by_name


def _described(ssm: Any, **kwargs: Any) -> set[str]:
    """DescribeParameters' names over every page; no name twice."""
    names = _listed(ssm.describe_parameters, 50, **kwargs)
    assert len(set(names)) == len(names)
    return set(names)


def _filter(key: str, *values: str, option: str | None = None) -> dict[str, Any]:
    """One ParameterStringFilter."""
    wire: dict[str, Any] = {"Key": key, "Values": list(values)}
    if option is not None:
        wire["Option"] = option
    return wire


# --- GetParametersByPath: paths -----------------------------------------------------------


def test_one_level_holds_only_direct_children(tree: dict[str, Any]) -> None:
    ssm = tree["ssm"]
    assert set(_by_path(ssm, "/app")) == {"/app/name"}
    assert set(_by_path(ssm, "/app/")) == {"/app/name"}
    assert set(_by_path(ssm, "/app/db")) == {"/app/db/url", "/app/db/password", "/app/db/token"}
    assert set(_by_path(ssm, "/app/api")) == {"/app/api/key"}
    assert set(_by_path(ssm, "/app/db/url")) == set()
    assert set(_by_path(ssm, "/nothing/here")) == set()


def test_recursive_holds_every_level_below(tree: dict[str, Any]) -> None:
    ssm = tree["ssm"]
    assert set(_by_path(ssm, "/app", Recursive=True)) == APP
    assert set(_by_path(ssm, "/app/api", Recursive=True)) == {
        "/app/api/key",
        "/app/api/v2/endpoint",
    }
    assert set(_by_path(ssm, "/other", Recursive=True)) == {"/other/thing"}
    assert set(_by_path(ssm, "/app/db/url", Recursive=True)) == set()


def test_root_path(tree: dict[str, Any]) -> None:
    ssm = tree["ssm"]
    assert set(_by_path(ssm, "/", Recursive=True)) == EVERYTHING
    assert set(_by_path(ssm, "/")) == {"solo"}


def test_by_path_answers_current_values(tree: dict[str, Any], server: ServerProcess) -> None:
    ssm = tree["ssm"]
    entries = _by_path(ssm, "/app", Recursive=True, WithDecryption=True)
    values = {name: entry["Value"] for name, entry in entries.items()}
    assert values["/app/db/url"] == "new-url" and entries["/app/db/url"]["Version"] == 2
    assert values["/app/db/password"] == "pw-canary"
    assert values["/app/db/token"] == "tok-canary"
    assert values["/app/api/key"] == "a,b" and entries["/app/api/key"]["Type"] == "StringList"
    arn = f"arn:aws:ssm:{TREE_REGION}:{server.account_id}:parameter/app/name"
    assert entries["/app/name"]["ARN"] == arn
    sealed = _by_path(ssm, "/app/db")
    assert sealed["/app/db/password"]["Value"] not in ("", "pw-canary")
    assert sealed["/app/db/token"]["Value"] not in ("", "tok-canary")
    assert sealed["/app/db/url"]["Value"] == "new-url"


@pytest.mark.parametrize("bad", ["app", "app/db", "/app//db", "/app db", "/app@db", "//"])
def test_malformed_paths_are_refused(tree: dict[str, Any], bad: str) -> None:
    _refused(tree["ssm"].get_parameters_by_path, "ValidationException", Path=bad)


def test_public_aws_path_is_readable_and_empty(tree: dict[str, Any]) -> None:
    assert _by_path(tree["ssm"], "/aws/service/ami-amazon-linux-latest") == {}


# --- GetParametersByPath: filters ---------------------------------------------------------


def test_by_path_type_filter(tree: dict[str, Any]) -> None:
    ssm = tree["ssm"]
    secure = [_filter("Type", "SecureString")]
    assert set(_by_path(ssm, "/app", Recursive=True, ParameterFilters=secure)) == {
        "/app/db/password",
        "/app/db/token",
    }
    either = [_filter("Type", "String", "StringList")]
    assert set(_by_path(ssm, "/app", Recursive=True, ParameterFilters=either)) == {
        "/app/name",
        "/app/db/url",
        "/app/api/key",
        "/app/api/v2/endpoint",
    }
    equals = [_filter("Type", "SecureString", option="Equals")]
    assert set(_by_path(ssm, "/app/db", ParameterFilters=equals)) == {
        "/app/db/password",
        "/app/db/token",
    }


def test_by_path_key_id_filter(tree: dict[str, Any]) -> None:
    ssm = tree["ssm"]
    own = [_filter("KeyId", tree["key"])]
    assert set(_by_path(ssm, "/app", Recursive=True, ParameterFilters=own)) == {"/app/db/token"}
    default = [_filter("KeyId", DEFAULT_KEY)]
    assert set(_by_path(ssm, "/app", Recursive=True, ParameterFilters=default)) == {
        "/app/db/password"
    }


def test_by_path_label_filter_answers_the_labelled_version(tree: dict[str, Any]) -> None:
    ssm = tree["ssm"]
    release = [_filter("Label", "release")]
    entries = _by_path(ssm, "/app", Recursive=True, ParameterFilters=release)
    assert set(entries) == {"/app/db/url"}
    assert (entries["/app/db/url"]["Value"], entries["/app/db/url"]["Version"]) == ("old-url", 1)
    unknown = [_filter("Label", "never-attached")]
    assert _by_path(ssm, "/app", Recursive=True, ParameterFilters=unknown) == {}
    both = [_filter("Label", "release"), _filter("Type", "SecureString")]
    assert _by_path(ssm, "/app", Recursive=True, ParameterFilters=both) == {}


@pytest.mark.parametrize("key", ["Name", "Path", "Tier", "DataType", "tag:team"])
def test_by_path_refuses_describe_only_keys(tree: dict[str, Any], key: str) -> None:
    _refused(
        tree["ssm"].get_parameters_by_path,
        "InvalidFilterKey",
        Path="/app",
        ParameterFilters=[_filter(key, "x")],
    )


@pytest.mark.parametrize(
    ("wire", "code"),
    [
        ({"Key": "Label", "Values": ["release"], "Option": "BeginsWith"}, "InvalidFilterOption"),
        ({"Key": "Type", "Values": ["String"], "Option": "Contains"}, "InvalidFilterOption"),
        ({"Key": "KeyId", "Values": ["k"], "Option": "Recursive"}, "InvalidFilterOption"),
        ({"Key": "Type", "Values": ["Bogus"]}, "InvalidFilterValue"),
        ({"Key": "Type"}, "InvalidFilterValue"),
        ({"Key": "Label"}, "InvalidFilterValue"),
    ],
)
def test_by_path_refuses_bad_options_and_values(
    server: ServerProcess, tree: dict[str, Any], wire: dict[str, Any], code: str
) -> None:
    raw = server.client("ssm", validate=False, region_name=TREE_REGION)
    _refused(raw.get_parameters_by_path, code, Path="/app", ParameterFilters=[wire])


# --- GetParametersByPath: pages -----------------------------------------------------------


def _many(ssm: Any, count: int = 23) -> set[str]:
    """`count` parameters under /p, at three depths, every third a SecureString; also a
    sibling prefix /pp and a top-level name that no page under /p may show."""
    names = set()
    for number in range(count):
        name = ("/p/", "/p/deep/", "/p/deep/er/")[number % 3] + f"n{number:02d}"
        kind = "SecureString" if number % 3 == 0 else "String"
        ssm.put_parameter(Name=name, Value=f"value {number}", Type=kind)
        names.add(name)
    ssm.put_parameter(Name="/pp/outside", Value="no", Type="String")
    ssm.put_parameter(Name="top", Value="no", Type="String")
    return names


def test_by_path_pages_cover_every_parameter_once(ssm: Any) -> None:
    names = _many(ssm)
    for size in range(1, 11):
        listed = _listed(ssm.get_parameters_by_path, size, Path="/p", Recursive=True)
        assert sorted(listed) == sorted(names), size
    one_level = {name for name in names if name.count("/") == 2}
    for size in (1, 3, 10):
        listed = _listed(ssm.get_parameters_by_path, size, Path="/p")
        assert sorted(listed) == sorted(one_level), size


def test_by_path_filtered_pages_cover_every_match_once(ssm: Any) -> None:
    names = _many(ssm)
    secure = {name for name in names if int(name[-2:]) % 3 == 0}
    filters = [_filter("Type", "SecureString")]
    for size in (1, 2, 5, 10):
        listed = _listed(
            ssm.get_parameters_by_path, size, Path="/p", Recursive=True, ParameterFilters=filters
        )
        assert sorted(listed) == sorted(secure), size


def test_by_path_paginator(ssm: Any) -> None:
    names = _many(ssm)
    paginator = ssm.get_paginator("get_parameters_by_path")
    pages = list(
        paginator.paginate(
            Path="/p", Recursive=True, WithDecryption=True, PaginationConfig={"PageSize": 4}
        )
    )
    entries = [entry for page in pages for entry in page["Parameters"]]
    assert all(len(page["Parameters"]) <= 4 for page in pages)
    assert sorted(entry["Name"] for entry in entries) == sorted(names)
    assert {entry["Value"] for entry in entries} == {f"value {n}" for n in range(23)}


def test_by_path_bad_token_and_page_size(ssm: Any, server: ServerProcess, region: str) -> None:
    _many(ssm, 5)
    for token in ("garbage", "bm90IGEgdG9rZW4=", "!!!"):
        _refused(
            ssm.get_parameters_by_path,
            "InvalidNextToken",
            Path="/p",
            Recursive=True,
            NextToken=token,
        )
    raw = server.client("ssm", validate=False, region_name=region)
    for size in (0, 11):
        _refused(raw.get_parameters_by_path, "ValidationException", Path="/p", MaxResults=size)


# --- DescribeParameters: filters ------------------------------------------------------------


def test_describe_without_filters_lists_everything(tree: dict[str, Any]) -> None:
    ssm = tree["ssm"]
    assert _described(ssm) == EVERYTHING
    entries = {
        entry["Name"]: entry
        for page in ssm.get_paginator("describe_parameters").paginate()
        for entry in page["Parameters"]
    }
    assert entries["/app/db/url"]["Version"] == 2
    assert entries["/app/db/token"]["KeyId"] == tree["key"]
    assert entries["/app/api/v2/endpoint"]["Tier"] == "Advanced"
    assert all("Value" not in entry for entry in entries.values())


@pytest.mark.parametrize(
    ("option", "values", "expected"),
    [
        ("Equals", ["/app/db/url"], {"/app/db/url"}),
        ("Equals", ["/app/name", "/other/thing"], {"/app/name", "/other/thing"}),
        ("Equals", ["/app"], set()),
        ("Equals", ["solo"], {"solo"}),
        ("Equals", ["/solo"], {"solo"}),
        ("BeginsWith", ["/app/db"], {"/app/db/url", "/app/db/password", "/app/db/token"}),
        ("BeginsWith", ["/app"], APP | {"/application/x"}),
        ("BeginsWith", ["/oth", "/sol"], {"/other/thing", "solo"}),
        ("Contains", ["db"], {"/app/db/url", "/app/db/password", "/app/db/token"}),
        ("Contains", ["api"], {"/app/api/key", "/app/api/v2/endpoint"}),
        ("Contains", ["thing", "solo"], {"/other/thing", "solo"}),
        (None, ["/app/name"], {"/app/name"}),
    ],
)
def test_describe_name_filter(
    tree: dict[str, Any], option: str | None, values: list[str], expected: set[str]
) -> None:
    filters = [_filter("Name", *values, option=option)]
    assert _described(tree["ssm"], ParameterFilters=filters) == expected


def test_describe_type_and_key_id_filters(tree: dict[str, Any]) -> None:
    ssm = tree["ssm"]
    secure = {"/app/db/password", "/app/db/token"}
    assert _described(ssm, ParameterFilters=[_filter("Type", "SecureString")]) == secure
    assert _described(ssm, ParameterFilters=[_filter("Type", "StringList")]) == {"/app/api/key"}
    assert _described(ssm, ParameterFilters=[_filter("KeyId", tree["key"])]) == {"/app/db/token"}
    default = [_filter("KeyId", DEFAULT_KEY)]
    assert _described(ssm, ParameterFilters=default) == {"/app/db/password"}


@pytest.mark.parametrize(
    ("option", "path", "expected"),
    [
        ("Recursive", "/app", APP),
        ("OneLevel", "/app", {"/app/name"}),
        (None, "/app", {"/app/name"}),
        ("OneLevel", "/app/db", {"/app/db/url", "/app/db/password", "/app/db/token"}),
        ("Recursive", "/app/api", {"/app/api/key", "/app/api/v2/endpoint"}),
        ("Recursive", "/ap", set()),
        ("Recursive", "/", EVERYTHING),
        ("OneLevel", "/", {"solo"}),
    ],
)
def test_describe_path_filter(
    tree: dict[str, Any], option: str | None, path: str, expected: set[str]
) -> None:
    filters = [_filter("Path", path, option=option)]
    assert _described(tree["ssm"], ParameterFilters=filters) == expected


def test_describe_path_filter_values_are_or(tree: dict[str, Any]) -> None:
    filters = [_filter("Path", "/app/db", "/other", option="OneLevel")]
    assert _described(tree["ssm"], ParameterFilters=filters) == {
        "/app/db/url",
        "/app/db/password",
        "/app/db/token",
        "/other/thing",
    }


def test_describe_tier_and_data_type_filters(tree: dict[str, Any]) -> None:
    ssm = tree["ssm"]
    advanced = {"/app/api/v2/endpoint"}
    assert _described(ssm, ParameterFilters=[_filter("Tier", "Advanced")]) == advanced
    assert _described(ssm, ParameterFilters=[_filter("Tier", "Standard")]) == EVERYTHING - advanced
    image = [_filter("DataType", "aws:ec2:image")]
    assert _described(ssm, ParameterFilters=image) == {"/other/thing"}
    text = [_filter("DataType", "text")]
    assert _described(ssm, ParameterFilters=text) == EVERYTHING - {"/other/thing"}


def test_describe_tag_filter(tree: dict[str, Any]) -> None:
    ssm = tree["ssm"]
    assert _described(ssm, ParameterFilters=[_filter("tag:team", "api")]) == {
        "/app/api/v2/endpoint",
        "solo",
    }
    assert _described(ssm, ParameterFilters=[_filter("tag:team", "api", "ops")]) == {
        "/app/api/v2/endpoint",
        "solo",
        "/other/thing",
    }
    begins = [_filter("tag:team", "o", option="BeginsWith")]
    assert _described(ssm, ParameterFilters=begins) == {"/other/thing"}
    assert _described(ssm, ParameterFilters=[_filter("tag:env", "prod")]) == {"/other/thing"}
    assert _described(ssm, ParameterFilters=[_filter("tag:nobody", "api")]) == set()


def test_describe_filters_and_together(tree: dict[str, Any]) -> None:
    ssm = tree["ssm"]
    filters = [_filter("Path", "/app", option="Recursive"), _filter("Type", "SecureString")]
    assert _described(ssm, ParameterFilters=filters) == {"/app/db/password", "/app/db/token"}
    filters = [_filter("tag:team", "api"), _filter("Name", "/app", option="BeginsWith")]
    assert _described(ssm, ParameterFilters=filters) == {"/app/api/v2/endpoint"}
    filters = [_filter("Tier", "Advanced"), _filter("Type", "SecureString")]
    assert _described(ssm, ParameterFilters=filters) == set()


def test_describe_legacy_filters(tree: dict[str, Any]) -> None:
    ssm = tree["ssm"]
    secure = {"/app/db/password", "/app/db/token"}
    assert _described(ssm, Filters=[{"Key": "Type", "Values": ["SecureString"]}]) == secure
    assert _described(ssm, Filters=[{"Key": "KeyId", "Values": [tree["key"]]}]) == {"/app/db/token"}
    assert _described(ssm, Filters=[{"Key": "Name", "Values": ["/app/name"]}]) == {"/app/name"}


def test_describe_refuses_filters_with_parameter_filters(tree: dict[str, Any]) -> None:
    _refused(
        tree["ssm"].describe_parameters,
        "ValidationException",
        Filters=[{"Key": "Type", "Values": ["String"]}],
        ParameterFilters=[_filter("Type", "String")],
    )


@pytest.mark.parametrize(
    ("wire", "code"),
    [
        ({"Key": "Label", "Values": ["release"]}, "InvalidFilterKey"),
        ({"Key": "Name", "Values": ["/app"], "Option": "Recursive"}, "InvalidFilterOption"),
        ({"Key": "Type", "Values": ["String"], "Option": "Contains"}, "InvalidFilterOption"),
        ({"Key": "Tier", "Values": ["Standard"], "Option": "OneLevel"}, "InvalidFilterOption"),
        ({"Key": "Path", "Values": ["/app"], "Option": "Equals"}, "InvalidFilterOption"),
        ({"Key": "Path", "Values": ["/app"], "Option": "BeginsWith"}, "InvalidFilterOption"),
        ({"Key": "Type", "Values": ["Bogus"]}, "InvalidFilterValue"),
        ({"Key": "Tier", "Values": ["Premium"]}, "InvalidFilterValue"),
        ({"Key": "Name"}, "InvalidFilterValue"),
        ({"Key": "Type"}, "InvalidFilterValue"),
    ],
)
def test_describe_refuses_bad_keys_options_and_values(
    server: ServerProcess, tree: dict[str, Any], wire: dict[str, Any], code: str
) -> None:
    raw = server.client("ssm", validate=False, region_name=TREE_REGION)
    _refused(raw.describe_parameters, code, ParameterFilters=[wire])


# --- DescribeParameters: pages --------------------------------------------------------------


def test_describe_pages_cover_every_parameter_once(ssm: Any) -> None:
    names = _many(ssm) | {"/pp/outside", "top"}
    for size in (1, 2, 3, 7, 24, 25, 50):
        listed = _listed(ssm.describe_parameters, size)
        assert sorted(listed) == sorted(names), size
    secure = {name for name in names if name.startswith("/p/") and int(name[-2:]) % 3 == 0}
    for size in (1, 4):
        listed = _listed(
            ssm.describe_parameters, size, ParameterFilters=[_filter("Type", "SecureString")]
        )
        assert sorted(listed) == sorted(secure), size


def test_describe_paginator_and_bad_token(ssm: Any, server: ServerProcess, region: str) -> None:
    names = _many(ssm) | {"/pp/outside", "top"}
    pages = list(
        ssm.get_paginator("describe_parameters").paginate(PaginationConfig={"PageSize": 5})
    )
    assert all(len(page["Parameters"]) <= 5 for page in pages)
    listed = [entry["Name"] for page in pages for entry in page["Parameters"]]
    assert sorted(listed) == sorted(names)
    _refused(ssm.describe_parameters, "InvalidNextToken", NextToken="garbage")
    raw = server.client("ssm", validate=False, region_name=region)
    _refused(raw.describe_parameters, "ValidationException", MaxResults=51)


# --- the AWS CLI ------------------------------------------------------------------------------


def _aws(server: ServerProcess, region: str, *args: str) -> Any:
    """Run `aws ssm ...` in the test's region; its JSON answer."""
    return aws_json(server, "ssm", *args, region=region)


@pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")
def test_aws_cli_puts_gets_and_walks_a_path(server: ServerProcess, region: str) -> None:
    put = _aws(
        server, region, "put-parameter", "--name", "/cli/db/password", "--value", "cli-pw",
        "--type", "SecureString",
    )  # fmt: skip
    assert put["Version"] == 1
    _aws(server, region, "put-parameter", "--name", "/cli/name", "--value", "n", "--type", "String")
    for number in range(12):
        _aws(
            server, region, "put-parameter", "--name", f"/cli/many/p{number:02d}", "--value",
            f"v{number}", "--type", "String",
        )  # fmt: skip
    got = _aws(server, region, "get-parameter", "--name", "/cli/db/password", "--with-decryption")
    assert got["Parameter"]["Value"] == "cli-pw"
    sealed = _aws(server, region, "get-parameter", "--name", "/cli/db/password")
    assert sealed["Parameter"]["Value"] != "cli-pw"
    walked = _aws(
        server, region, "get-parameters-by-path", "--path", "/cli", "--recursive",
        "--with-decryption",
    )  # fmt: skip
    values = {entry["Name"]: entry["Value"] for entry in walked["Parameters"]}
    assert len(walked["Parameters"]) == 14  # over two pages of at most 10: the CLI pages
    assert values["/cli/db/password"] == "cli-pw" and values["/cli/name"] == "n"
    assert {values[f"/cli/many/p{n:02d}"] for n in range(12)} == {f"v{n}" for n in range(12)}
    one_level = _aws(server, region, "get-parameters-by-path", "--path", "/cli")
    assert [entry["Name"] for entry in one_level["Parameters"]] == ["/cli/name"]
