"""The built-in rotation functions against real databases and a real Strongroom server.

Each test stores an RDS-form secret in a Strongroom dev server, then calls the built-in's
`lambda_handler` in this process, step by step with a fresh token, as Secrets Manager
would, in the environment a function runner gives it (AWS_* and
SECRETS_MANAGER_ENDPOINT, set for the test and restored after). Then it asks the
database itself which passwords log in (see `rotation_databases` for how that is
answered honestly on a `trust` PostgreSQL) and Secrets Manager which version is which.

Databases: this machine's PostgreSQL (127.0.0.1:5432) and MariaDB (127.0.0.1:3306), and a
private PostgreSQL and MariaDB of the test's own that check every password and take TCP
connections only over TLS (`private_databases`). Unreachable ones are skipped with the
reason, or fail under CI=true.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import secrets
import uuid
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from strongroom.rotation.builtin import FUNCTIONS
from strongroom.rotation.builtin.mysql_statements import MySqlDialect, clone_grant
from tests.e2e.harness import ServerProcess, free_port
from tests.e2e.private_databases import PrivateMariaDB, PrivatePostgres
from tests.e2e.rotation_databases import (
    MariaDatabase,
    RotationDatabase,
    SharedMariaDB,
    SharedPostgres,
    unique_user,
)

Handler = Callable[[dict[str, Any], Any], None]

STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
EXCLUDED = {"postgresql": set(":/@\"'\\"), "mysql": set("/@\"'\\")}
DATABASES = ("shared_postgres", "private_postgres", "shared_mariadb", "private_mariadb")


# Fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A private dev server for this module."""
    started = ServerProcess(tmp_path_factory.mktemp("rotators")).start()
    yield started
    started.stop()


@pytest.fixture
def sm(server: ServerProcess) -> Any:
    return server.client("secretsmanager")


@pytest.fixture(scope="module")
def shared_postgres() -> Iterator[SharedPostgres]:
    database = SharedPostgres.open()
    yield database
    database.close()


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PrivatePostgres]:
    database = PrivatePostgres.start()
    yield database
    database.stop()


@pytest.fixture(scope="module")
def shared_mariadb() -> Iterator[SharedMariaDB]:
    database = SharedMariaDB.open()
    yield database
    database.close()


@pytest.fixture(scope="module")
def private_mariadb() -> Iterator[PrivateMariaDB]:
    database = PrivateMariaDB.start()
    yield database
    database.stop()


@pytest.fixture(params=DATABASES)
def database(request: pytest.FixtureRequest) -> RotationDatabase:
    found: RotationDatabase = request.getfixturevalue(request.param)
    return found


@pytest.fixture(autouse=True)
def function_env(server: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment a function runner gives a rotation function (restored after)."""
    for name in list(os.environ):
        if name.startswith("AWS_") or name in _TEMPLATE_VARIABLES:
            monkeypatch.delenv(name)
    monkeypatch.setenv("SECRETS_MANAGER_ENDPOINT", server.endpoint_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", server.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", server.secret_key)
    monkeypatch.setenv("AWS_REGION", server.region)
    monkeypatch.setenv("AWS_DEFAULT_REGION", server.region)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)


_TEMPLATE_VARIABLES = (
    "EXCLUDE_CHARACTERS",
    "PASSWORD_LENGTH",
    "EXCLUDE_NUMBERS",
    "EXCLUDE_PUNCTUATION",
    "EXCLUDE_UPPERCASE",
    "EXCLUDE_LOWERCASE",
    "REQUIRE_EACH_INCLUDED_TYPE",
    "SECRETS_MANAGER_ENDPOINT",
)


@pytest.fixture(autouse=True)
def rotation_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="strongroom.rotation")
    return caplog


# Support -------------------------------------------------------------------------------


def kind_of(database: RotationDatabase) -> str:
    return "postgresql" if database.engine == "postgres" else "mysql"


def handler_of(function_name: str) -> Handler:
    """The built-in's handler, found by the dotted path `FUNCTIONS` gives for it."""
    module, _, attribute = FUNCTIONS[function_name].rpartition(".")
    handler: Handler = getattr(importlib.import_module(module), attribute)
    return handler


def invoke(handler: Handler, arn: str, token: str, step: str) -> None:
    """One step, called as Secrets Manager calls a rotation function."""
    context = SimpleNamespace(
        function_name="rotation-under-test",
        aws_request_id=str(uuid.uuid4()),
        get_remaining_time_in_millis=lambda: 30_000,
    )
    handler({"SecretId": arn, "ClientRequestToken": token, "Step": step}, context)


def rotate(handler: Handler, arn: str) -> str:
    """A whole rotation with a fresh token; the token."""
    token = str(uuid.uuid4())
    for step in STEPS:
        invoke(handler, arn, token, step)
    return token


def stages(sm: Any, arn: str) -> dict[str, list[str]]:
    described = sm.describe_secret(SecretId=arn)
    return {vid: sorted(s) for vid, s in described.get("VersionIdsToStages", {}).items()}


def value(sm: Any, arn: str, **which: str) -> dict[str, Any]:
    answer: dict[str, Any] = json.loads(sm.get_secret_value(SecretId=arn, **which)["SecretString"])
    return answer


def password() -> str:
    return "Pw-" + secrets.token_hex(12)


def assert_leaks_none(text: str, *passwords: str) -> None:
    for secret in filter(None, passwords):
        assert secret not in text, "a password reached an error message or the log"


def assert_new_password(database: RotationDatabase, new: str, old: str) -> None:
    """A GetRandomPassword password under the template's rules for the engine."""
    assert new != old
    assert len(new) == 32
    assert not set(new) & EXCLUDED[kind_of(database)]


def user_secret(database: RotationDatabase, user: str, pw: str, **extra: Any) -> dict[str, Any]:
    dbname = "postgres" if kind_of(database) == "postgresql" else f"{user}_db"
    return database.rds_secret(user, pw, dbname=dbname, **extra)


# Single user ---------------------------------------------------------------------------


def test_single_user_rotation(
    database: RotationDatabase, sm: Any, rotation_logs: pytest.LogCaptureFixture
) -> None:
    user, old = unique_user(), password()
    database.create_user(user, old)
    try:
        created = sm.create_secret(
            Name=f"rotation/{user}", SecretString=json.dumps(user_secret(database, user, old))
        )
        arn, first = created["ARN"], created["VersionId"]
        handler = handler_of(f"strongroom-{kind_of(database)}-single-user")
        token = str(uuid.uuid4())

        invoke(handler, arn, token, "createSecret")
        pending = value(sm, arn, VersionId=token, VersionStage="AWSPENDING")
        before = stages(sm, arn)
        invoke(handler, arn, token, "createSecret")  # a retry with the same token
        assert value(sm, arn, VersionId=token, VersionStage="AWSPENDING") == pending
        assert stages(sm, arn) == before == {first: ["AWSCURRENT"], token: ["AWSPENDING"]}
        assert database.logs_in(user, old), "createSecret must not touch the database"

        for step in STEPS[1:]:
            invoke(handler, arn, token, step)

        after = stages(sm, arn)
        assert "AWSCURRENT" in after[token] and after[first] == ["AWSPREVIOUS"]
        new = value(sm, arn)
        assert new == {**user_secret(database, user, old), "password": pending["password"]}
        assert_new_password(database, new["password"], old)
        assert database.logs_in(user, new["password"])
        assert not database.logs_in(user, old)
        assert_leaks_none(rotation_logs.text, old, new["password"])
        if isinstance(database, PrivatePostgres):
            _assert_sent_as_verifier(database, user, new["password"])
    finally:
        database.drop_users(user)


def _assert_sent_as_verifier(database: PrivatePostgres, user: str, new: str) -> None:
    """PostgreSQL logs every statement there: it saw the verifier, never the password."""
    verifier = database.stored_verifier(user)
    assert verifier is not None and verifier.startswith("SCRAM-SHA-256$4096:")
    log = database.server_log()
    assert new not in log
    assert f"PASSWORD '{verifier}'" in log


# Alternating users ---------------------------------------------------------------------


def test_alternating_users_rotation(
    database: RotationDatabase, sm: Any, rotation_logs: pytest.LogCaptureFixture
) -> None:
    user, p0 = unique_user(), password()
    clone = f"{user}_clone"
    database.create_user(user, p0)
    try:
        master = sm.create_secret(
            Name=f"rotation/{user}-master", SecretString=json.dumps(database.master_secret())
        )
        original = user_secret(database, user, p0, masterarn=master["ARN"])
        created = sm.create_secret(Name=f"rotation/{user}", SecretString=json.dumps(original))
        arn, first = created["ARN"], created["VersionId"]
        handler = handler_of(f"strongroom-{kind_of(database)}-alternating-users")

        token1 = rotate(handler, arn)
        current = value(sm, arn)
        assert current == {**original, "username": clone, "password": current["password"]}
        p1 = current["password"]
        assert_new_password(database, p1, p0)
        assert stages(sm, arn)[first] == ["AWSPREVIOUS"]
        assert database.logs_in(clone, p1)
        assert database.can_read(clone, p1, owner=user), "the clone lacks the privileges"
        assert database.logs_in(user, p0), "the previous user must keep working"
        if isinstance(database, MariaDatabase):
            assert database.grants(clone) == database.grants(user)

        token2 = rotate(handler, arn)
        current = value(sm, arn)
        assert current == {**original, "password": current["password"]}
        p2 = current["password"]
        assert_new_password(database, p2, p0)
        after = stages(sm, arn)
        assert "AWSCURRENT" in after[token2] and after[token1] == ["AWSPREVIOUS"]
        assert database.logs_in(user, p2)
        assert not database.logs_in(user, p0)
        assert database.logs_in(clone, p1), "the previous user must keep working"
        assert database.can_read(user, p2, owner=user)
        assert_leaks_none(rotation_logs.text, p0, p1, p2, database.master_password)
    finally:
        database.drop_users(user)


def test_wrong_master_secret_fails_safely_and_the_retry_finishes(
    database: RotationDatabase, sm: Any, rotation_logs: pytest.LogCaptureFixture
) -> None:
    user, p0 = unique_user(), password()
    database.create_user(user, p0)
    try:
        wrong = database.wrong_master_secret()
        master = sm.create_secret(Name=f"rotation/{user}-master", SecretString=json.dumps(wrong))
        original = user_secret(database, user, p0, masterarn=master["ARN"])
        created = sm.create_secret(Name=f"rotation/{user}", SecretString=json.dumps(original))
        arn, first = created["ARN"], created["VersionId"]
        handler = handler_of(f"strongroom-{kind_of(database)}-alternating-users")
        token = str(uuid.uuid4())
        invoke(handler, arn, token, "createSecret")
        pending = value(sm, arn, VersionId=token, VersionStage="AWSPENDING")

        with pytest.raises(ValueError, match="master") as failure:
            invoke(handler, arn, token, "setSecret")
        with pytest.raises(ValueError, match="AWSPENDING") as test_failure:
            invoke(handler, arn, token, "testSecret")

        assert stages(sm, arn) == {first: ["AWSCURRENT"], token: ["AWSPENDING"]}
        assert value(sm, arn) == original
        assert database.logs_in(user, p0), "the application's login must keep working"
        assert not database.connects(pending["username"], pending["password"])
        for text in (str(failure.value), str(test_failure.value), rotation_logs.text):
            assert_leaks_none(text, p0, pending["password"], wrong["password"])

        sm.put_secret_value(
            SecretId=master["ARN"], SecretString=json.dumps(database.master_secret())
        )
        for step in STEPS[1:]:
            invoke(handler, arn, token, step)
        assert value(sm, arn) == pending
        assert database.logs_in(pending["username"], pending["password"])
        assert database.logs_in(user, p0)
    finally:
        database.drop_users(user)


# Failures before any database answers ------------------------------------------------------


@pytest.mark.parametrize("function_name", sorted(FUNCTIONS))
def test_database_down_fails_safely(
    function_name: str, sm: Any, rotation_logs: pytest.LogCaptureFixture
) -> None:
    """A closed port: setSecret and testSecret fail and say where; nothing else moves."""
    engine = "postgres" if "postgresql" in function_name else "mysql"
    port, old = free_port(), password()
    master = sm.create_secret(
        Name=f"rotation/down-{uuid.uuid4().hex[:8]}-master",
        SecretString=json.dumps(_rds(engine, port, "admin", "Master-" + secrets.token_hex(8))),
    )
    original = _rds(engine, port, "app", old, masterarn=master["ARN"])
    created = sm.create_secret(
        Name=f"rotation/down-{uuid.uuid4().hex[:8]}", SecretString=json.dumps(original)
    )
    arn, first = created["ARN"], created["VersionId"]
    handler, token = handler_of(function_name), str(uuid.uuid4())

    invoke(handler, arn, token, "createSecret")
    pending = value(sm, arn, VersionId=token, VersionStage="AWSPENDING")
    errors = []
    for step in ("setSecret", "testSecret"):
        with pytest.raises(ValueError, match=f"127.0.0.1:{port}") as failure:
            invoke(handler, arn, token, step)
        errors.append(str(failure.value))

    assert stages(sm, arn) == {first: ["AWSCURRENT"], token: ["AWSPENDING"]}
    assert value(sm, arn) == original
    assert value(sm, arn, VersionId=token, VersionStage="AWSPENDING") == pending
    for text in (*errors, rotation_logs.text):
        assert_leaks_none(text, old, pending["password"])


def _rds(engine: str, port: int, user: str, pw: str, **extra: Any) -> dict[str, Any]:
    base = {"engine": engine, "host": "127.0.0.1", "port": port}
    return {**base, "username": user, "password": pw, **extra}


def test_staging_checks_as_the_templates_make_them(sm: Any) -> None:
    handler = handler_of("strongroom-postgresql-single-user")
    secret = _rds("postgres", free_port(), "app", password())
    created = sm.create_secret(
        Name=f"rotation/stages-{uuid.uuid4().hex[:8]}", SecretString=json.dumps(secret)
    )
    arn, first = created["ARN"], created["VersionId"]

    with pytest.raises(ValueError, match="Invalid step parameter"):
        invoke(handler, arn, str(uuid.uuid4()), "rotateEverything")
    for step in STEPS[1:]:
        with pytest.raises(ValueError, match="has no stage for rotation"):
            invoke(handler, arn, str(uuid.uuid4()), step)
    for step in STEPS:  # the token's version is AWSCURRENT: nothing to do, even DB down
        invoke(handler, arn, first, step)

    sm.put_secret_value(SecretId=arn, SecretString=json.dumps(secret))
    with pytest.raises(ValueError, match="not set as AWSPENDING"):
        invoke(handler, arn, first, "setSecret")  # now AWSPREVIOUS

    under_way = str(uuid.uuid4())
    invoke(handler, arn, under_way, "createSecret")
    with pytest.raises(ValueError, match="has no stage for rotation"):
        invoke(handler, arn, str(uuid.uuid4()), "createSecret")  # not while one is under way
    assert "AWSPENDING" in stages(sm, arn)[under_way]

    other = sm.create_secret(
        Name=f"rotation/engine-{uuid.uuid4().hex[:8]}",
        SecretString=json.dumps(_rds("mysql", 3306, "app", password())),
    )
    with pytest.raises(ValueError, match="engine 'mysql'"):
        invoke(handler, other["ARN"], str(uuid.uuid4()), "createSecret")
    assert set(stages(sm, other["ARN"])) == {other["VersionId"]}


# TLS -----------------------------------------------------------------------------------


@pytest.mark.parametrize("private", ["private_postgres", "private_mariadb"])
def test_private_servers_only_speak_tls(private: str, request: pytest.FixtureRequest) -> None:
    """What makes a rotation against them evidence of TLS: plain TCP is refused."""
    database: RotationDatabase = request.getfixturevalue(private)
    assert database.tcp_without_tls_refused()


def test_ssl_false_in_the_secret_means_no_tls(private_postgres: PrivatePostgres, sm: Any) -> None:
    """`"ssl": false` is honoured: the TLS-only cluster refuses the login, safely."""
    user, old = unique_user(), password()
    private_postgres.create_user(user, old)
    try:
        secret = user_secret(private_postgres, user, old, ssl=False)
        created = sm.create_secret(Name=f"rotation/{user}", SecretString=json.dumps(secret))
        handler = handler_of("strongroom-postgresql-single-user")
        token = str(uuid.uuid4())
        invoke(handler, created["ARN"], token, "createSecret")
        with pytest.raises(ValueError, match="no encryption"):
            invoke(handler, created["ARN"], token, "setSecret")
        assert private_postgres.logs_in(user, old)
    finally:
        private_postgres.drop_users(user)


# MySQL statements the local MariaDB cannot show --------------------------------------------


@pytest.mark.parametrize(
    ("version", "own", "for_account"),
    [
        ("8.0.36", "SET PASSWORD = %s", "SET PASSWORD FOR %s@%s = %s"),
        ("9.1.0", "SET PASSWORD = %s", "SET PASSWORD FOR %s@%s = %s"),
        ("5.7.44-log", "SET PASSWORD = %s", "SET PASSWORD FOR %s@%s = %s"),
        ("5.6.51", "SET PASSWORD = PASSWORD(%s)", "SET PASSWORD FOR %s@%s = PASSWORD(%s)"),
        ("11.4.2-MariaDB", "SET PASSWORD = PASSWORD(%s)", "SET PASSWORD FOR %s@%s = PASSWORD(%s)"),
    ],
)
def test_mysql_password_statement_by_server(version: str, own: str, for_account: str) -> None:
    dialect = MySqlDialect.from_version(version)
    assert (dialect.set_own_password(), dialect.set_password_for()) == (own, for_account)


def test_mysql_grants_copy_in_both_quotings() -> None:
    mysql57 = "GRANT SELECT ON `shop%`.* TO 'app'@'%' WITH GRANT OPTION"
    assert clone_grant(mysql57, "app", "%") == (
        "GRANT SELECT ON `shop%%`.* TO %s@%s WITH GRANT OPTION"
    )
    role = "GRANT `reader`@`%` TO `app`@`10.0.0.%`"
    assert clone_grant(role, "app", "10.0.0.%") == "GRANT `reader`@`%%` TO %s@%s"
    with pytest.raises(ValueError, match="another account"):
        clone_grant("GRANT SELECT ON *.* TO `other`@`%`", "app", "%")
    with pytest.raises(ValueError, match="cannot copy"):
        clone_grant("REVOKE SELECT ON *.* FROM `app`@`%`", "app", "%")


def test_handlers_are_importable_by_their_paths() -> None:
    for name, path in FUNCTIONS.items():
        assert path == f"strongroom.rotation.builtin.{name[11:].replace('-', '_')}.lambda_handler"
        assert callable(handler_of(name))
