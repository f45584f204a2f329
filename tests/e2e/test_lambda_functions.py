"""The Lambda API subset end to end: a real server, functions deployed and invoked with
boto3's `lambda` client and the unchanged AWS CLI, each invocation a real process.

Checked: CreateFunction / GetFunction / ListFunctions / Update* / DeleteFunction answer as
Lambda does; an invocation sees AWS's event, context and environment, boto3 importable, and
temporary credentials that work against Strongroom during the invocation and not after;
function errors, timeouts, Event, DryRun and LogType=Tail; Lambda's errors with their
codes and statuses; resource policies; the built-in rotators; packages encrypted at rest;
functions surviving a restart; and a production server refusing function code until the
operator allows it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.at_rest import data_files
from tests.e2e.function_roles import ensure_role
from tests.e2e.harness import ServerProcess
from tests.e2e.lambda_support import (
    HANDLER,
    ROLE,
    aws_lambda,
    create_probe,
    error_of,
    probe_zip,
    unique,
    wait_for_file,
    zipped,
)
from tests.e2e.production.support import close_clients, run_init, start_sealed, unseal_fully

BUILTIN = "strongroom-postgresql-single-user"
needs_cli = pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")


@pytest.fixture
def functions(strongroom_server: ServerProcess) -> Any:
    """A boto3 Lambda client for the shared server, where the functions' role exists."""
    ensure_role(strongroom_server, ROLE)
    return strongroom_server.client("lambda")


def invoke_json(client: Any, name: str, event: dict[str, Any], **params: Any) -> dict[str, Any]:
    """Invoke synchronously; the response with its Payload read and parsed."""
    response = client.invoke(FunctionName=name, Payload=json.dumps(event).encode(), **params)
    response["Payload"] = json.loads(response["Payload"].read())
    return response  # type: ignore[no-any-return]


def test_create_answers_lambdas_configuration(functions: Any, strongroom_server: Any) -> None:
    name = unique("probe")
    package = probe_zip()
    config = create_probe(
        functions,
        name,
        Code={"ZipFile": package},
        Timeout=15,
        MemorySize=256,
        Environment={"Variables": {"STAGE": "e2e"}},
        Tags={"team": "db"},
    )
    server = strongroom_server
    arn = f"arn:aws:lambda:{server.region}:{server.account_id}:function:{name}"
    assert config["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert config["FunctionArn"] == arn
    assert config["CodeSha256"] == base64.b64encode(hashlib.sha256(package).digest()).decode()
    assert config["CodeSize"] == len(package)
    assert (config["Runtime"], config["Handler"], config["Role"]) == ("python3.12", HANDLER, ROLE)
    assert (config["Timeout"], config["MemorySize"]) == (15, 256)
    assert (config["State"], config["Version"]) == ("Active", "$LATEST")
    assert config["PackageType"] == "Zip"
    assert config["Environment"] == {"Variables": {"STAGE": "e2e"}}
    got = functions.get_function(FunctionName=arn)
    assert got["Configuration"]["RevisionId"] == config["RevisionId"]
    assert got["Tags"] == {"team": "db"}
    functions.get_waiter("function_active_v2").wait(FunctionName=name)
    pages = functions.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 2})
    names = [f["FunctionName"] for page in pages for f in page["Functions"]]
    assert name in names and BUILTIN not in names


def test_an_invocation_runs_as_aws_lambda_runs_it(functions: Any, strongroom_server: Any) -> None:
    name = unique("probe")
    create_probe(functions, name, MemorySize=192, Environment={"Variables": {"STAGE": "e2e"}})
    response = invoke_json(functions, name, {"action": "call-strongroom", "n": 1})
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert response["ExecutedVersion"] == "$LATEST"
    answer = response["Payload"]
    assert answer["event"] == {"action": "call-strongroom", "n": 1}
    context = answer["context"]
    assert context["function_name"] == name
    assert context["invoked_function_arn"].endswith(f":function:{name}")
    assert context["memory_limit_in_mb"] == "192"
    assert 0 < context["remaining_ms"] <= 3000
    assert len(context["aws_request_id"]) == 36
    env = answer["env"]
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == strongroom_server.region
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "192"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{name}"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert env["AWS_ENDPOINT_URL"] == env["SECRETS_MANAGER_ENDPOINT"]
    assert env["AWS_ENDPOINT_URL"].rstrip("/") == strongroom_server.endpoint_url
    assert env["STAGE"] == "e2e"
    assert answer["boto3"]  # importable without being in the zip
    assert answer["has_session_token"]
    assert answer["password_length"] == 24  # Strongroom answered the function's call
    # The invocation's credentials ended with it.
    key_id, secret, token = answer["credentials"]
    assert key_id != strongroom_server.access_key
    after = strongroom_server.client(
        "secretsmanager",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        aws_session_token=token,
    )
    with pytest.raises(ClientError) as info:
        after.get_random_password()
    assert info.value.response["Error"]["Code"] in {
        "UnrecognizedClientException",
        "ExpiredTokenException",
        "InvalidClientTokenId",
    }


def test_a_function_error_is_reported_not_raised(functions: Any) -> None:
    name = unique("probe")
    create_probe(functions, name)
    response = invoke_json(functions, name, {"action": "fail"}, LogType="Tail")
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert response["Payload"]["errorType"] == "ValueError"
    assert response["Payload"]["errorMessage"] == "failed on purpose"
    log = base64.b64decode(response["LogResult"]).decode()
    assert "probe handling fail" in log


def test_a_function_past_its_timeout_is_stopped(functions: Any) -> None:
    name = unique("probe")
    create_probe(functions, name, Timeout=1)
    response = invoke_json(functions, name, {"action": "sleep", "seconds": 20})
    assert response["FunctionError"] == "Unhandled"
    assert "timed out" in response["Payload"]["errorMessage"].lower()


def test_log_tail_is_the_last_4_kb(functions: Any) -> None:
    name = unique("probe")
    create_probe(functions, name)
    response = invoke_json(functions, name, {"action": "chatter", "lines": 2000}, LogType="Tail")
    log = base64.b64decode(response["LogResult"])
    assert len(log) <= 4096
    assert b"line 01999" in log and b"line 00000" not in log


def test_event_answers_202_and_runs_in_the_background(functions: Any, tmp_path: Path) -> None:
    name = unique("probe")
    create_probe(functions, name, Environment={"Variables": {"MARKER_DIR": str(tmp_path)}})
    response = functions.invoke(
        FunctionName=name,
        InvocationType="Event",
        Payload=json.dumps({"action": "touch", "name": "ran"}).encode(),
    )
    assert response["StatusCode"] == 202
    assert response["Payload"].read() == b""
    assert wait_for_file(tmp_path / "ran")
    dry = functions.invoke(FunctionName=name, InvocationType="DryRun", Payload=b"{}")
    assert dry["StatusCode"] == 204


def test_updates_take_effect(functions: Any) -> None:
    name = unique("probe")
    first = create_probe(functions, name)
    updated = functions.update_function_code(FunctionName=name, ZipFile=probe_zip(2))
    assert updated["CodeSha256"] != first["CodeSha256"]
    assert updated["RevisionId"] != first["RevisionId"]
    functions.update_function_configuration(
        FunctionName=name, Environment={"Variables": {"STAGE": "second"}}, Timeout=9
    )
    answer = invoke_json(functions, name, {})["Payload"]
    assert answer["version"] == 2
    assert answer["env"]["STAGE"] == "second"
    code, status, _ = error_of(
        functions.update_function_configuration,
        FunctionName=name,
        Timeout=4,
        RevisionId=first["RevisionId"],
    )
    assert (code, status) == ("PreconditionFailedException", 412)


def test_delete_removes_the_function(functions: Any) -> None:
    name = unique("probe")
    create_probe(functions, name)
    functions.delete_function(FunctionName=name)
    code, status, message = error_of(functions.get_function, FunctionName=name)
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert message.startswith("Function not found: arn:aws:lambda:")
    create_probe(functions, name)  # the name is free again


@pytest.mark.parametrize(
    ("params", "code", "fragment"),
    [
        ({"Code": {"ZipFile": b"not a zip"}}, "InvalidParameterValueException", "Could not unzip"),
        ({"Runtime": "nodejs20.x"}, "InvalidParameterValueException", "runtime parameter"),
        ({"Runtime": "python3.7"}, "InvalidParameterValueException", "no longer supported"),
        (
            {"Code": {"S3Bucket": "bucket", "S3Key": "f.zip"}},
            "InvalidParameterValueException",
            "S3",
        ),
        (
            {"Environment": {"Variables": {"AWS_REGION": "x"}}},
            "InvalidParameterValueException",
            "Reserved keys used in this request: AWS_REGION",
        ),
        ({"Timeout": 901}, "ValidationException", "less than or equal to 900"),
        (
            {"VpcConfig": {"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"]}},
            "InvalidParameterValueException",
            "VpcConfig",
        ),
    ],
)
def test_bad_functions_are_refused_in_lambdas_terms(
    functions: Any, params: dict[str, Any], code: str, fragment: str
) -> None:
    name = unique("bad")
    refused = error_of(create_probe, client=functions, name=name, **params)
    assert refused[0] == code
    assert fragment in refused[2]
    assert error_of(functions.get_function, FunctionName=name)[0] == "ResourceNotFoundException"


def test_conflicts_and_bad_payloads(functions: Any) -> None:
    name = unique("probe")
    create_probe(functions, name)
    code, status, message = error_of(create_probe, client=functions, name=name)
    assert (code, status) == ("ResourceConflictException", 409)
    assert message == f"Function already exist: {name}"
    code, status, message = error_of(functions.invoke, FunctionName=name, Payload=b"{not json")
    assert (code, status) == ("InvalidRequestContentException", 400)
    assert message.startswith("Could not parse request body into json")
    code, status, _ = error_of(functions.invoke, FunctionName=name, Qualifier="7", Payload=b"{}")
    assert (code, status) == ("ResourceNotFoundException", 404)


def test_resource_policy(functions: Any, strongroom_server: Any) -> None:
    name = unique("probe")
    create_probe(functions, name)
    added = functions.add_permission(
        FunctionName=name,
        StatementId="SecretsManagerAccess",
        Action="lambda:InvokeFunction",
        Principal="secretsmanager.amazonaws.com",
        SourceAccount=strongroom_server.account_id,
    )
    statement = json.loads(added["Statement"])
    assert statement["Principal"] == {"Service": "secretsmanager.amazonaws.com"}
    policy = json.loads(functions.get_policy(FunctionName=name)["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["SecretsManagerAccess"]
    code, status, _ = error_of(
        functions.add_permission,
        FunctionName=name,
        StatementId="SecretsManagerAccess",
        Action="lambda:InvokeFunction",
        Principal="secretsmanager.amazonaws.com",
    )
    assert (code, status) == ("ResourceConflictException", 409)
    functions.remove_permission(FunctionName=name, StatementId="SecretsManagerAccess")
    assert error_of(functions.get_policy, FunctionName=name)[0] == "ResourceNotFoundException"


def test_builtin_rotators_exist_and_are_fixed(functions: Any, strongroom_server: Any) -> None:
    config = functions.get_function(FunctionName=BUILTIN)["Configuration"]
    assert config["FunctionArn"] == (
        f"arn:aws:lambda:{strongroom_server.region}:{strongroom_server.account_id}"
        f":function:{BUILTIN}"
    )
    assert (config["Runtime"], config["Timeout"], config["MemorySize"]) == ("python3.11", 30, 256)
    assert error_of(create_probe, client=functions, name=BUILTIN)[0] == "ResourceConflictException"
    assert error_of(functions.delete_function, FunctionName=BUILTIN)[0] == (
        "InvalidParameterValueException"
    )
    west = strongroom_server.client("lambda", region_name="eu-west-1")
    assert west.get_function(FunctionName=BUILTIN)["Configuration"]["FunctionArn"].startswith(
        "arn:aws:lambda:eu-west-1:"
    )


def test_packages_are_encrypted_at_rest(functions: Any, strongroom_server: Any) -> None:
    marker = f"marker_{unique('plain').replace('-', '_')}"
    name = unique("probe")
    create_probe(
        functions,
        name,
        Code={"ZipFile": probe_zip(stored=True, extra=f"\n{marker} = 1\n")},
        Environment={"Variables": {"STAGE": marker}},
    )
    assert invoke_json(functions, name, {})["Payload"]["env"]["STAGE"] == marker
    for path, data in data_files(strongroom_server.data_dir).items():
        assert marker.encode() not in data, path


@pytest.mark.slow
def test_functions_survive_a_restart(
    start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    server = start_server(data_dir)
    name = unique("probe")
    ensure_role(server, ROLE)
    create_probe(server.client("lambda"), name)
    server.stop()
    again = start_server(data_dir)
    assert invoke_json(again.client("lambda"), name, {})["Payload"]["version"] == 1


@needs_cli
def test_the_aws_cli_deploys_and_invokes(strongroom_server: ServerProcess, tmp_path: Path) -> None:
    ensure_role(strongroom_server, ROLE)
    package = tmp_path / "function.zip"
    source = "def lambda_handler(event, context):\n    return {'sum': event['a'] + event['b']}\n"
    package.write_bytes(zipped({"lambda_function.py": source}))
    name = unique("cli")
    created = aws_lambda(
        strongroom_server,
        "create-function", "--function-name", name, "--runtime", "python3.12",
        "--handler", HANDLER, "--zip-file", f"fileb://{package}",
        "--role", ROLE,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["FunctionName"] == name
    waited = aws_lambda(strongroom_server, "wait", "function-active-v2", "--function-name", name)
    assert waited.returncode == 0, waited.stderr
    payload = tmp_path / "event.json"
    payload.write_text('{"a": 2, "b": 3}')
    out = tmp_path / "out.json"
    invoked = aws_lambda(
        strongroom_server,
        "invoke", "--function-name", name, "--payload", f"fileb://{payload}", str(out),
    )  # fmt: skip
    assert invoked.returncode == 0, invoked.stderr
    assert json.loads(invoked.stdout)["StatusCode"] == 200
    assert json.loads(out.read_text()) == {"sum": 5}
    permitted = aws_lambda(
        strongroom_server,
        "add-permission", "--function-name", name, "--statement-id", "SecretsManager",
        "--action", "lambda:InvokeFunction", "--principal", "secretsmanager.amazonaws.com",
    )  # fmt: skip
    assert permitted.returncode == 0, permitted.stderr
    listed = aws_lambda(strongroom_server, "list-functions")
    assert listed.returncode == 0, listed.stderr
    assert name in [f["FunctionName"] for f in json.loads(listed.stdout)["Functions"]]
    deleted = aws_lambda(strongroom_server, "delete-function", "--function-name", name)
    assert deleted.returncode == 0, deleted.stderr
    missing = aws_lambda(strongroom_server, "get-function", "--function-name", name)
    assert missing.returncode != 0
    assert "ResourceNotFoundException" in missing.stderr


@pytest.mark.slow
def test_production_refuses_function_code_until_the_operator_allows_it(
    start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    init = run_init(tmp_path / "data")
    server = start_sealed(start_server, init)
    unseal_fully(server, init, init.shares[:3])
    client = server.client("lambda", verify=str(init.ca_path))
    try:
        code, _, message = error_of(create_probe, client=client, name=unique("prod"))
        assert code == "AccessDeniedException"
        assert "allow_function_code" in message
        assert client.get_function(FunctionName=BUILTIN)["Configuration"]["FunctionName"] == BUILTIN
    finally:
        client.close()
        close_clients()
        server.stop()
    allowed = start_sealed(start_server, init, STRONGROOM_ALLOW_FUNCTION_CODE="true")
    unseal_fully(allowed, init, init.shares[:3])
    client = allowed.client("lambda", verify=str(init.ca_path))
    try:
        role = ensure_role(allowed, ROLE, verify=str(init.ca_path))
        name = unique("prod")
        create_probe(client, name, Role=role)
        assert invoke_json(client, name, {})["StatusCode"] == 200
    finally:
        client.close()
        close_clients()


def test_packages_larger_than_the_request_limit_upload_where_code_is_allowed(
    functions: Any, strongroom_server: ServerProcess
) -> None:
    """A 2 MB package (over the 1 MiB `max_body_bytes`) uploads to the function routes, as
    AWS takes it; every other request keeps the limit."""
    bulky = probe_zip(extra=f"\nPADDING = {os.urandom(2 << 20).hex()!r}\n", stored=True)
    assert len(bulky) > 4 << 20
    name = unique("bulky")
    created = create_probe(functions, name, Code={"ZipFile": bulky})
    assert created["CodeSize"] == len(bulky)
    assert invoke_json(functions, name, {})["StatusCode"] == 200
    kms = strongroom_server.client("kms")
    with pytest.raises(ClientError) as refused:
        kms.encrypt(
            KeyId="alias/none", Plaintext=b"x" * 4096, EncryptionContext={"pad": "y" * (2 << 20)}
        )
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413


def test_function_output_reaches_the_server_log_with_the_request_id(
    start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    server = start_server(stderr_path=log)
    client = server.client("lambda")
    ensure_role(server, ROLE)
    name = unique("printer")
    source = "def lambda_handler(event, context):\n    print('printed by', event['who'])\n"
    create_probe(client, name, Code={"ZipFile": zipped({"lambda_function.py": source})})
    client.invoke(FunctionName=name, Payload=b'{"who": "the function"}')
    server.stop()
    lines = log.read_text().splitlines()
    printed = [line for line in lines if "printed by the function" in line]
    assert len(printed) == 1
    invocation = printed[0].split("[", 1)[1].split("]", 1)[0]
    assert any(f"START RequestId: {invocation}" in line for line in lines)
    assert any(f"REPORT RequestId: {invocation}" in line for line in lines)


OPERATOR_PROBE = """
import json, os, urllib.request
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def lambda_handler(event, context):
    url = os.environ["AWS_ENDPOINT_URL"] + "/sys/access-keys"
    request = AWSRequest("POST", url, data=b"{}", headers={"Content-Type": "application/json"})
    credentials = Credentials(
        os.environ["AWS_ACCESS_KEY_ID"],
        os.environ["AWS_SECRET_ACCESS_KEY"],
        os.environ["AWS_SESSION_TOKEN"],
    )
    SigV4Auth(credentials, "strongroom", os.environ["AWS_REGION"]).add_auth(request)
    prepared = urllib.request.Request(url, b"{}", dict(request.headers), method="POST")
    try:
        with urllib.request.urlopen(prepared) as answer:
            return {"status": answer.status, "body": answer.read().decode()}
    except urllib.error.HTTPError as refused:
        return {"status": refused.code, "body": refused.read().decode()}
"""


def test_a_functions_credentials_cannot_use_the_operator_api(functions: Any) -> None:
    """Temporary credentials could otherwise mint a lasting root access key."""
    name = unique("operator")
    create_probe(functions, name, Code={"ZipFile": zipped({"lambda_function.py": OPERATOR_PROBE})})
    answer = invoke_json(functions, name, {})
    assert answer.get("FunctionError") is None, answer["Payload"]
    assert answer["Payload"]["status"] in (400, 403)
    assert "Temporary credentials cannot call the operator API" in answer["Payload"]["body"]


def test_a_function_runs_with_its_roles_rights_only(
    functions: Any, strongroom_server: ServerProcess
) -> None:
    """Each invocation's credentials are a session of the function's role: a role with no
    policy may not even ask for a random password; Lambda refuses a role IAM does not
    hold, or one whose trust policy leaves Lambda out."""
    bare = "arn:aws:iam::123456789012:role/no-rights"
    ensure_role(strongroom_server, bare, policy=None)
    name = unique("bare")
    create_probe(functions, name, Role=bare)
    answer = invoke_json(functions, name, {"action": "call-strongroom"})
    assert answer.get("FunctionError") == "Unhandled"
    assert "AccessDeniedException" in json.dumps(answer["Payload"])
    assert "assumed-role/no-rights/" in json.dumps(answer["Payload"])
    code, status, message = error_of(
        create_probe,
        client=functions,
        name=unique("ghost"),
        Role="arn:aws:iam::123456789012:role/does-not-exist",
    )
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert message == "The role defined for the function cannot be assumed by Lambda."
    iam = strongroom_server.client("iam")
    iam.create_role(
        RoleName="not-for-lambda",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "ec2.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    code, _, _ = error_of(
        create_probe,
        client=functions,
        name=unique("ec2"),
        Role="arn:aws:iam::123456789012:role/not-for-lambda",
    )
    assert code == "InvalidParameterValueException"
    # only the role's exact ARN: not another path, case or partition for the same name
    for alias in (
        "arn:aws:iam::123456789012:role/some/path/no-rights",
        "arn:aws:iam::123456789012:role/NO-RIGHTS",
    ):
        code, _, _ = error_of(create_probe, client=functions, name=unique("alias"), Role=alias)
        assert code == "InvalidParameterValueException", alias
