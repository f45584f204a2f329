"""Unsealing cannot be spoiled by a stranger: attempts named by nonces, a rate limit per
client address, and shares that never leave over plain HTTP for another host.

The stranger is an unauthenticated HTTPS client posting to /sys/unseal, as anyone who can
reach the port could; the operators use the `strongroom operator` CLI.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from typing import Any

from tests.e2e.harness import ServerProcess
from tests.e2e.production.support import (
    Init,
    StartServer,
    assert_clean_failure,
    assert_sealed,
    key_ids,
    kms_of,
    run_cli,
    start_sealed,
    sys_status,
    unseal,
)


def post_unseal(server: ServerProcess, init: Init, body: dict[str, Any]) -> tuple[int, Any]:
    """A stranger's POST /sys/unseal over TLS: (status, decoded answer)."""
    context = ssl.create_default_context(cafile=str(init.ca_path))
    request = urllib.request.Request(
        f"{server.endpoint_url}/sys/unseal",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_strangers_shares_cannot_spoil_the_operators_attempt(
    fresh: Init, other_init: Init, start_server: StartServer
) -> None:
    server = start_sealed(start_server, fresh)
    nonce = unseal(server, fresh, fresh.shares[0])["nonce"]
    assert unseal(server, fresh, fresh.shares[1], nonce)["progress"] == "2"

    # Well-formed shares of another root key, sent without a nonce, start the stranger's
    # own attempt; completing it fails that attempt only.
    foreign = other_init.shares
    status, answer = post_unseal(server, fresh, {"key": foreign[0]})
    assert status == 200 and answer["progress"] == 1 and answer["nonce"] != nonce
    stranger_nonce = answer["nonce"]
    assert post_unseal(server, fresh, {"key": foreign[1], "nonce": stranger_nonce})[0] == 200
    third = foreign[2]
    status, answer = post_unseal(server, fresh, {"key": third, "nonce": stranger_nonce})
    assert status == 400 and answer["__type"] == "InvalidUnsealKeys"
    assert "A share was refused" in answer["message"] and third not in answer["message"]

    # Guessed nonces, garbage shares and resets without the nonce touch nothing.
    for body in (
        {"key": foreign[3], "nonce": "0" * 32},
        {"key": foreign[3], "nonce": nonce[:-1] + ("0" if nonce[-1] != "0" else "1")},
        {"reset": True, "nonce": "f" * 32},
        {"reset": True},
        {"key": "garbage"},
        {"key": fresh.shares[2], "nonce": 12},
    ):
        status, answer = post_unseal(server, fresh, body)
        assert 400 <= status < 500, (body, status, answer)
    assert sys_status(server, fresh)["unseal_attempts"] == 1
    assert_sealed(server, fresh)

    # The operators' attempt still holds its two shares: the third unseals.
    status_after = unseal(server, fresh, fresh.shares[2], nonce)
    assert status_after["sealed"] == "False" and status_after["progress"] == "3"
    assert key_ids(kms_of(server, fresh)) == set()


def test_unseal_calls_are_rate_limited_per_client_address(
    fresh: Init, start_server: StartServer
) -> None:
    server = start_sealed(start_server, fresh)
    answers = [post_unseal(server, fresh, {"key": "garbage"}) for _ in range(40)]
    statuses = [status for status, _ in answers]
    assert 400 in statuses and 429 in statuses
    throttled = next(answer for status, answer in answers if status == 429)
    assert throttled["__type"] == "ThrottlingException"
    # Once throttled, even a genuine share from this address is refused, and changes nothing.
    assert post_unseal(server, fresh, {"key": fresh.shares[0]})[0] == 429
    assert sys_status(server, fresh)["unseal_attempts"] == 0
    assert_sealed(server, fresh)


def test_the_cli_sends_no_share_over_plain_http_to_another_host(
    initialized: Init,
) -> None:
    share = initialized.shares[0]
    for address in ("http://strongroom.invalid:8340", "http://[2001:db8::1]:8340"):
        for args in (("unseal", share), ("rekey", "submit", "--nonce", "n", share)):
            refused = run_cli("operator", *args, "--address", address)
            assert_clean_failure(refused, "plain HTTP")
            assert share not in refused.stderr + refused.stdout
    # The check names the risk, not the share, when the share is prompted for too.
    refused = run_cli("operator", "unseal", "--address", "http://strongroom.invalid")
    assert_clean_failure(refused, "plain HTTP")


def test_a_dev_server_on_loopback_http_is_fine_for_the_cli(start_server: StartServer) -> None:
    server = start_server()
    result = run_cli("operator", "unseal", "some-share", "--address", server.endpoint_url)
    # A dev server is unsealed already: the share is not needed and nothing fails.
    assert result.returncode == 0, result.stderr
    assert "Sealed       False" in result.stdout
