"""app.py wires services from their plug-ins, and begins every request with one refresh."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from strongroom import app as app_module
from strongroom.app import Strongroom, build, dev_bootstrap
from strongroom.barrier import Barrier, View
from strongroom.clock import Clock
from strongroom.config import Config
from strongroom.errors import ServiceUnavailable
from strongroom.keystores import KeyStore
from strongroom.services import Caller, ServicePlugin
from strongroom.services import awslambda as lambda_service
from strongroom.services import iam as iam_service
from strongroom.services import kms as kms_service
from strongroom.services import secretsmanager as sm_service
from strongroom.services import ssm as ssm_service
from strongroom.services import sts as sts_service
from strongroom.services.ssm.service import Emit

ACCESS_KEY, SECRET_KEY = "AKIDPLUGINTEST000001", "s" * 40


class Recorder:
    """A stand-in service: one operation, one prefix, and a log of its hooks."""

    def __init__(self, barrier: Barrier) -> None:
        self.view = View(barrier, "recorder/")
        self.calls: list[str] = []

    def list_secrets(self, caller: Caller, **params: Any) -> dict[str, Any]:
        caller.authorize("secretsmanager:ListSecrets", "*")
        self.calls.append("ListSecrets")
        return {"SecretList": []}

    def plugin(self) -> ServicePlugin:
        return ServicePlugin(
            model="secretsmanager",
            operations={"ListSecrets": Recorder.list_secrets},
            context=self,
            prefixes=("recorder/",),
            forget=lambda: self.calls.append("forget"),
            reset=lambda: self.calls.append("reset"),
            jobs=(lambda: self.calls.append("job"),),
        )


@pytest.fixture
def recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Strongroom, Recorder]]:
    recorders: list[Recorder] = []
    wired = app_module.services

    def services(
        barrier: Barrier, keystores: Mapping[str, KeyStore], clock: Clock, emit: Emit | None
    ) -> list[ServicePlugin]:
        recorders.append(Recorder(barrier))
        return [*wired(barrier, keystores, clock, emit), recorders[-1].plugin()]

    monkeypatch.setattr(app_module, "services", services)
    config = Config(
        data_dir=tmp_path, dev=True, access_key=ACCESS_KEY, secret_key=SECRET_KEY
    ).check()
    app = build(config)
    dev_bootstrap(app)
    yield app, recorders[0]
    app.storage.close()


def _signed(service: str, target: str, body: bytes) -> list[tuple[bytes, bytes]]:
    request = AWSRequest(
        method="POST",
        url="http://127.0.0.1:8340/",
        data=body,
        headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"},
    )
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), service, "us-east-1").add_auth(request)
    headers = [(k.lower().encode(), str(v).encode()) for k, v in request.headers.items()]
    return [*headers, (b"host", b"127.0.0.1:8340")]


def test_each_service_hands_app_everything_it_wires(tmp_path: Path) -> None:
    app = build(Config(data_dir=tmp_path, dev=True).check())
    try:
        kms, functions, secrets, parameters, iam, sts = app.services
        assert kms.model == "kms" and kms.prefixes == (kms_service.PREFIX,)
        assert functions.model == "lambda" and functions.prefixes == (lambda_service.PREFIX,)
        assert functions.operations is lambda_service.OPERATIONS
        assert kms.operations is kms_service.OPERATIONS
        assert isinstance(kms.context, kms_service.Kms) and len(kms.jobs) == 1
        assert secrets.model == "secretsmanager"
        assert secrets.prefixes == (sm_service.PREFIX,)
        assert secrets.operations is sm_service.OPERATIONS
        assert isinstance(secrets.context, sm_service.SecretsManager)
        assert len(secrets.jobs) == 2  # deletion windows, rotations
        assert parameters.model == "ssm" and parameters.prefixes == (ssm_service.PREFIX,)
        assert parameters.operations is ssm_service.OPERATIONS and len(parameters.jobs) == 1
        assert iam.model == "iam" and iam.prefixes == (iam_service.PREFIX,)
        assert iam.operations is iam_service.OPERATIONS
        assert sts.model == "sts" and sts.prefixes == ()
        assert sts.operations is sts_service.OPERATIONS
    finally:
        app.storage.close()


def test_a_plugged_in_service_is_served_reset_forgotten_and_scheduled(
    recorded: tuple[Strongroom, Recorder],
) -> None:
    app, recorder = recorded
    target = "secretsmanager.ListSecrets"
    answer = app.asgi.answer(
        "POST", b"/", b"", _signed("secretsmanager", target, b"{}"), b"{}", target
    )
    assert answer.status == 200 and orjson.loads(answer.body) == {"SecretList": []}
    assert app.scheduler.run_once()
    recorder.view.put("x", b"state")
    app.reset()
    assert recorder.view.get("x") is None
    app.operator.seal()
    assert recorder.calls == ["ListSecrets", "job", "reset", "forget"]


def test_operator_requests_follow_a_seal_made_by_another_worker(tmp_path: Path) -> None:
    config = Config(data_dir=tmp_path, dev=True, workers=2).check()
    first, second = build(config), build(config)
    try:
        dev_bootstrap(first)
        dev_bootstrap(second, server_start=False)
        health = [
            (w.asgi.answer("GET", b"/sys/health", b"", [], b"", None)) for w in (first, second)
        ]
        assert [answer.status for answer in health] == [200, 200]
        first.operator.seal()
        answer = second.asgi.answer("GET", b"/sys/health", b"", [], b"", None)
        assert answer.status == 503 and orjson.loads(answer.body)["sealed"] is True
        assert second.operator.is_sealed()  # the request's refresh sealed this worker too
    finally:
        first.storage.close()
        second.storage.close()


@pytest.mark.parametrize(
    ("failure", "status"), [(ServiceUnavailable("storage unreachable"), 503), (OSError("x"), 500)]
)
def test_an_operator_request_whose_refresh_fails_gets_an_error_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: Exception, status: int
) -> None:
    app = build(Config(data_dir=tmp_path, dev=True, workers=2).check())
    try:
        dev_bootstrap(app)

        def refresh() -> None:
            raise failure

        monkeypatch.setattr(app.operator, "refresh", refresh)
        answer = app.asgi.answer("GET", b"/sys/health", b"", [], b"", None)  # never raises
        assert answer.status == status and "__type" in orjson.loads(answer.body)
    finally:
        app.storage.close()
