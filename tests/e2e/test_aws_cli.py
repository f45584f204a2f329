"""The unchanged AWS CLI against a dev server, configured only by the exported variables."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.aws_cli import aws_json

pytestmark = pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")


def _aws(server: Any, *args: str) -> Any:
    return aws_json(server, "kms", *args)


def test_create_alias_encrypt_decrypt_with_files(strongroom_server: Any, tmp_path: Path) -> None:
    key = _aws(strongroom_server, "create-key", "--description", "cli")["KeyMetadata"]
    alias = f"alias/cli-{key['KeyId'][:8]}"
    _aws(strongroom_server, "create-alias", "--alias-name", alias, "--target-key-id", key["KeyId"])
    plaintext = tmp_path / "secret.txt"
    plaintext.write_bytes(b"hunter2\n")
    encrypted = _aws(
        strongroom_server,
        "encrypt",
        "--key-id",
        alias,
        "--plaintext",
        f"fileb://{plaintext}",
        "--encryption-context",
        "app=billing",
    )
    assert encrypted["KeyId"] == key["Arn"]
    blob = tmp_path / "secret.bin"
    blob.write_bytes(base64.b64decode(encrypted["CiphertextBlob"]))
    decrypted = _aws(
        strongroom_server,
        "decrypt",
        "--ciphertext-blob",
        f"fileb://{blob}",
        "--encryption-context",
        "app=billing",
    )
    assert base64.b64decode(decrypted["Plaintext"]) == b"hunter2\n"
    assert decrypted["KeyId"] == key["Arn"]
    data_key = _aws(
        strongroom_server, "generate-data-key", "--key-id", alias, "--key-spec", "AES_256"
    )
    assert len(base64.b64decode(data_key["Plaintext"])) == 32


def test_cli_shows_aws_errors(strongroom_server: Any) -> None:
    result = subprocess.run(
        ["aws", "kms", "describe-key", "--key-id", "alias/never-made"],
        env=strongroom_server.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "NotFoundException" in result.stderr
