"""Parameter Store SecureString end to end: values encrypted through Strongroom's own KMS,
customer keys whose state changes under a parameter, secret references, and plaintext that
never reaches a file, a log or an error.

Invariants checked:
- the first SecureString without a KeyId creates `alias/aws/ssm` (KeyManager AWS, policy
  `auto-ssm-2`) once per account and region, however many parameters and workers; a
  String creates no key;
- a value of at most 4,096 bytes is stored as a KMS ciphertext blob: GetParameter without
  decryption returns it (base64) and KMS Decrypt with `{"PARAMETER_ARN": <arn>}` opens it,
  with no other context;
- with a customer key named by id, ARN or alias: a disabled key (or one pending deletion)
  makes decryption and new versions fail with InvalidKeyId and changes nothing, while the
  ciphertext and the metadata stay readable; re-enabling restores; a disabled or unknown
  key creates no parameter and no version;
- an 8,000-byte Advanced SecureString (envelope encryption) round-trips; by-path reads and
  the history decrypt every version, whatever key each was sealed under;
- `/aws/reference/secretsmanager/<secret>[:<version id or label>]` reads the secret as AWS
  answers it, only WithDecryption;
- a canary value stored, read back or carried by a refused call appears in no error
  message, no file of the data directory and no line the server logged (raw, hex, base64).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.answers import plain
from tests.e2e.at_rest import data_files
from tests.e2e.canary import debug_server, holders, new_canary, pieces, printed
from tests.e2e.concurrently import in_threads
from tests.e2e.harness import ACCOUNT_ID, REGION, ServerProcess
from tests.e2e.kms_support import error_of, new_key
from tests.e2e.managed_keys import aws_managed_keys, managed_aliases, the_managed_key
from tests.e2e.pages import every_entry

MANAGED_ALIAS = "alias/aws/ssm"
SECURE = "SecureString"
KEY_FORMS = ("id", "arn", "alias")


def _name(prefix: str) -> str:
    return f"/e2e-secure/{prefix}-{uuid.uuid4().hex[:12]}"


def _arn(name: str, region: str = REGION) -> str:
    return f"arn:aws:ssm:{region}:{ACCOUNT_ID}:parameter/{name.removeprefix('/')}"


def _text(size: int) -> str:
    """A random ASCII value of exactly `size` bytes."""
    return secrets.token_hex(size)[:size]


def _history(ssm: Any, name: str, decrypt: bool = False) -> list[dict[str, Any]]:
    """Every version of a parameter, through pages of two."""
    return every_entry(
        ssm.get_parameter_history, "Parameters", Name=name, WithDecryption=decrypt, MaxResults=2
    )


def _described(ssm: Any, name: str) -> list[dict[str, Any]]:
    page = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])
    return page["Parameters"]  # type: ignore[no-any-return]


def _state(ssm: Any, name: str) -> dict[str, Any]:
    """What anyone may read of a parameter without decrypting it."""
    return {
        "current": plain(ssm.get_parameter(Name=name))["Parameter"],
        "history": _history(ssm, name),
        "described": _described(ssm, name),
    }


def _key_ref(kms: Any, form: str) -> tuple[str, dict[str, Any]]:
    """(how the caller names it, KeyMetadata) of a fresh customer key."""
    key = new_key(kms)
    if form == "alias":
        alias = f"alias/e2e-ssm-{uuid.uuid4().hex[:12]}"
        kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
        return alias, key
    return (key["KeyId"] if form == "id" else key["Arn"]), key


# --- the AWS managed key ------------------------------------------------------------


def test_first_secure_string_creates_the_managed_key_once(
    start_server: Callable[..., ServerProcess],
) -> None:
    server = start_server()
    ssm, kms = server.client("ssm"), server.client("kms")
    ssm.put_parameter(Name=_name("plain"), Value="v", Type="String")
    ssm.put_parameter(Name=_name("list"), Value="a,b", Type="StringList")
    assert managed_aliases(kms, MANAGED_ALIAS) == [] and kms.list_keys()["Keys"] == []

    first = _name("first")
    assert ssm.put_parameter(Name=first, Value="one", Type=SECURE)["Version"] == 1
    aliases, key = the_managed_key(kms, MANAGED_ALIAS, "auto-ssm-2")
    assert [d["KeyId"] for d in _described(ssm, first)] == [MANAGED_ALIAS]
    assert [h["KeyId"] for h in _history(ssm, first)] == [MANAGED_ALIAS]
    shown = ssm.get_parameter(Name=first)["Parameter"]["Value"]
    assert shown != "one" and b"one" not in base64.b64decode(shown, validate=True)

    for n in range(4):
        name = _name(f"more{n}")
        ssm.put_parameter(Name=name, Value=f"v{n}", Type=SECURE)
        ssm.put_parameter(Name=name, Value=f"w{n}", Overwrite=True)
    ssm.put_parameter(Name=_name("big"), Value=_text(6000), Type=SECURE, Tier="Advanced")
    assert managed_aliases(kms, MANAGED_ALIAS) == aliases
    assert aws_managed_keys(kms) == [key["KeyId"]]
    assert ssm.get_parameter(Name=first, WithDecryption=True)["Parameter"]["Value"] == "one"


def test_managed_key_outlives_a_restart_and_is_per_region(
    start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    server = start_server(data_dir)
    before = _name("before")
    server.client("ssm").put_parameter(Name=before, Value="kept", Type=SECURE)
    key_id = server.client("kms").describe_key(KeyId=MANAGED_ALIAS)["KeyMetadata"]["KeyId"]
    server.stop()

    server = start_server(data_dir)
    ssm, kms = server.client("ssm"), server.client("kms")
    ssm.put_parameter(Name=_name("after"), Value="new", Type=SECURE)
    assert [a["TargetKeyId"] for a in managed_aliases(kms, MANAGED_ALIAS)] == [key_id]
    assert aws_managed_keys(kms) == [key_id]
    assert ssm.get_parameter(Name=before, WithDecryption=True)["Parameter"]["Value"] == "kept"

    west_ssm = server.client("ssm", region_name="eu-west-1")
    west_kms = server.client("kms", region_name="eu-west-1")
    assert managed_aliases(west_kms, MANAGED_ALIAS) == []
    west = _name("west")
    west_ssm.put_parameter(Name=west, Value="w", Type=SECURE)
    west_key = west_kms.describe_key(KeyId=MANAGED_ALIAS)["KeyMetadata"]
    assert west_key["Arn"].startswith("arn:aws:kms:eu-west-1:") and west_key["KeyId"] != key_id
    assert aws_managed_keys(kms) == [key_id]
    assert west_ssm.get_parameter(Name=west, WithDecryption=True)["Parameter"]["Value"] == "w"


def test_concurrent_first_secure_strings_on_two_workers_make_one_managed_key(
    start_server: Callable[..., ServerProcess],
) -> None:
    server = start_server(extra_args=["--workers", "2"])
    names = [_name(f"race{n}") for n in range(12)]
    clients = [server.client("ssm") for _ in names]  # own connections each

    def put(index: int) -> None:
        clients[index].put_parameter(Name=names[index], Value=names[index], Type=SECURE)

    in_threads(len(names), put)
    kms = server.client("kms")
    assert len(managed_aliases(kms, MANAGED_ALIAS)) == 1 and len(aws_managed_keys(kms)) == 1
    for _ in range(4):  # fresh clients: reads spread over both workers
        ssm = server.client("ssm")
        for name in names:
            assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == name


# --- the stored ciphertext is a KMS blob --------------------------------------------


def test_short_ciphertext_is_a_kms_blob_bound_to_the_parameter_arn(
    strongroom_server: ServerProcess,
) -> None:
    ssm, kms = strongroom_server.client("ssm"), strongroom_server.client("kms")
    key = new_key(kms)
    name, other = _name("blob"), _name("other")
    values = ["short secret", _text(4096)]  # 4,096 bytes: still one KMS Encrypt
    ssm.put_parameter(Name=name, Value=values[0], Type=SECURE, KeyId=key["KeyId"])
    ssm.put_parameter(Name=name, Value=values[1], KeyId=key["Arn"], Overwrite=True)
    ssm.put_parameter(Name=other, Value="other", Type=SECURE, KeyId=key["KeyId"])
    arn = ssm.get_parameter(Name=name)["Parameter"]["ARN"]
    assert arn == _arn(name)

    for version, value in enumerate(values, start=1):
        shown = ssm.get_parameter(Name=f"{name}:{version}")["Parameter"]
        assert shown["Type"] == SECURE and shown["Value"] != value
        listed = ssm.get_parameters(Names=[f"{name}:{version}"])["Parameters"]
        assert [p["Value"] for p in listed] == [shown["Value"]]
        blob = base64.b64decode(shown["Value"], validate=True)
        opened = kms.decrypt(CiphertextBlob=blob, EncryptionContext={"PARAMETER_ARN": arn})
        assert opened["Plaintext"] == value.encode() and opened["KeyId"] == key["Arn"]
        wrong = {"PARAMETER_ARN": _arn(other)}
        error = error_of(kms.decrypt, CiphertextBlob=blob, EncryptionContext=wrong)
        assert error["Code"] == "InvalidCiphertextException"
        assert error_of(kms.decrypt, CiphertextBlob=blob)["Code"] == "InvalidCiphertextException"
        decrypted = ssm.get_parameter(Name=f"{name}:{version}", WithDecryption=True)
        assert decrypted["Parameter"]["Value"] == value


# --- customer keys whose state changes ----------------------------------------------


def _refused_while_unusable(ssm: Any, name: str, key_ref: str) -> None:
    """With the key unusable: decryption and new versions fail with InvalidKeyId, the
    ciphertext and metadata stay readable, and nothing changes."""
    before = _state(ssm, name)
    for reference in (name, f"{name}:1", _arn(name)):
        error = error_of(ssm.get_parameter, Name=reference, WithDecryption=True)
        assert error["Code"] == "InvalidKeyId", error
    error = error_of(ssm.get_parameter_history, Name=name, WithDecryption=True)
    assert error["Code"] == "InvalidKeyId"
    again = error_of(ssm.put_parameter, Name=name, Value="n", KeyId=key_ref, Overwrite=True)
    assert again["Code"] == "InvalidKeyId"
    assert _state(ssm, name) == before
    shown = ssm.get_parameters(Names=[name])["Parameters"]
    assert [p["Value"] for p in shown] == [before["current"]["Value"]]


@pytest.mark.parametrize("form", KEY_FORMS)
def test_disabled_key_refuses_decryption_and_changes_nothing(
    strongroom_server: ServerProcess, form: str
) -> None:
    ssm, kms = strongroom_server.client("ssm"), strongroom_server.client("kms")
    key_ref, key = _key_ref(kms, form)
    name = _name(f"disabled-{form}")
    ssm.put_parameter(Name=name, Value="first", Type=SECURE, KeyId=key_ref)
    ssm.put_parameter(Name=name, Value="second", Type=SECURE, KeyId=key_ref, Overwrite=True)
    (described,) = _described(ssm, name)
    assert described["KeyId"] in (key_ref, key["KeyId"], key["Arn"])  # the key, not the default

    kms.disable_key(KeyId=key["KeyId"])
    _refused_while_unusable(ssm, name, key_ref)
    message = error_of(ssm.get_parameter, Name=name, WithDecryption=True)["Message"]
    assert "DisabledException" in message

    kms.enable_key(KeyId=key["KeyId"])
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "second"
    assert ssm.get_parameter(Name=f"{name}:1", WithDecryption=True)["Parameter"]["Value"] == (
        "first"
    )
    assert ssm.put_parameter(Name=name, Value="third", Overwrite=True)["Version"] == 3
    assert [h["Value"] for h in _history(ssm, name, decrypt=True)] == ["first", "second", "third"]


def test_key_pending_deletion_refuses_decryption_until_cancelled(
    strongroom_server: ServerProcess,
) -> None:
    ssm, kms = strongroom_server.client("ssm"), strongroom_server.client("kms")
    key = new_key(kms)
    name = _name("pending")
    ssm.put_parameter(Name=name, Value="kept", Type=SECURE, KeyId=key["Arn"])
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    _refused_while_unusable(ssm, name, key["Arn"])
    kms.cancel_key_deletion(KeyId=key["KeyId"])  # the key is left Disabled
    assert error_of(ssm.get_parameter, Name=name, WithDecryption=True)["Code"] == "InvalidKeyId"
    kms.enable_key(KeyId=key["KeyId"])
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "kept"


def test_unusable_key_creates_no_parameter_and_no_version(
    start_server: Callable[..., ServerProcess],
) -> None:
    server = start_server()
    ssm, kms = server.client("ssm"), server.client("kms")
    disabled = new_key(kms)
    kms.disable_key(KeyId=disabled["KeyId"])
    missing = str(uuid.uuid4())
    refs = [
        disabled["KeyId"],
        disabled["Arn"],
        missing,
        f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/{missing}",
        "alias/never-made",
    ]
    name = _name("nokey")
    for key_ref in refs:
        error = error_of(ssm.put_parameter, Name=name, Value="x", Type=SECURE, KeyId=key_ref)
        assert error["Code"] == "InvalidKeyId", (key_ref, error)
        assert error_of(ssm.get_parameter, Name=name)["Code"] == "ParameterNotFound"
        assert error_of(ssm.get_parameter_history, Name=name)["Code"] == "ParameterNotFound"
        assert ssm.describe_parameters()["Parameters"] == []
    assert managed_aliases(kms, MANAGED_ALIAS) == []  # a named key never falls back to the default

    good = new_key(kms)
    assert ssm.put_parameter(Name=name, Value="x", Type=SECURE, KeyId=good["KeyId"])["Version"] == 1
    before = _state(ssm, name)
    for key_ref in refs:
        error = error_of(
            ssm.put_parameter, Name=name, Value="y", Type=SECURE, KeyId=key_ref, Overwrite=True
        )
        assert error["Code"] == "InvalidKeyId", (key_ref, error)
        assert _state(ssm, name) == before
    assert ssm.put_parameter(Name=name, Value="z", Overwrite=True)["Version"] == 2
    assert [h["Version"] for h in _history(ssm, name)] == [1, 2]


# --- long values, paths and history -------------------------------------------------


@pytest.mark.parametrize("form", ["managed", "alias"])
def test_advanced_secure_string_of_8000_bytes_round_trips(
    strongroom_server: ServerProcess, form: str
) -> None:
    ssm, kms = strongroom_server.client("ssm"), strongroom_server.client("kms")
    key_ref, key = _key_ref(kms, form) if form != "managed" else (None, None)
    with_key = {"KeyId": key_ref} if key_ref else {}
    name, value = _name("advanced"), _text(8000)
    put = ssm.put_parameter(Name=name, Value=value, Type=SECURE, Tier="Advanced", **with_key)
    assert (put["Version"], put["Tier"]) == (1, "Advanced")
    shown = ssm.get_parameter(Name=name)["Parameter"]
    assert value.encode() not in base64.b64decode(shown["Value"], validate=True)
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == value
    (entry,) = _history(ssm, name, decrypt=True)
    assert entry["Value"] == value and entry["Tier"] == "Advanced"
    too_long = error_of(ssm.put_parameter, Name=name, Value=_text(8193), Overwrite=True)
    assert too_long["Code"] == "ValidationException"
    assert ssm.get_parameter(Name=name)["Parameter"] == shown  # nothing changed
    if key is not None:
        kms.disable_key(KeyId=key["KeyId"])
        error = error_of(ssm.get_parameter, Name=name, WithDecryption=True)
        assert error["Code"] == "InvalidKeyId"
        kms.enable_key(KeyId=key["KeyId"])
        assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == value


def test_by_path_and_history_decrypt_every_version(strongroom_server: ServerProcess) -> None:
    ssm, kms = strongroom_server.client("ssm"), strongroom_server.client("kms")
    alias, _ = _key_ref(kms, "alias")
    key_arn, _ = _key_ref(kms, "arn")
    root = _name("tree")
    name = f"{root}/mixed"
    versions = [
        ({}, "under the managed key"),
        ({"KeyId": key_arn}, "under a key named by ARN"),
        ({"KeyId": alias, "Tier": "Advanced"}, _text(7000)),
        ({"KeyId": alias}, "short again, still Advanced"),
        ({"KeyId": key_arn}, "back under the ARN"),
    ]
    for n, (options, value) in enumerate(versions):
        ssm.put_parameter(Name=name, Value=value, Type=SECURE, Overwrite=n > 0, **options)
    history = _history(ssm, name, decrypt=True)
    assert [h["Version"] for h in history] == [1, 2, 3, 4, 5]
    assert [h["Value"] for h in history] == [value for _, value in versions]
    assert [h["KeyId"] for h in history] == [MANAGED_ALIAS, key_arn, alias, alias, key_arn]
    hidden = _history(ssm, name)
    assert all(h["Value"] != value for h, (_, value) in zip(hidden, versions, strict=True))
    for version, (_, value) in enumerate(versions, start=1):
        read = ssm.get_parameter(Name=f"{name}:{version}", WithDecryption=True)
        assert read["Parameter"]["Value"] == value

    expected = {name: versions[-1][1]}
    for n, options in enumerate([{}, {"KeyId": alias}, {"KeyId": key_arn, "Tier": "Advanced"}]):
        child = f"{root}/deep/p{n}"
        expected[child] = _text(5000) if "Tier" in options else f"child {n}"
        ssm.put_parameter(Name=child, Value=expected[child], Type=SECURE, **options)
    expected[f"{root}/plain"] = "not secret"
    ssm.put_parameter(Name=f"{root}/plain", Value="not secret", Type="String")
    by_path = every_entry(
        ssm.get_parameters_by_path,
        "Parameters",
        Path=root,
        Recursive=True,
        WithDecryption=True,
        MaxResults=2,
    )
    assert {p["Name"]: p["Value"] for p in by_path} == expected
    hidden_page = ssm.get_parameters_by_path(Path=f"{root}/deep", MaxResults=10)
    assert len(hidden_page["Parameters"]) == 3
    assert all(p["Value"] != expected[p["Name"]] for p in hidden_page["Parameters"])


# --- secrets referenced through Parameter Store -------------------------------------


def _source(parameter: dict[str, Any]) -> dict[str, Any]:
    """SourceResult parsed, its keys lower-cased (AWS writes `ARN` and `name`, ...)."""
    return {k.lower(): v for k, v in json.loads(parameter["SourceResult"]).items()}


def test_secret_reference_reads_the_secret_as_aws_does(strongroom_server: ServerProcess) -> None:
    ssm = strongroom_server.client("ssm")
    sm = strongroom_server.client("secretsmanager")
    secret = f"e2e-ref/{uuid.uuid4().hex[:12]}"
    created = sm.create_secret(Name=secret, SecretString="first value")
    sm.put_secret_value(SecretId=secret, SecretString="second value")
    reference = f"/aws/reference/secretsmanager/{secret}"
    stages = sm.describe_secret(SecretId=secret)["VersionIdsToStages"]
    current_id = next(v for v, labels in stages.items() if "AWSCURRENT" in labels)

    reads = [
        (reference, None, current_id, "second value"),
        (f"{reference}:AWSPREVIOUS", ":AWSPREVIOUS", created["VersionId"], "first value"),
        (f"{reference}:{created['VersionId']}", f":{created['VersionId']}", created["VersionId"],
         "first value"),
        (f"{reference}:{current_id}", f":{current_id}", current_id, "second value"),
    ]  # fmt: skip
    for asked, selector, version_id, value in reads:
        parameter = ssm.get_parameter(Name=asked, WithDecryption=True)["Parameter"]
        assert parameter["Value"] == value
        assert parameter["Type"] == SECURE and parameter["Version"] == 0
        assert parameter["Name"] == reference  # as asked, without the selector
        assert parameter["ARN"] == created["ARN"]
        assert parameter.get("Selector") == selector
        source = _source(parameter)
        assert source["arn"] == created["ARN"] and source["name"] == secret
        assert source["versionid"] == version_id
        assert source["versionstages"] == stages[version_id]
        read = sm.get_secret_value(SecretId=secret, VersionId=version_id)
        assert parameter["LastModifiedDate"] == read["CreatedDate"]

    listed = ssm.get_parameters(Names=[reference, f"{reference}-missing"], WithDecryption=True)
    assert [p["Value"] for p in listed["Parameters"]] == ["second value"]
    assert listed["InvalidParameters"] == [f"{reference}-missing"]
    error = error_of(ssm.get_parameter, Name=reference)
    assert error["Code"] == "ValidationException"
    error = error_of(ssm.get_parameter, Name=reference, WithDecryption=False)
    assert error["Code"] == "ValidationException"
    missing = error_of(ssm.get_parameter, Name=f"{reference}-missing", WithDecryption=True)
    assert missing["Code"] == "ParameterNotFound"
    assert sm.get_secret_value(SecretId=secret)["SecretString"] == "second value"


# --- plaintext reaches no file, log or error ----------------------------------------


def _refused_calls(server: ServerProcess, existing: str) -> list[dict[str, Any]]:
    """SecureString puts that carry a fresh canary and fail; (error, canary) of each."""
    ssm, raw = server.client("ssm"), server.client("ssm", validate=False)
    kms = server.client("kms")
    disabled = new_key(kms)["KeyId"]
    kms.disable_key(KeyId=disabled)
    fresh = _name("refused")
    attempts: list[tuple[Any, dict[str, Any], str]] = [
        (ssm, {"Name": "/aws/canary/reserved"}, "AccessDeniedException"),
        (ssm, {"Name": "ssm-canary"}, "ValidationException"),
        (ssm, {"Name": "/aws/reference/secretsmanager/x"}, "AccessDeniedException"),
        (ssm, {"Name": existing}, "ParameterAlreadyExists"),
        (ssm, {"Name": fresh, "AllowedPattern": "^[0-9]+$"}, "ParameterPatternMismatchException"),
        (ssm, {"Name": fresh, "AllowedPattern": "(unclosed"}, "InvalidAllowedPatternException"),
        (ssm, {"Name": fresh, "KeyId": disabled}, "InvalidKeyId"),
        (ssm, {"Name": fresh, "KeyId": "alias/none"}, "InvalidKeyId"),
        (ssm, {"Name": fresh, "DataType": "aws:ec2:image"}, "ValidationException"),
        (ssm, {"Name": existing, "Overwrite": True, "Tags": [{"Key": "k", "Value": "v"}]}, ""),
        (ssm, {"Name": fresh, "Policies": "not json"}, ""),
        (ssm, {"Name": fresh, "Tier": "Standard", "Policies": _EXPIRY}, "ValidationException"),
        (raw, {"Name": fresh, "Tier": "Nonsense"}, "ValidationException"),
    ]
    outcomes = []
    for client, params, code in attempts:
        canary = new_canary()
        error = error_of(client.put_parameter, Value=canary, Type=SECURE, **params)
        assert code in ("", error["Code"]), (params, error)
        outcomes.append({**error, "canary": canary})
    wrong_type = new_canary()
    error = error_of(
        ssm.put_parameter, Name=existing, Value=wrong_type, Type="String", Overwrite=True
    )
    outcomes.append({**error, "canary": wrong_type})
    for tier, size in (("Standard", 4097), ("Advanced", 8193)):
        canary = new_canary(size)
        error = error_of(ssm.put_parameter, Name=fresh, Value=canary, Type=SECURE, Tier=tier)
        assert error["Code"] == "ValidationException", error
        outcomes.append({**error, "canary": canary})
    canary = new_canary()
    error = error_of(raw.put_parameter, Name=fresh, Value={"v": canary}, Type=SECURE)
    outcomes.append({**error, "canary": canary})
    assert error_of(ssm.get_parameter, Name=fresh)["Code"] == "ParameterNotFound"
    return outcomes


_EXPIRY = (
    '[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2099-01-01T00:00:00Z"}}]'
)


def test_canary_values_reach_no_file_log_or_error(
    start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    server = debug_server(start_server, tmp_path)
    data_dir = server.data_dir
    ssm, kms = server.client("ssm"), server.client("kms")
    key = new_key(kms)["KeyId"]
    short, longer, big = new_canary(), new_canary(), new_canary(6000)
    name, big_name = _name("canary"), _name("canary-big")
    ssm.put_parameter(Name=name, Value=short, Type=SECURE)
    ssm.put_parameter(Name=name, Value=longer, Type=SECURE, Overwrite=True)
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["first"])
    ssm.put_parameter(Name=big_name, Value=big, Type=SECURE, Tier="Advanced", KeyId=key)
    assert ssm.get_parameter(Name=f"{name}:first", WithDecryption=True)["Parameter"]["Value"] == (
        short
    )
    assert ssm.get_parameter(Name=big_name, WithDecryption=True)["Parameter"]["Value"] == big
    history = _history(ssm, name, decrypt=True)
    assert [h["Value"] for h in history] == [short, longer]
    by_path = ssm.get_parameters_by_path(Path="/e2e-secure", WithDecryption=True)["Parameters"]
    assert {p["Value"] for p in by_path} == {longer, big}
    listed = ssm.get_parameters(Names=[name, big_name], WithDecryption=True)["Parameters"]
    assert sorted(p["Value"] for p in listed) == sorted([longer, big])

    refused = _refused_calls(server, name)
    for outcome in refused:
        text = f"{outcome['Code']} {outcome['Message']}".encode()
        assert holders({"message": text}, pieces(outcome["canary"])) == [], outcome
    assert _history(ssm, name, decrypt=True) == history  # nothing changed

    canaries = [piece for value in (short, longer, big) for piece in pieces(value)]
    canaries += [piece for outcome in refused for piece in pieces(outcome["canary"])]
    assert holders(data_files(data_dir), canaries) == []  # while running: the WAL is live
    server.stop()
    assert holders(data_files(data_dir), canaries) == []
    logs = printed(server)
    assert logs["stderr"], "the debug log is empty: the probe would prove nothing"
    assert holders(logs, canaries) == []
    # The probe itself works: a canary it was given is found where it was put.
    binary = os.urandom(48)
    probe = {"x": b"..." + base64.b64encode(b"ab" + binary) + b"..."}
    assert holders(probe, [binary]) == ["x"]
    assert holders({"y": b"<" + big.encode()[1000:1064].hex().encode() + b">"}, pieces(big)) == [
        "y"
    ]
