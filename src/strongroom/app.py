"""The one place that wires concrete parts into a running Strongroom.

`build` makes every component from a `Config`; `dev_bootstrap` initializes or unseals a
dev server with its key file; `initialize` is `strongroom operator init`; `asgi_factory`
is what uvicorn workers call. Nothing else constructs storage, seals or services.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from strongroom import config as config_module
from strongroom.api.asgi import StrongroomAsgi
from strongroom.api.aws.dispatch import AwsDispatcher, ServiceBinding
from strongroom.api.aws.model import ServiceModel
from strongroom.api.aws.sigv4 import Credential, SigV4Verifier
from strongroom.api.sys import AccessKeyRoutes, Operator, RateLimiter, Rekey, SysRoutes
from strongroom.audit import AuditLog
from strongroom.barrier import Barrier, TermRotation, View
from strongroom.clock import Clock
from strongroom.config import DEV_ACCOUNT_ID, Config, ConfigError
from strongroom.crypto import certs, system_random
from strongroom.errors import AccessDeniedException, UnrecognizedClientException
from strongroom.events import Deliverer, Outbox, Webhook, post
from strongroom.functions import invoke as invoke_function
from strongroom.identity import (
    AccessKey,
    AccessKeyStore,
    FunctionCredentials,
    Principal,
    SessionStore,
    dev_access_key,
    is_session_id,
)
from strongroom.keystores import KeyStore, SoftwareKeyStore
from strongroom.scheduler import Scheduler
from strongroom.seal import DevKeySeal, SealConfig, ShamirSeal
from strongroom.services import Caller, ServicePlugin
from strongroom.services import awslambda as lambda_service
from strongroom.services import iam as iam_service
from strongroom.services import kms as kms_service
from strongroom.services import secretsmanager as secretsmanager_service
from strongroom.services import ssm as ssm_service
from strongroom.services import sts as sts_service
from strongroom.services.awslambda.builtin_functions import BUILTINS
from strongroom.services.awslambda.builtin_functions import ROLE_NAME as BUILTIN_ROLE_NAME
from strongroom.services.awslambda.builtin_functions import ROLE_POLICY as BUILTIN_ROLE_POLICY
from strongroom.services.caller import Authorizer
from strongroom.services.iam import Iam
from strongroom.services.iam.authorizer import IamAuthorizer
from strongroom.services.iam.records import ROLE
from strongroom.services.ssm.service import Emit
from strongroom.storage.base import Storage
from strongroom.storage.sqlite import SqliteStorage

log = logging.getLogger("strongroom")

KEYSTORE_PREFIX = "keystores/"
EVENTS_PREFIX = "events/"
DEV_KEY_FILE = "dev-unseal.key"
FUNCTIONS_PATH = b"/2015-03-31/functions"
CODE_UPLOAD_BYTES = 70 * 1024 * 1024
"""Lambda's CreateFunction request limit (a 50 MB zip, base64-encoded in JSON)."""


@dataclass(frozen=True, slots=True)
class ServiceWiring:
    """What services need from the process beyond storage, keys and time."""

    emit: Emit | None
    """Where services that report changes hand their events (the outbox), if anywhere."""
    functions: FunctionCredentials
    """Credentials for each function invocation."""
    endpoint_url: str
    """How a function process reaches this server."""
    ca_bundle: str | None
    allow_function_code: bool
    authorizer: Authorizer
    is_leader: Callable[[], bool]
    access_keys: AccessKeyStore
    """The access keys of the account roots and of IAM users (IAM manages the users')."""
    sessions: SessionStore
    """Temporary credentials (STS issues users' sessions there)."""


def services(
    barrier: Barrier, keystores: Mapping[str, KeyStore], clock: Clock, wiring: ServiceWiring
) -> list[ServicePlugin]:
    """Every AWS service this server speaks: adding one is one line here."""
    kms = kms_service.plugin(barrier, keystores, clock, system_random)
    iam = iam_service.plugin(barrier, wiring.access_keys, clock, system_random)
    assert isinstance(iam.context, Iam)
    roles = iam.context.repository

    def role_trust(partition: str, account: str, name: str) -> tuple[str, str] | None:
        role = roles.entity(account, ROLE, name)
        if role is None or role.trust_policy is None:
            return None
        return role.arn(partition), role.trust_policy

    functions = lambda_service.plugin(
        barrier,
        clock,
        system_random,
        invoke=invoke_function,
        credentials=wiring.functions,
        endpoint_url=wiring.endpoint_url,
        ca_bundle=wiring.ca_bundle,
        allow_code=wiring.allow_function_code,
        role_trust=role_trust,
    )
    secrets = secretsmanager_service.plugin(
        barrier,
        kms,
        clock,
        system_random,
        functions,
        authorizer=wiring.authorizer,
        is_leader=wiring.is_leader,
    )
    return [
        kms,
        functions,
        secrets,
        ssm_service.plugin(barrier, kms, clock, system_random, wiring.emit, secrets),
        iam,
        sts_service.plugin(iam.context, wiring.sessions),
    ]


def own_endpoint(config: Config) -> tuple[str, str | None]:
    """(URL, CA bundle or None) at which a function process on this host reaches the
    server: loopback when it listens on every address; the CA `operator init` made."""
    host = "127.0.0.1" if config.host in ("0.0.0.0", "", "localhost") else config.host
    host = "[::1]" if host == "::" else f"[{host}]" if ":" in host else host
    if config.dev:
        return f"http://{host}:{config.port}", None
    ca = config.tls_dir / "ca.pem"
    return f"https://{host}:{config.port}", str(ca) if config.tls_cert is None else None


def _events(
    barrier: Barrier, config: Config, clock: Clock, is_leader: Callable[[], bool]
) -> tuple[Emit | None, Deliverer | None]:
    """Where services hand events, and the thread that delivers them while this process
    leads the scheduler (None without webhooks: then no event is kept, as no one would
    receive it)."""
    if not config.webhooks:
        return None, None
    outbox = Outbox(View(barrier, EVENTS_PREFIX), clock.now, system_random)
    webhooks = [
        Webhook(hook.url, hook.secret, hook.name, hook.detail_types, hook.ca_bundle)
        for hook in config.webhooks
    ]
    real_now = Clock().now  # receivers check the signed timestamp against their own clocks

    def post_now(webhook: Webhook, body: bytes, _service_now: float) -> bool:
        return post(webhook, body, real_now())

    deliverer = Deliverer(outbox, webhooks, clock.now, post_now, interval=1.0, is_leader=is_leader)
    return outbox.emit, deliverer


@dataclass(slots=True)
class Strongroom:
    """Every part of one server process."""

    config: Config
    storage: Storage
    barrier: Barrier
    clock: Clock
    access_keys: AccessKeyStore
    services: list[ServicePlugin]
    keystores: dict[str, KeyStore]
    operator: Operator
    scheduler: Scheduler
    asgi: StrongroomAsgi

    def reset(self) -> None:
        """Wipe every service's state (dev mode's `/moto-api/reset`); identity stays."""
        _reset(self.barrier, self.services)


def _reset(barrier: Barrier, plugins: Sequence[ServicePlugin]) -> None:
    for plugin in plugins:
        for prefix in plugin.prefixes:
            barrier.delete_prefix(prefix)
    barrier.delete_prefix(KEYSTORE_PREFIX)  # only the services' key material lives there
    for plugin in plugins:
        plugin.reset()
    barrier.scrub()  # wiped means gone from the files (WAL included), not only unreachable


def _forget_secrets(
    access_keys: AccessKeyStore, verifier: SigV4Verifier, plugins: Sequence[ServicePlugin]
) -> None:
    access_keys.forget_cache()
    verifier.forget()
    for plugin in plugins:
        plugin.forget()


def _bind(plugin: ServicePlugin) -> ServiceBinding:
    model = ServiceModel.load(plugin.model)
    model.compile_all()  # validators built now, not on a first request
    return ServiceBinding(model, plugin.operations, plugin.context, plugin.blocking)


def open_storage(config: Config) -> Storage:
    """The configured storage (the embedded SQLite database for now)."""
    config.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    return SqliteStorage(config.database_path)


def build(config: Config, storage: Storage | None = None) -> Strongroom:
    """Wire a server process from `config`; it starts sealed."""
    storage = storage or open_storage(config)
    clock = Clock(config.dev_clock_offset)
    barrier = Barrier(storage, system_random)
    # Temporary credentials expire on the services' clock, which dev mode's test clock moves.
    sessions = SessionStore(View(barrier, "identity/"), system_random, clock.now)
    access_keys = AccessKeyStore(
        View(barrier, "identity/"), system_random, clock, sessions=sessions
    )
    software = SoftwareKeyStore(View(barrier, f"{KEYSTORE_PREFIX}software/"), system_random)
    keystores: dict[str, KeyStore] = {software.name: software}
    emit, deliverer = _events(  # delivers while this process leads and is unsealed
        barrier, config, clock, lambda: scheduler.is_leader() and not operator.is_sealed()
    )
    endpoint_url, ca_bundle = own_endpoint(config)
    authorizer = IamAuthorizer(  # see its module docstring
        clock,
        sessions.find,
        builtin_sessions={f"{BUILTIN_ROLE_NAME}/{name}": BUILTIN_ROLE_POLICY for name in BUILTINS},
    )
    wiring = ServiceWiring(
        emit,
        FunctionCredentials(sessions),
        endpoint_url,
        ca_bundle,
        config.dev or config.allow_function_code,
        authorizer,
        lambda: scheduler.is_leader(),
        access_keys,
        sessions,
    )
    plugins = services(barrier, keystores, clock, wiring)
    iam = next(p.context for p in plugins if p.model == "iam")
    assert isinstance(iam, Iam)
    authorizer.attach(iam)
    # Signatures are checked against the real time even when a dev clock offset moves
    # the services' clock: clients sign with their own real clocks, so a shifted verifier
    # would refuse every SDK request as skewed.
    verifier = SigV4Verifier(access_keys.secret_for, Clock().now)
    shared = config.workers > 1
    # With several processes, old key terms outlive a rotation by a grace period, so that
    # a request begun under the old keyring has finished before its term is deleted.
    rotation = TermRotation(barrier, clock.now, grace_seconds=30.0 if shared else 0.0)
    rekey = Rekey(barrier, system_random, clock.now)

    def on_seal() -> None:
        rekey.forget()
        _forget_secrets(access_keys, verifier, plugins)

    operator = Operator(
        barrier,
        rotation,
        on_unseal=lambda: None,
        on_seal=on_seal,
        auto_unseal=config.dev,
        random=system_random,
        now=clock.now,
        shared=shared,
    )

    dispatcher = AwsDispatcher(
        [_bind(plugin) for plugin in plugins],
        verifier,
        access_keys,
        authorizer,
        AuditLog(),
        operator.is_sealed,
        operator.refresh if shared else None,  # follows a seal made by another worker
    )

    def tick_ready() -> bool:
        operator.refresh()  # a tick begins as a request does: following the other workers
        return not operator.is_sealed()

    scheduler = Scheduler(
        storage,
        Clock(),  # the lease runs on real time: a dev clock offset must not hold it for days
        config.scheduler_interval,
        [
            barrier.refresh_data_version,
            *(job for plugin in plugins for job in plugin.jobs),
            sessions.purge_expired,  # credentials of invocations a crash cut short
            rotation.resume,  # an interrupted key-term rotation goes on
            barrier.settle_scrub,  # a scrub readers held up earlier
            *([deliverer.wake] if deliverer else []),  # events other processes emitted
        ],
        tick_ready,
        local_jobs=[job for plugin in plugins for job in plugin.local_jobs],
    )

    async def on_startup() -> None:
        gc.collect()
        gc.freeze()  # start-up objects (botocore models, ...) leave the collector's scans
        scheduler.start()
        rotation.resume()
        if deliverer is not None:
            deliverer.start()

    async def on_shutdown() -> None:
        await scheduler.stop()
        for plugin in plugins:
            if plugin.stop is not None:
                plugin.stop()
        rotation.stop(timeout=5.0)
        if deliverer is not None:
            deliverer.stop(timeout=6.0)

    reset = (lambda: _reset(barrier, plugins)) if config.dev else None

    def set_dev_clock(offset: float) -> dict[str, object]:
        clock.offset_seconds = offset  # signatures keep the real time (see the verifier)
        ran = scheduler.run_once()
        return {"offset_seconds": offset, "now": clock.now(), "scheduler_ran": ran}

    def authorize_operator(credential: Credential, action: str) -> Principal:
        key = access_keys.find(credential.access_key_id)
        if key is None:
            raise UnrecognizedClientException(
                "The security token included in the request is invalid."
            )
        if is_session_id(key.principal.access_key_id) or key.principal.service is not None:
            # Temporary credentials (a function's, or STS's for a user or the root) speak the
            # AWS APIs, never the operator's: they could otherwise mint a lasting access key
            # or seal the server.
            raise AccessDeniedException(
                "Temporary credentials cannot call the operator API: sign with an access key."
            )
        Caller(key.principal, credential.region, authorizer).authorize(action, "*")
        access_keys.note_use(key.principal.access_key_id, credential.region, credential.service)
        return key.principal

    sys_routes = SysRoutes(
        operator,
        rekey,
        verifier.verify,
        authorize_operator,
        reset,
        RateLimiter(clock.now),
        AccessKeyRoutes(access_keys),
        set_dev_clock if config.dev else None,
    )
    # Function code uploads may be as large as AWS takes them (a 50 MB zip, base64 in
    # JSON), but only where code uploads are allowed at all.
    code_uploads = (FUNCTIONS_PATH, CODE_UPLOAD_BYTES) if wiring.allow_function_code else None
    asgi = StrongroomAsgi(
        dispatcher,
        sys_routes,
        config.max_body_bytes,
        on_startup,
        on_shutdown,
        large_bodies=code_uploads,
    )
    return Strongroom(
        config,
        storage,
        barrier,
        clock,
        access_keys,
        plugins,
        keystores,
        operator,
        scheduler,
        asgi,
    )


def dev_bootstrap(app: Strongroom, *, server_start: bool = True) -> AccessKey | None:
    """Initialize (first start) or unseal a dev server from its key file; returns its access key.

    A server start also forgets an operator seal of the last run, and settles the dev
    access key: fixed credentials, or the key an earlier start generated; the key of an
    earlier dev start that is not this one's is revoked (see `identity.dev_key`). A worker
    process (`server_start=False`) changes neither, so a worker started again stays sealed
    with the rest and never brings back a revoked key (it gets None if its key is gone).
    """
    config = app.config
    seal = DevKeySeal(config.data_dir / DEV_KEY_FILE)
    root_key = seal.load_or_create()
    if app.barrier.is_initialized():
        app.barrier.unseal(root_key)
    else:
        app.barrier.initialize(root_key)
    if server_start:
        app.operator.clear_shared_seal()
    return dev_access_key(
        app.access_keys,
        View(app.barrier, "identity/"),
        config.account_id or DEV_ACCOUNT_ID,
        config.access_key,
        config.secret_key,
        server_start=server_start,
    )


@dataclass(frozen=True, slots=True)
class InitResult:
    """What `operator init` prints once and never again."""

    shares: list[str]
    threshold: int
    access_key: AccessKey
    ca_certificate: Path | None


def initialize(config: Config, shares: int, threshold: int) -> InitResult:
    """Create the root key (split in shares), keyring, first access key and TLS files."""
    app = build(config)
    try:
        if app.barrier.is_initialized():
            raise ConfigError(f"{config.data_dir} is already initialized.")
        root_key, share_strings = ShamirSeal().initialize(shares, threshold)
        app.barrier.write_core("seal-config", SealConfig(shares, threshold).to_json())
        app.barrier.initialize(root_key)
        key = app.access_keys.create(config.account_id or _new_account_id())
        ca_path = _make_tls_files(config) if config.tls_cert is None else None
        app.barrier.seal()
        return InitResult(share_strings, threshold, key, ca_path)
    finally:
        app.storage.close()


def _new_account_id() -> str:
    return "".join(str(b % 10) for b in system_random(12))


def _make_tls_files(config: Config) -> Path:
    directory = config.tls_dir
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    ca_cert, ca_key = certs.make_ca("Strongroom CA")
    hosts = [config.host] if config.host not in ("127.0.0.1", "0.0.0.0", "::") else []
    cert, key = certs.make_server_cert(ca_cert, ca_key, hosts, [])
    # The CA key is dropped once it has signed: kept on disk, anyone reading the data dir
    # could mint certificates for any host that clients trusting this CA would accept.
    (directory / "ca.pem").write_bytes(ca_cert)
    (directory / "server.pem").write_bytes(cert)
    _write_private(directory / "server-key.pem", key)
    return directory / "ca.pem"


def _write_private(path: Path, data: bytes) -> None:
    path.touch(mode=0o600, exist_ok=True)
    path.write_bytes(data)


def tls_files(config: Config) -> tuple[Path, Path]:
    """(certificate, private key) the HTTPS server uses."""
    if config.tls_cert is not None and config.tls_key is not None:
        return config.tls_cert, config.tls_key
    cert, key = config.tls_dir / "server.pem", config.tls_dir / "server-key.pem"
    if not cert.exists() or not key.exists():
        raise ConfigError(
            "No TLS certificate: set tls_cert and tls_key, or run `strongroom operator init`."
        )
    return cert, key


def asgi_factory() -> StrongroomAsgi:
    """Build a worker's app from STRONGROOM_* variables (uvicorn `--factory`)."""
    config = config_module.load()
    app = build(config)
    if config.dev:
        dev_bootstrap(app, server_start=False)
    return app.asgi
