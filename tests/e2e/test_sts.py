"""STS through its own API (query protocol): GetCallerIdentity and GetSessionToken.

The account root and an IAM user made through IAM ask who they are (boto3 and the
unchanged AWS CLI); the user's session credentials are the user, do what the user may and
nothing more, cannot get another session token, and a tampered token signs nothing.
(Expiry is a unit test: AWS's shortest session is 900 s and sessions follow real time.)
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.e2e.aws_cli import aws_json
from tests.e2e.harness import ACCOUNT_ID, ServerProcess
from tests.e2e.kms_support import error_of
from tests.e2e.own_regions import own_server

server = own_server("sts")


@pytest.fixture(scope="module")
def iam(server: ServerProcess) -> Any:
    return server.client("iam")


def make_user(server: ServerProcess, iam: Any, name: str, path: str = "/") -> dict[str, Any]:
    """A new IAM user with one access key: its record and its key."""
    user = iam.create_user(UserName=name, Path=path)["User"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"User": user, "Key": key}


def client_of(server: ServerProcess, service: str, credentials: dict[str, Any]) -> Any:
    """A boto3 client signed with an access key or session credentials."""
    return server.client(
        service,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials.get("SessionToken"),
    )


def cli_as(server: ServerProcess, credentials: dict[str, Any], *args: str) -> Any:
    """`aws ...` signed with `credentials`; it must succeed; its JSON answer."""
    env = {
        **server.env,
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
    }
    if "SessionToken" in credentials:
        env["AWS_SESSION_TOKEN"] = credentials["SessionToken"]
    result = subprocess.run(
        ["aws", *args, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_root_is_its_account(server: ServerProcess) -> None:
    expected = {
        "UserId": ACCOUNT_ID,
        "Account": ACCOUNT_ID,
        "Arn": f"arn:aws:iam::{ACCOUNT_ID}:root",
    }
    answer = server.client("sts").get_caller_identity()
    assert {k: answer[k] for k in expected} == expected
    assert aws_json(server, "sts", "get-caller-identity") == expected


def test_a_user_and_its_session_are_the_user(server: ServerProcess, iam: Any) -> None:
    made = make_user(server, iam, "alice", "/team/blue/")
    expected = {
        "UserId": made["User"]["UserId"],
        "Account": ACCOUNT_ID,
        "Arn": f"arn:aws:iam::{ACCOUNT_ID}:user/team/blue/alice",
    }
    assert expected["UserId"].startswith("AIDA")
    assert cli_as(server, made["Key"], "sts", "get-caller-identity") == expected
    before = time.time()
    session = cli_as(server, made["Key"], "sts", "get-session-token", "--duration-seconds", "900")
    after = time.time()
    credentials = session["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    expiration = datetime.fromisoformat(credentials["Expiration"]).timestamp()
    assert int(before) + 900 <= expiration <= after + 900
    assert cli_as(server, credentials, "sts", "get-caller-identity") == expected
    answer = client_of(server, "sts", credentials).get_caller_identity()
    assert {k: answer[k] for k in expected} == expected


def test_the_default_duration_and_the_roots_hour(server: ServerProcess, iam: Any) -> None:
    made = make_user(server, iam, "bob")
    before = time.time()
    user = client_of(server, "sts", made["Key"]).get_session_token()["Credentials"]
    root = server.client("sts").get_session_token(DurationSeconds=7200)["Credentials"]
    after = time.time()
    assert int(before) + 43_200 <= user["Expiration"].timestamp() <= after + 43_200
    assert int(before) + 3600 <= root["Expiration"].timestamp() <= after + 3600
    assert client_of(server, "sts", root).get_caller_identity()["UserId"] == ACCOUNT_ID


def test_the_session_does_what_the_user_may_and_nothing_more(
    server: ServerProcess, iam: Any
) -> None:
    made = make_user(server, iam, "carol")
    key = server.client("kms").create_key()["KeyMetadata"]
    document = {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": key["Arn"]}
    iam.put_user_policy(
        UserName="carol",
        PolicyName="encrypt",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [document]}),
    )
    credentials = client_of(server, "sts", made["Key"]).get_session_token()["Credentials"]
    kms = client_of(server, "kms", credentials)
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"allowed")["CiphertextBlob"]
    denied = error_of(kms.decrypt, CiphertextBlob=blob)
    assert denied["Code"] == "AccessDeniedException"
    assert denied["Message"].startswith(
        f"User: arn:aws:iam::{ACCOUNT_ID}:user/carol is not authorized to perform: kms:Decrypt"
    )
    refused = error_of(client_of(server, "iam", credentials).list_users)
    assert (refused["Code"], refused["Status"]) == ("AccessDenied", 403)
    # and the user's rights, not a snapshot: taking them away takes them from the session
    iam.delete_user_policy(UserName="carol", PolicyName="encrypt")
    gone = error_of(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x")
    assert gone["Code"] == "AccessDeniedException"


def test_session_credentials_cannot_get_a_session_token(server: ServerProcess, iam: Any) -> None:
    made = make_user(server, iam, "dave")
    credentials = client_of(server, "sts", made["Key"]).get_session_token()["Credentials"]
    refused = error_of(client_of(server, "sts", credentials).get_session_token)
    assert refused == {
        "Code": "AccessDenied",
        "Message": "Cannot call GetSessionToken with session credentials",
        "Status": 403,
    }


def test_a_tampered_token_is_refused(server: ServerProcess, iam: Any) -> None:
    made = make_user(server, iam, "erin")
    credentials = client_of(server, "sts", made["Key"]).get_session_token()["Credentials"]
    token = credentials["SessionToken"]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (tampered, server.client("sts").get_session_token()["Credentials"]["SessionToken"]):
        refused = error_of(
            client_of(server, "sts", {**credentials, "SessionToken": bad}).get_caller_identity
        )
        assert refused == {
            "Code": "InvalidClientTokenId",
            "Message": "The security token included in the request is invalid.",
            "Status": 403,
        }


def test_mfa_and_out_of_range_durations_are_refused(server: ServerProcess) -> None:
    sts = server.client("sts", validate=False)
    mfa = error_of(sts.get_session_token, SerialNumber="arn:aws:iam::1:mfa/x", TokenCode="123456")
    assert (mfa["Code"], mfa["Status"]) == ("ValidationError", 400)
    assert "MFA" in mfa["Message"]
    for seconds in (899, 129_601):
        wrong = error_of(sts.get_session_token, DurationSeconds=seconds)
        assert (wrong["Code"], wrong["Status"]) == ("ValidationError", 400)


def test_the_roots_session_cannot_use_the_operator_api(server: ServerProcess) -> None:
    """A session of the root acts as the root on the AWS APIs, never on the operator's:
    it could otherwise mint a lasting access key."""
    session = server.client("sts").get_session_token(DurationSeconds=900)["Credentials"]
    url = f"{server.endpoint_url}/sys/access-keys"
    request = AWSRequest("POST", url, data=b"{}", headers={"Content-Type": "application/json"})
    credentials = Credentials(
        session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"]
    )
    SigV4Auth(credentials, "strongroom", server.region).add_auth(request)
    prepared = urllib.request.Request(url, b"{}", dict(request.headers), method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(prepared, timeout=30)
    body = refused.value.read().decode()
    assert refused.value.code in (400, 403)
    assert "Temporary credentials cannot call the operator API" in body
    keys = server.client("iam").list_access_keys()["AccessKeyMetadata"]
    assert all(not key["AccessKeyId"].startswith("ASIA") for key in keys)


def test_a_session_token_cannot_call_iam(server: ServerProcess) -> None:
    """As AWS without MFA: a (root) session cannot reach IAM, so it cannot mint a lasting
    access key; GetCallerIdentity still answers for it."""
    session = server.client("sts").get_session_token(DurationSeconds=900)["Credentials"]
    signed = {
        "aws_access_key_id": session["AccessKeyId"],
        "aws_secret_access_key": session["SecretAccessKey"],
        "aws_session_token": session["SessionToken"],
    }
    before = server.client("iam").list_access_keys()["AccessKeyMetadata"]
    refused = error_of(server.client("iam", **signed).create_access_key)
    assert refused["Code"] == "AccessDenied"
    assert server.client("iam").list_access_keys()["AccessKeyMetadata"] == before
    identity = server.client("sts", **signed).get_caller_identity()
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
