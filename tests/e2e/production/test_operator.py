"""Production mode end to end: `operator init`, a sealed HTTPS server, unseal, seal, status.

Every server here runs without `--dev`: HTTPS with the certificate `init` made, started
sealed. The `strongroom` CLI, boto3 and the AWS CLI are real processes/clients talking TLS
with the CA file `init` printed. Each refused step checks that nothing changed.
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import secrets
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import SSLError

from strongroom.crypto import shamir
from strongroom.seal.shamir import decode_share
from tests.e2e.harness import REGION, client_config
from tests.e2e.production.support import (
    Init,
    StartServer,
    _open_clients,
    assert_clean_failure,
    assert_sealed,
    aws_cli,
    files_under,
    key_ids,
    kms_of,
    operator,
    parse_status,
    run_cli,
    seal_env,
    start_sealed,
    status_of,
    stop,
    sys_status,
    unseal,
    unseal_fully,
    verified_health,
)

# --- init ---------------------------------------------------------------------------------


def test_init_prints_shares_credentials_and_ca(initialized: Init) -> None:
    shares = initialized.shares
    assert len(shares) == 5 and len(set(shares)) == 5
    raw = [decode_share(share) for share in shares]
    assert all(len(share) == 33 for share in raw)
    assert len({shamir.x_coordinate(share) for share in raw}) == 5
    # Any three shares define the same root key; two do not.
    assert shamir.combine(raw[2:5]) == shamir.combine([raw[0], raw[3], raw[1]])
    assert shamir.combine(raw[:2]) != shamir.combine(raw[:3])
    assert re.fullmatch(r"AKIA[A-Z0-9]{16}", initialized.access_key_id)
    assert len(initialized.secret_access_key) == 40
    assert re.fullmatch(r"\d{12}", initialized.account_id)
    assert initialized.ca_path.is_file()
    assert initialized.ca_path.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    exports = re.findall(r"^export AWS_CA_BUNDLE=(.+)$", initialized.stdout, re.MULTILINE)
    assert exports == [str(initialized.ca_path.resolve())]
    # (That this CA signed the server's certificate is shown by every verified TLS call.)
    # The only private key at rest is the server's own TLS key: the CA key is not kept.
    tls = sorted(path.name for path in (initialized.data_dir / "tls").iterdir())
    assert tls == ["ca.pem", "server-key.pem", "server.pem"]
    private = [
        path
        for path in initialized.data_dir.rglob("*")
        if path.is_file() and b"PRIVATE KEY" in path.read_bytes()
    ]
    assert private == [initialized.data_dir / "tls" / "server-key.pem"]
    assert private[0].stat().st_mode & 0o077 == 0


def test_second_init_fails_cleanly_and_changes_nothing(
    fresh: Init, start_server: StartServer
) -> None:
    before = files_under(fresh.data_dir)
    result = run_cli(
        "operator", "init", "--data-dir", str(fresh.data_dir),
        "--key-shares", "5", "--key-threshold", "3",
    )  # fmt: skip
    assert_clean_failure(result, "already initialized")
    assert "Unseal Key" not in result.stdout and "Secret" not in result.stdout
    assert files_under(fresh.data_dir) == before
    # The first init's shares and access key still rule this directory.
    server = start_sealed(start_server, fresh)
    unseal_fully(server, fresh, fresh.shares[:3])
    assert kms_of(server, fresh).generate_random(NumberOfBytes=8)["Plaintext"]


def test_threshold_above_shares_is_refused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    result = run_cli(
        "operator", "init", "--data-dir", str(data_dir), "--key-shares", "2",
        "--key-threshold", "3",
    )  # fmt: skip
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "threshold cannot exceed" in result.stderr
    assert "Unseal Key" not in result.stdout
    assert not (data_dir / "strongroom.db").exists()
    zero = run_cli("operator", "init", "--data-dir", str(data_dir), "--key-shares", "0")
    assert zero.returncode != 0 and "Traceback" not in zero.stderr
    assert not (data_dir / "strongroom.db").exists()


def test_server_refuses_an_uninitialized_directory(tmp_path: Path) -> None:
    data_dir = tmp_path / "empty"
    result = run_cli("server", "--data-dir", str(data_dir), "--port", "1")
    assert_clean_failure(result, "not initialized", "operator init")


# --- nothing secret at rest ---------------------------------------------------------------


def test_no_share_key_or_plaintext_reaches_the_data_directory(
    fresh: Init, start_server: StartServer
) -> None:
    server = start_sealed(start_server, fresh)
    unseal_fully(server, fresh, fresh.shares[1:4])
    kms = kms_of(server, fresh)
    key_id = kms.create_key(Description="at-rest check")["KeyMetadata"]["KeyId"]
    plaintext = b"e2e-plaintext-" + secrets.token_hex(16).encode()
    blob = kms.encrypt(KeyId=key_id, Plaintext=plaintext)["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == plaintext
    data_key = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")["Plaintext"]

    root_key = fresh.root_key()
    needles: dict[str, bytes] = {
        "root key": root_key,
        "root key (base64)": base64.b64encode(root_key),
        "secret access key": fresh.secret_access_key.encode(),
        "plaintext": plaintext,
        "data key": data_key,
    }
    for number, share in enumerate(fresh.shares, 1):
        needles[f"share {number}"] = share.encode()
        needles[f"share {number} bytes"] = decode_share(share)

    def assert_nothing_secret() -> None:
        files = files_under(fresh.data_dir)
        names = {path.name for path in files}
        assert "strongroom.db" in names
        assert "dev-unseal.key" not in names
        # The scan sees what the server wrote: the key id is in a readable storage path.
        assert any(key_id.encode() in data for data in files.values())
        for path, data in files.items():
            for what, needle in needles.items():
                assert needle not in data, f"{what} found in {path}"

    assert_nothing_secret()  # while running: the WAL holds the fresh writes
    assert any(path.name.endswith("-wal") for path in files_under(fresh.data_dir))
    stop(server)
    assert_nothing_secret()  # after a clean stop (WAL checkpointed into the database)
    for what, needle in needles.items():
        assert needle not in server.stdout, f"{what} printed by the server"


# --- sealed server -----------------------------------------------------------------------


def test_server_starts_sealed_over_https_only(fresh: Init, start_server: StartServer) -> None:
    server = start_sealed(start_server, fresh)
    assert server.endpoint_url.startswith("https://")
    assert_sealed(server, fresh)
    status = status_of(server, fresh)
    assert status == {
        "initialized": "True",
        "sealed": "True",
        "seal type": "shamir",
        "shares": "5",
        "threshold": "3",
        "unseal attempts": "0",
    }
    # Plain HTTP on the same port gets no HTTP answer at all.
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        with pytest.raises((http.client.HTTPException, OSError)):
            connection.request("GET", "/sys/health")
            connection.getresponse()
    finally:
        connection.close()
    # A client that does not trust the init CA refuses the certificate.
    untrusting = boto3.client(
        "kms",
        endpoint_url=server.endpoint_url,
        aws_access_key_id=fresh.access_key_id,
        aws_secret_access_key=fresh.secret_access_key,
        region_name=REGION,
        config=client_config(),
    )
    _open_clients.append(untrusting)
    with pytest.raises(SSLError):
        untrusting.list_keys()
    # Nothing the sealed server was asked to do happened.
    unseal_fully(server, fresh, fresh.shares[:3])
    assert key_ids(kms_of(server, fresh)) == set()


# --- unseal ------------------------------------------------------------------------------


def test_unseal_by_shares_then_boto3_and_aws_cli(
    fresh: Init, start_server: StartServer, tmp_path: Path
) -> None:
    server = start_sealed(start_server, fresh)
    first, second, third = fresh.shares[4], fresh.shares[0], fresh.shares[2]

    status = unseal(server, fresh, first)
    assert (status["sealed"], status["progress"], status["threshold"]) == ("True", "1", "3")
    nonce = status["nonce"]

    not_a_root_key_share = base64.b64encode(b"\x01" + b"\x07" * 10 + b"\x03").decode()
    for garbage, reason in (
        ("garbage!", "not valid base64"),
        ("AQ==", "too short"),
        (base64.b64encode(b"\x09" + b"\x01" * 33).decode(), "unknown format version"),
        (not_a_root_key_share, "not a share of a root key"),
        (first, "already submitted"),
    ):
        refused = operator(server, fresh, "unseal", garbage, "--nonce", nonce)
        assert_clean_failure(refused, "InvalidShare", reason)
        assert garbage not in refused.stderr  # errors never echo a share
        assert sys_status(server, fresh)["unseal_attempts"] == 1

    assert unseal(server, fresh, second, nonce)["progress"] == "2"
    refused = operator(server, fresh, "unseal", second, "--nonce", nonce)
    assert_clean_failure(refused, "already submitted")
    assert_sealed(server, fresh)

    status = unseal(server, fresh, third, nonce)
    assert (status["sealed"], status["progress"]) == ("False", "3")
    assert status_of(server, fresh)["sealed"] == "False"
    assert verified_health(server, fresh) == 200
    # A share after unsealing changes nothing.
    assert unseal(server, fresh, fresh.shares[1])["sealed"] == "False"

    kms = kms_of(server, fresh)
    meta = kms.create_key(Description="after unseal")["KeyMetadata"]
    assert meta["Arn"] == f"arn:aws:kms:{REGION}:{fresh.account_id}:key/{meta['KeyId']}"
    blob = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"boto3 over tls")["CiphertextBlob"]
    decrypted = kms.decrypt(CiphertextBlob=blob)
    assert decrypted["Plaintext"] == b"boto3 over tls" and decrypted["KeyId"] == meta["Arn"]

    created = aws_cli(server, fresh, "kms", "create-key", "--description", "from the aws cli")
    assert created.returncode == 0, created.stderr
    cli_key = json.loads(created.stdout)["KeyMetadata"]["KeyId"]
    plain_file = tmp_path / "f"
    plain_file.write_bytes(b"aws cli plaintext \x00\xff")
    encrypted = aws_cli(
        server, fresh, "kms", "encrypt", "--key-id", cli_key, "--plaintext",
        f"fileb://{plain_file}", "--output", "text", "--query", "CiphertextBlob",
    )  # fmt: skip
    assert encrypted.returncode == 0, encrypted.stderr
    blob_file = tmp_path / "blob"
    blob_file.write_bytes(base64.b64decode(encrypted.stdout.strip()))
    decrypted_cli = aws_cli(
        server, fresh, "kms", "decrypt", "--ciphertext-blob", f"fileb://{blob_file}",
        "--output", "text", "--query", "Plaintext",
    )  # fmt: skip
    assert decrypted_cli.returncode == 0, decrypted_cli.stderr
    assert base64.b64decode(decrypted_cli.stdout.strip()) == b"aws cli plaintext \x00\xff"
    # boto3 reads what the CLI wrote, and the CLI without the CA bundle is refused.
    assert kms.decrypt(CiphertextBlob=blob_file.read_bytes())["KeyId"].endswith(cli_key)
    untrusted = aws_cli(server, fresh, "kms", "list-keys", ca_bundle=False)
    assert untrusted.returncode != 0 and "SSL" in untrusted.stderr
    assert key_ids(kms) == {meta["KeyId"], cli_key}


def test_shares_of_another_init_do_not_unseal(
    fresh: Init, other_init: Init, start_server: StartServer
) -> None:
    server = start_sealed(start_server, fresh)
    foreign = other_init.shares[:3]
    nonce = unseal(server, fresh, foreign[0])["nonce"]
    assert unseal(server, fresh, foreign[1], nonce)["progress"] == "2"
    refused = operator(server, fresh, "unseal", foreign[2], "--nonce", nonce)
    assert_clean_failure(refused, "A share was refused", "do not reconstruct the root key")
    assert sys_status(server, fresh)["unseal_attempts"] == 0
    assert_sealed(server, fresh)

    # Two genuine shares and one foreign one (at another index) fail the same way.
    own = fresh.shares[:2]
    own_x = {shamir.x_coordinate(decode_share(share)) for share in own}
    stranger = next(
        share
        for share in other_init.shares
        if shamir.x_coordinate(decode_share(share)) not in own_x
    )
    nonce = unseal(server, fresh, own[0])["nonce"]
    unseal(server, fresh, own[1], nonce)
    refused = operator(server, fresh, "unseal", stranger, "--nonce", nonce)
    assert_clean_failure(refused, "reconstruct")
    assert sys_status(server, fresh)["unseal_attempts"] == 0
    assert_sealed(server, fresh)

    # The server is not broken: its own shares still unseal it.
    unseal_fully(server, fresh, fresh.shares[2:5])
    assert key_ids(kms_of(server, fresh)) == set()


def test_too_few_shares_leave_it_sealed_and_reset_forgets_them(
    fresh: Init, start_server: StartServer
) -> None:
    server = start_sealed(start_server, fresh)
    nonce = unseal(server, fresh, fresh.shares[0])["nonce"]
    assert unseal(server, fresh, fresh.shares[1], nonce)["progress"] == "2"
    assert_sealed(server, fresh)
    assert_clean_failure(operator(server, fresh, "unseal", "--reset"), "--nonce")
    reset = operator(server, fresh, "unseal", "--reset", "--nonce", nonce)
    assert reset.returncode == 0, reset.stderr
    assert parse_status(reset.stdout)["unseal attempts"] == "0"
    # The reset attempt is gone: its nonce takes no more shares.
    refused = operator(server, fresh, "unseal", fresh.shares[2], "--nonce", nonce)
    assert_clean_failure(refused, "InvalidNonce")
    # A new attempt starts from one share again.
    assert unseal(server, fresh, fresh.shares[2])["progress"] == "1"
    assert_sealed(server, fresh)


# --- seal and restart --------------------------------------------------------------------


def test_seal_needs_credentials_and_restart_comes_back_sealed(
    fresh: Init, start_server: StartServer
) -> None:
    server = start_sealed(start_server, fresh)
    unseal_fully(server, fresh, fresh.shares[:3])
    kms = kms_of(server, fresh)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"kept across seal and restart")["CiphertextBlob"]

    for env, reason in (
        (seal_env(fresh, AWS_ACCESS_KEY_ID="", AWS_SECRET_ACCESS_KEY=""), "AWS_ACCESS_KEY_ID"),
        (seal_env(fresh, AWS_SECRET_ACCESS_KEY="x" * 40), "InvalidSignatureException"),
        (seal_env(fresh, AWS_ACCESS_KEY_ID="AKIAUNKNOWNKEY000000"), "UnrecognizedClient"),
    ):
        assert_clean_failure(operator(server, fresh, "seal", env=env), reason)
        assert verified_health(server, fresh) == 200
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"kept across seal and restart"

    sealed = operator(server, fresh, "seal", env=seal_env(fresh))
    assert sealed.returncode == 0, sealed.stderr
    assert parse_status(sealed.stdout)["sealed"] == "True"
    assert_sealed(server, fresh)
    # A share given before the restart is not remembered by the next process.
    unseal(server, fresh, fresh.shares[0])

    stop(server)
    restarted = start_sealed(start_server, fresh)
    assert_sealed(restarted, fresh)
    assert sys_status(restarted, fresh)["unseal_attempts"] == 0
    unseal_fully(restarted, fresh, fresh.shares[2:])
    again = kms_of(restarted, fresh)
    assert again.decrypt(CiphertextBlob=blob)["Plaintext"] == b"kept across seal and restart"
    assert key_ids(again) == {key_id}


def test_status_reports_progress_and_refuses_an_untrusted_server(
    fresh: Init, other_init: Init, start_server: StartServer
) -> None:
    server = start_sealed(start_server, fresh)
    result = operator(server, fresh, "status")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(re.fullmatch(r"Initialized\s+True", line) for line in lines)
    assert any(re.fullmatch(r"Sealed\s+True", line) for line in lines)
    assert any(re.fullmatch(r"Unseal attempts\s+0", line) for line in lines)
    unseal(server, fresh, fresh.shares[3])
    assert status_of(server, fresh)["unseal attempts"] == "1"
    # Another init's CA does not vouch for this server: a clean refusal, nothing sent.
    untrusted = run_cli(
        "operator", "status", "--address", server.endpoint_url,
        "--ca-cert", str(other_init.ca_path),
    )  # fmt: skip
    assert_clean_failure(untrusted, "CERTIFICATE_VERIFY_FAILED")
    refused = run_cli(
        "operator", "unseal", fresh.shares[4], "--address", server.endpoint_url,
        "--ca-cert", str(other_init.ca_path),
    )  # fmt: skip
    assert_clean_failure(refused, "CERTIFICATE_VERIFY_FAILED")
    assert fresh.shares[4] not in refused.stderr
    assert sys_status(server, fresh)["unseal_attempts"] == 1
