"""Function life cycle over a real barrier: create, read, list, update, delete, with
Lambda's answers and errors; built-in functions; the operator's code switch."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from tests.unit.services.awslambda.world import (
    ACCOUNT,
    HANDLER_ZIP,
    REGION,
    ROLE,
    World,
    admin,
    new_world,
    zip_of,
)

from strongroom.errors import (
    AccessDeniedException,
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
    StrongroomError,
)
from strongroom.services.awslambda.errors import PreconditionFailedException

ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:rotator"
BUILTIN = "strongroom-postgresql-single-user"
LAST_MODIFIED = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


@pytest.fixture
def world() -> World:
    return new_world()


def test_create_answers_the_configuration_lambda_answers(world: World) -> None:
    config = world.create(
        Environment={"Variables": {"STAGE": "test"}},
        Timeout=30,
        MemorySize=256,
        Description="rotates",
        Tags={"team": "db"},
        Publish=True,
    )
    assert config["FunctionName"] == "rotator"
    assert config["FunctionArn"] == ARN
    assert config["Runtime"] == "python3.12"
    assert config["Handler"] == "lambda_function.lambda_handler"
    assert config["Role"] == ROLE
    assert config["CodeSha256"] == base64.b64encode(hashlib.sha256(HANDLER_ZIP).digest()).decode()
    assert config["CodeSize"] == len(HANDLER_ZIP)
    assert LAST_MODIFIED.fullmatch(config["LastModified"])
    assert UUID.fullmatch(config["RevisionId"])
    assert (config["Version"], config["State"], config["PackageType"]) == (
        "$LATEST",
        "Active",
        "Zip",
    )
    assert config["LastUpdateStatus"] == "Successful"
    assert config["Architectures"] == ["x86_64"]
    assert (config["Timeout"], config["MemorySize"]) == (30, 256)
    assert config["Description"] == "rotates"
    assert config["Environment"] == {"Variables": {"STAGE": "test"}}
    got = world.call("GetFunction", FunctionName="rotator")
    assert got["Configuration"] == config
    assert got["Tags"] == {"team": "db"}
    assert "Code" not in got  # no download link is offered
    assert world.call("GetFunctionConfiguration", FunctionName=ARN) == config


def test_defaults_are_lambdas(world: World) -> None:
    config = world.create()
    assert (config["Timeout"], config["MemorySize"], config["Description"]) == (3, 128, "")
    assert "Environment" not in config


def test_the_zip_is_stored_encrypted_apart_from_the_configuration(world: World) -> None:
    world.create(Environment={"Variables": {"MARKER": "plain-marker-value"}})
    raw = world.raw()
    paths = sorted(raw)
    assert any(p.startswith(f"lambda/{ACCOUNT}/{REGION}/functions/rotator") for p in paths)
    assert any(p.startswith(f"lambda/{ACCOUNT}/{REGION}/code/rotator/") for p in paths)
    for value in raw.values():
        assert b"lambda_handler" not in value and b"plain-marker-value" not in value
        assert b"lambda_function.py" not in value  # the zip's own header, in the clear


def test_a_name_is_taken_once(world: World) -> None:
    world.create()
    for name in ("rotator", BUILTIN):
        with pytest.raises(ResourceConflictException) as info:
            world.create(name)
        assert info.value.message == f"Function already exist: {name}"


def test_runtime_and_handler_are_mandatory(world: World) -> None:
    with pytest.raises(InvalidParameterValueException) as info:
        world.create(Handler=None)
    assert info.value.message == (
        "Runtime and Handler are mandatory parameters for functions created with deployment "
        "packages."
    )


def test_bad_input_leaves_nothing_stored(world: World) -> None:
    before = world.raw()
    for params in (
        {"Code": {"ZipFile": b"not a zip"}},
        {"Code": {"S3Bucket": "b", "S3Key": "k"}},
        {"Runtime": "nodejs20.x"},
        {"Environment": {"Variables": {"AWS_REGION": "x"}}},
        {"VpcConfig": {"SubnetIds": ["subnet-1"], "SecurityGroupIds": []}},
        {"Timeout": 901},
    ):
        with pytest.raises(StrongroomError):  # each its own error, tested elsewhere
            world.create(**params)
    with pytest.raises(InvalidParameterValueException):
        world.create("rotator:live")
    assert world.raw() == before


def test_missing_functions_are_not_found_by_arn(world: World) -> None:
    for operation in ("GetFunction", "GetFunctionConfiguration", "DeleteFunction"):
        with pytest.raises(ResourceNotFoundException) as info:
            world.call(operation, FunctionName="rotator")
        assert info.value.message == f"Function not found: {ARN}"


def test_a_function_of_another_account_is_never_found(world: World) -> None:
    world.create()
    with pytest.raises(ResourceNotFoundException):
        world.call("GetFunction", FunctionName=ARN.replace(ACCOUNT, "999988887777"))


def test_list_pages_in_name_order_without_builtins(world: World) -> None:
    names = [f"fn-{i:02d}" for i in range(7)]
    for name in reversed(names):
        world.create(name)
    seen: list[str] = []
    marker = None
    while True:
        page = world.call("ListFunctions", MaxItems=3, **({"Marker": marker} if marker else {}))
        assert len(page["Functions"]) <= 3
        seen += [f["FunctionName"] for f in page["Functions"]]
        marker = page.get("NextMarker")
        if marker is None:
            break
    assert seen == names
    assert len(world.call("ListFunctions")["Functions"]) == 7
    every = world.call("ListFunctions", FunctionVersion="ALL")["Functions"]
    assert {f["Version"] for f in every} == {"$LATEST"}
    with pytest.raises(InvalidParameterValueException):
        world.call("ListFunctions", Marker="%%%")
    with pytest.raises(InvalidParameterValueException):
        world.call("ListFunctions", Marker="bm90IGEgbmFtZQ==")  # "not a name"


def test_update_code_replaces_the_package_and_the_revision(world: World) -> None:
    first = world.create()
    new_zip = zip_of({"lambda_function.py": "def lambda_handler(e, c):\n    return 2\n"})
    with pytest.raises(PreconditionFailedException):
        world.call("UpdateFunctionCode", FunctionName="rotator", ZipFile=new_zip, RevisionId="x")
    dry = world.call("UpdateFunctionCode", FunctionName="rotator", ZipFile=new_zip, DryRun=True)
    assert dry["CodeSha256"] == first["CodeSha256"]
    updated = world.call(
        "UpdateFunctionCode",
        FunctionName="rotator",
        ZipFile=new_zip,
        RevisionId=first["RevisionId"],
    )
    assert updated["CodeSha256"] == base64.b64encode(hashlib.sha256(new_zip).digest()).decode()
    assert updated["RevisionId"] != first["RevisionId"]
    code_paths = [p for p in world.raw() if "/code/rotator/" in p]
    assert len(code_paths) == 1  # the old package is gone


def test_update_configuration_changes_only_what_is_given(world: World) -> None:
    first = world.create(Environment={"Variables": {"A": "1"}}, Description="d")
    updated = world.call(
        "UpdateFunctionConfiguration", FunctionName="rotator", Timeout=60, MemorySize=512
    )
    assert (updated["Timeout"], updated["MemorySize"], updated["Description"]) == (60, 512, "d")
    assert updated["Environment"] == {"Variables": {"A": "1"}}
    assert updated["RevisionId"] != first["RevisionId"]
    cleared = world.call(
        "UpdateFunctionConfiguration", FunctionName="rotator", Environment={"Variables": {}}
    )
    assert "Environment" not in cleared
    assert world.call("GetFunctionConfiguration", FunctionName="rotator") == cleared
    with pytest.raises(PreconditionFailedException) as info:
        world.call(
            "UpdateFunctionConfiguration",
            FunctionName="rotator",
            Timeout=5,
            RevisionId=first["RevisionId"],
        )
    assert "does not match the latest Revision Id" in info.value.message


def test_delete_removes_configuration_code_and_policy(world: World) -> None:
    world.create()
    world.call(
        "AddPermission",
        FunctionName="rotator",
        StatementId="sm",
        Action="lambda:InvokeFunction",
        Principal="secretsmanager.amazonaws.com",
    )
    assert world.call("DeleteFunction", FunctionName="rotator") == {"StatusCode": 204}
    assert not [p for p in world.raw() if p.startswith("lambda/")]
    with pytest.raises(ResourceNotFoundException):
        world.call("GetFunction", FunctionName="rotator")
    world.create()  # the name is free again
    with pytest.raises(ResourceNotFoundException):
        world.call("GetPolicy", FunctionName="rotator")


def test_deleting_latest_alone_is_refused(world: World) -> None:
    world.create()
    with pytest.raises(InvalidParameterValueException):
        world.call("DeleteFunction", FunctionName="rotator", Qualifier="$LATEST")
    with pytest.raises(ResourceNotFoundException):
        world.call("DeleteFunction", FunctionName="rotator", Qualifier="1")


def test_builtins_exist_everywhere_and_cannot_change(world: World) -> None:
    config = world.call("GetFunction", FunctionName=BUILTIN)["Configuration"]
    assert config["FunctionArn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{BUILTIN}"
    assert (config["Runtime"], config["Timeout"], config["MemorySize"]) == ("python3.11", 30, 256)
    assert config["Handler"] == "strongroom.rotation.builtin.postgresql_single_user.lambda_handler"
    elsewhere = world.call("GetFunction", admin("eu-west-1"), FunctionName=BUILTIN)
    assert elsewhere["Configuration"]["FunctionArn"].startswith("arn:aws:lambda:eu-west-1:")
    for operation, params in (
        ("DeleteFunction", {}),
        ("UpdateFunctionConfiguration", {"Timeout": 60}),
        ("UpdateFunctionCode", {"ZipFile": HANDLER_ZIP}),
    ):
        with pytest.raises(InvalidParameterValueException) as info:
            world.call(operation, FunctionName=BUILTIN, **params)
        assert "built-in" in info.value.message
    assert world.call("ListFunctions")["Functions"] == []


def test_without_allow_code_nothing_that_decides_what_runs_changes() -> None:
    world = new_world(allow_code=False)
    with pytest.raises(AccessDeniedException) as info:
        world.create()
    assert "allow_function_code" in info.value.message
    assert not [path for path in world.raw() if path.startswith("lambda/")]
    # A function created while code was allowed keeps running and can be tuned.
    allowed = new_world()
    allowed.create(Environment={"Variables": {"A": "1"}})
    allowed.lam.allow_code = False
    allowed.call("UpdateFunctionConfiguration", FunctionName="rotator", Timeout=10)
    allowed.call(
        "UpdateFunctionConfiguration", FunctionName="rotator", Environment={"Variables": {"A": "1"}}
    )
    for operation, params in (
        ("UpdateFunctionCode", {"ZipFile": HANDLER_ZIP}),
        ("UpdateFunctionConfiguration", {"Handler": "other.handler"}),
        ("UpdateFunctionConfiguration", {"Environment": {"Variables": {"PYTHONPATH": "/tmp"}}}),
        ("UpdateFunctionConfiguration", {"Runtime": "python3.13"}),
    ):
        with pytest.raises(AccessDeniedException):
            allowed.call(operation, FunctionName="rotator", **params)
