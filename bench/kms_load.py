"""Load-test KMS, Secrets Manager and Parameter Store hot paths on Strongroom, moto and raw ASGI.

Usage: `python bench/kms_load.py [--rounds 3] [--duration 10] [--connections 32] [--workers 1]
[--targets strongroom,moto,raw,sqlite,ecdsa] [--ops encrypt32,encrypt32-iam,encrypt4k,decrypt,
gdk,sign,generatemac,getsecret,putsecret,getparam,getparamsecure,putparam]`.

Method (issues 2, 8 and 9, "Speed"): every server runs as its own process on a free 127.0.0.1
port and is loaded by wrk (keep-alive, N connections) with real requests, SigV4-signed by
botocore's signer right before each run so the 5-minute window holds. Most operations send
one request over and over (a static wrk request). PutSecretValue must not: a repeated
ClientRequestToken is an idempotent retry that writes nothing, so its run sends a pool of
distinct pre-signed requests, each once, spread over fresh secrets (at most
`PUTS_PER_SECRET` each, under AWS's 100-versions-a-day limit); a run that runs out of its
pool, or after which fewer new versions exist than Puts were acknowledged, is an error.
PutParameter has no idempotency token: the same signed request sent again makes a new
version (real work), so its run replays one request per parameter of a set, round-robin
(once a parameter holds 100 versions, each Put also drops the oldest, as AWS does);
fewer new versions than acknowledged Puts is an error there too. The `sqlite` target
(`sqlite_commit_loop.py`) is a bare SQLite loop with Strongroom's durability settings at
the same concurrency, run beside PutSecretValue and PutParameter in each round. The
`ecdsa` target (`ecdsa_reference.py`) is the CPU of one bare ECDSA P-256 signature of a
32-byte digest made by cryptography on this machine, run beside Sign in each round: Sign's
budget is Encrypt's server CPU per request plus that signature, both from the same round.
Runs are interleaved (every target for one operation, then the next operation; then the
next round); ratios (Strongroom over moto, raw, the SQLite loop; Strongroom's CPU per
request over its own Decrypt's) are taken within each round and the table shows medians
over rounds. A server's CPU cost is the utime+stime of its whole process tree over the run
(read from /proc, including reaped children) divided by the requests wrk completed. Every
run is preceded by one probe request that must answer 200 with the expected field; a run
with any non-2xx answer or socket error is flagged in the table and makes the exit status
1. Every server started is stopped (process group, TERM then KILL) on any exit, and every
wait is bounded. It installs nothing; it needs wrk, uvicorn + uvloop + httptools, boto3,
rich, and `moto_server` (moto[server]) and `strongroom` for those targets.

`encrypt32-iam` is Encrypt 32 B signed by an IAM user's access key (issue 12): before the
runs the root creates, through the IAM API, the user, three managed policies attached to it
(`iam_policies`) and its access key; its server CPU per request is set against the root's
Encrypt 32 B of the same round (so include `encrypt32`), target at most 1.15x.

The machine may have only a few cores: wrk and the server under test share them, so absolute
numbers are those of this setup; the machine-wide busy share is recorded per run.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import dataclasses
import datetime
import http.client
import importlib.metadata
import importlib.util
import json
import operator
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

BENCH_DIR = Path(__file__).resolve().parent
LUA_SCRIPT = BENCH_DIR / "wrk" / "signed_request.lua"
SQLITE_LOOP = BENCH_DIR / "sqlite_commit_loop.py"
ECDSA_REFERENCE = BENCH_DIR / "ecdsa_reference.py"
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
ACCESS_KEY = "AKIDBENCH000000000001"
SECRET_KEY = "bench/Secret/Key/0123456789abcdefghijklm"  # 40 characters, like AWS's
MOTO_KEYS = ("testing", "testing")
SERVERS = ("strongroom", "moto", "raw")
# sqlite: the bare commit loop, run beside the Puts; ecdsa: one bare signature, beside Sign.
TARGETS = (*SERVERS, "sqlite", "ecdsa")
WIRE_PREFIX = {"kms": "TrentService", "secretsmanager": "secretsmanager", "ssm": "AmazonSSM"}
CLK_TCK = os.sysconf("SC_CLK_TCK")
STOP_TIMEOUT = 10.0
PUTS_PER_SECRET = 50  # AWS refuses a 101st unlabelled version of a secret within a day
PUT_RATE_GUESS = {"strongroom": 3000.0, "moto": 1000.0}  # req/s, until a run measures it
POOL_HEADROOM = 1.6  # pool = measured rate x duration x this, + POOL_SPARE
POOL_SPARE = 1000
RAW_POOL = 10_000  # raw checks nothing, so its pool may go round
CREATE_THREADS = 8
GET_STRING = "/kms-load/get/string"  # GetParameter's String parameter
GET_SECURE = "/kms-load/get/secure"  # GetParameter's SecureString, under alias/aws/ssm
PUT_PARAMETERS = 64  # PutParameter's set, replayed round-robin
PUT_PROBE = "/kms-load/put/probe"

# (ratio or column, comparison, bound): issue 2 for KMS, 8 for Secrets Manager, 9 for SSM;
# Sign and GenerateMac: the asymmetric and HMAC keys' issue.
Goal = tuple[str, Callable[[float, float], bool], float]
ISSUE_2: tuple[Goal, ...] = (
    ("vs_moto", operator.ge, 30.0),
    ("vs_raw", operator.ge, 0.35),
    ("cpu_us_per_req", operator.le, 100.0),
    ("p99_ms", operator.lt, 10.0),
)
GOALS: dict[str, tuple[Goal, ...]] = {
    "encrypt32": ISSUE_2,
    "encrypt4k": (ISSUE_2[0], ISSUE_2[1], ISSUE_2[3]),
    "decrypt": ISSUE_2,
    "gdk": ISSUE_2,
    "getsecret": (
        ("vs_moto", operator.ge, 40.0),
        ("vs_raw", operator.ge, 0.5),
        ("cpu_vs_decrypt", operator.le, 1.3),
    ),
    "sign": (("cpu_vs_budget", operator.le, 1.2),),
    "generatemac": (("cpu_vs_encrypt", operator.le, 1.2),),
    "encrypt32-iam": (("cpu_vs_root", operator.le, 1.15),),  # issue 12
    "getparam": (("vs_moto", operator.ge, 40.0), ("vs_raw", operator.ge, 0.5)),
    "getparamsecure": (
        ("vs_moto", operator.ge, 40.0),
        ("vs_raw", operator.ge, 0.5),
        ("cpu_vs_decrypt", operator.le, 1.3),
    ),
}
GOAL_TEXT = {
    "vs_moto": "req/s vs moto",
    "vs_raw": "req/s vs raw ASGI",
    "cpu_us_per_req": "server CPU us/request",
    "p99_ms": "p99 ms",
    "cpu_vs_decrypt": "server CPU per request / Decrypt's (same run)",
    "cpu_vs_encrypt": "server CPU per request / Encrypt 32 B's (same round)",
    "cpu_vs_budget": "server CPU per request / (Encrypt 32 B's + one ECDSA P-256) (same round)",
    "cpu_vs_root": "server CPU per request / the root's Encrypt 32 B's (same round)",
}
COMPARE_TEXT: dict[Callable[[float, float], bool], str] = {
    operator.ge: ">=",
    operator.le: "<=",
    operator.lt: "<",
}


STATIC, DISTINCT, REPLAYED_SET = "static", "distinct", "set"  # how a run sends an operation
ROOT, IAM_USER = "root", "iam-user"  # whose access key signs an operation's requests


@dataclasses.dataclass(frozen=True)
class Operation:
    """One AWS call as the benchmark sends it."""

    name: str
    label: str
    service: str  # "kms", "secretsmanager" or "ssm": signing name and X-Amz-Target prefix
    action: str
    expect: str  # a field a successful answer must carry
    params: Callable[[Target], dict[str, Any]]  # request body for a prepared target
    # STATIC: one request replayed; DISTINCT: a pool of distinct requests, each sent once;
    # REPLAYED_SET: one request per parameter of a set, replayed round-robin.
    plan: str = STATIC
    principal: str = ROOT  # IAM_USER: signed with the bench's IAM user's key (issue 12)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


PLAIN_32 = os.urandom(32)
DIGEST_32 = os.urandom(32)  # Sign's message: a SHA-256 digest made by the caller
PLAIN_4K = os.urandom(4096)
SECRET_1K = _b64(os.urandom(768))  # 1,024 printable characters
PUT_1K = _b64(os.urandom(768))
PARAM_128 = _b64(os.urandom(96))  # 128 printable characters: a URL or connection string
PUT_PARAM_128 = _b64(os.urandom(96))


def put_params(secret: str) -> dict[str, Any]:
    """A PutSecretValue body with a token never used before (a new version)."""
    return {"SecretId": secret, "ClientRequestToken": str(uuid.uuid4()), "SecretString": PUT_1K}


def put_param_params(name: str) -> dict[str, Any]:
    """A PutParameter body that makes a new version of `name` each time it is sent."""
    return {"Name": name, "Value": PUT_PARAM_128, "Type": "String", "Overwrite": True}


OPERATIONS = {
    op.name: op
    for op in (
        Operation(
            "encrypt32",
            "Encrypt 32 B",
            "kms",
            "Encrypt",
            "CiphertextBlob",
            lambda t: {"KeyId": t.key_id, "Plaintext": _b64(PLAIN_32)},
        ),
        Operation(
            "encrypt32-iam",
            "Encrypt 32 B, IAM user",
            "kms",
            "Encrypt",
            "CiphertextBlob",
            lambda t: {"KeyId": t.key_id, "Plaintext": _b64(PLAIN_32)},
            principal=IAM_USER,
        ),
        Operation(
            "encrypt4k",
            "Encrypt 4 KiB",
            "kms",
            "Encrypt",
            "CiphertextBlob",
            lambda t: {"KeyId": t.key_id, "Plaintext": _b64(PLAIN_4K)},
        ),
        Operation(
            "decrypt",
            "Decrypt",
            "kms",
            "Decrypt",
            "Plaintext",
            lambda t: {"CiphertextBlob": t.ciphertext},
        ),
        Operation(
            "gdk",
            "GenerateDataKey",
            "kms",
            "GenerateDataKey",
            "CiphertextBlob",
            lambda t: {"KeyId": t.key_id, "KeySpec": "AES_256"},
        ),
        Operation(
            "sign",
            "Sign P-256 digest",
            "kms",
            "Sign",
            "Signature",
            lambda t: {
                "KeyId": t.sign_key_id,
                "Message": _b64(DIGEST_32),
                "MessageType": "DIGEST",
                "SigningAlgorithm": "ECDSA_SHA_256",
            },
        ),
        Operation(
            "generatemac",
            "GenerateMac HMAC_256 32 B",
            "kms",
            "GenerateMac",
            "Mac",
            lambda t: {
                "KeyId": t.mac_key_id,
                "Message": _b64(PLAIN_32),
                "MacAlgorithm": "HMAC_SHA_256",
            },
        ),
        Operation(
            "getsecret",
            "GetSecretValue 1 KiB",
            "secretsmanager",
            "GetSecretValue",
            "SecretString",
            lambda t: {"SecretId": t.secret_name},
        ),
        Operation(
            "putsecret",
            "PutSecretValue 1 KiB",
            "secretsmanager",
            "PutSecretValue",
            "VersionId",
            lambda t: put_params(t.secret_name),
            plan=DISTINCT,
        ),
        Operation(
            "getparam",
            "GetParameter String 128 B",
            "ssm",
            "GetParameter",
            "Parameter",
            lambda t: {"Name": GET_STRING},
        ),
        Operation(
            "getparamsecure",
            "GetParameter SecureString 128 B",
            "ssm",
            "GetParameter",
            "Parameter",
            lambda t: {"Name": GET_SECURE, "WithDecryption": True},
        ),
        Operation(
            "putparam",
            "PutParameter String 128 B",
            "ssm",
            "PutParameter",
            "Version",
            lambda t: put_param_params(PUT_PROBE),
            plan=REPLAYED_SET,
        ),
    )
}
SQLITE_BESIDE = {"putsecret": len(PUT_1K), "putparam": len(PUT_PARAM_128)}  # op: value bytes
ECDSA_BESIDE = "sign"
CPU_VS_ENCRYPT = ("sign", "generatemac")  # their CPU per request is set against Encrypt 32 B's
CPU_VS_ROOT = ("encrypt32-iam",)  # its CPU per request is set against the root's Encrypt 32 B's
IAM_USER_NAME = "kms-load-user"


class BenchError(Exception):
    """A benchmark that cannot go on: missing tool, server that does not start, bad answer."""


@dataclasses.dataclass
class Target:
    """A started server and what requests to it need."""

    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path
    credentials: tuple[str, str]
    key_id: str = ""
    key_arn: str = ""
    ciphertext: str = ""
    iam_credentials: tuple[str, str] | None = None  # the IAM user's access key (IAM_USER ops)
    sign_key_id: str = ""  # ECC_NIST_P256 SIGN_VERIFY
    mac_key_id: str = ""  # HMAC_256 GENERATE_VERIFY_MAC
    secret_name: str = ""  # the GetSecretValue secret
    put_rate: float | None = None  # best PutSecretValue req/s measured so far
    put_batches: int = 0  # pools of fresh secrets made so far
    param_set: list[str] = dataclasses.field(default_factory=list)  # PutParameter's set

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


# ---------------------------------------------------------------- prerequisites and servers


def check_prerequisites(targets: list[str]) -> None:
    """Fail with one message naming everything missing; nothing is installed."""
    missing = []
    if shutil.which("wrk") is None:
        missing.append("wrk (Debian package: apt-get install -y wrk)")
    for module in ("boto3", "rich", "uvicorn", "uvloop", "httptools"):
        if importlib.util.find_spec(module) is None:
            missing.append(f"python module {module} (pip install {module})")
    if "moto" in targets and shutil.which("moto_server") is None:
        missing.append("moto_server (pip install 'moto[server]')")
    if "strongroom" in targets and shutil.which("strongroom") is None:
        missing.append("strongroom command (pip install -e . at the repository root)")
    if "ecdsa" in targets and importlib.util.find_spec("cryptography") is None:
        missing.append("python module cryptography (pip install cryptography)")
    if missing:
        raise BenchError("missing prerequisites:\n  - " + "\n  - ".join(missing))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_command(name: str, port: int, workers: int, data_dir: Path) -> list[str]:
    """The command line that starts target `name` on `port`."""
    if name == "strongroom":
        cmd = ["strongroom", "server", "--dev", "--data-dir", str(data_dir), "--port", str(port)]
        cmd += ["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY]
        cmd += ["--account-id", ACCOUNT_ID]
        return cmd + (["--workers", str(workers)] if workers != 1 else [])
    if name == "moto":
        return ["moto_server", "-H", "127.0.0.1", "-p", str(port)]
    cmd = [sys.executable, "-m", "uvicorn", "raw_asgi:app", "--app-dir", str(BENCH_DIR)]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--loop", "uvloop", "--http", "httptools"]
    cmd += ["--no-access-log", "--log-level", "warning"]
    return cmd + (["--workers", str(workers)] if workers != 1 else [])


def http_status(port: int, method: str, path: str) -> int | None:
    """The status of one request, or None when nothing answers yet."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request(method, path)
        return conn.getresponse().status
    except OSError:
        return None
    finally:
        conn.close()


def wait_ready(target: Target, timeout: float) -> None:
    """Poll until the server answers (Strongroom: GET /sys/health is 200, i.e. unsealed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if target.proc.poll() is not None:
            raise BenchError(f"{target.name} exited with {target.proc.returncode}:\n{tail(target)}")
        strongroom = target.name == "strongroom"
        status = http_status(target.port, "GET", "/sys/health" if strongroom else "/")
        if status is not None and (not strongroom or status == 200):
            return
        time.sleep(0.2)
    raise BenchError(f"{target.name} not ready after {timeout:.0f}s:\n{tail(target)}")


def tail(target: Target, lines: int = 30) -> str:
    text = target.log.read_text(errors="replace").splitlines()
    return "\n".join("    " + line for line in text[-lines:])


def start_server(name: str, args: argparse.Namespace, workdir: Path) -> Target:
    """Start one target in its own process group, its output going to a log file."""
    port = free_port()
    log = workdir / f"{name}.log"
    data_dir = workdir / f"{name}-data"
    data_dir.mkdir()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            server_command(name, port, args.workers, data_dir),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            start_new_session=True,
        )
    creds = MOTO_KEYS if name == "moto" else (ACCESS_KEY, SECRET_KEY)
    return Target(name, port, proc, log, creds)


def own_cpu() -> float:
    """CPU seconds this process (the client) has used."""
    times = os.times()
    return times.user + times.system


@contextlib.contextmanager
def sized_servers(prefix: str, sizes: list[int], start_timeout: float) -> Iterator[list[Target]]:
    """One ready one-worker Strongroom per size, each in its own directory; always stopped."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    started: list[Target] = []
    try:
        for size in sizes:
            (workdir / str(size)).mkdir()
            started.append(
                start_server("strongroom", argparse.Namespace(workers=1), workdir / str(size))
            )
        for target in started:
            wait_ready(target, start_timeout)
        yield started
    finally:
        for target in started:
            stop_server(target)
        shutil.rmtree(workdir, ignore_errors=True)


def stop_server(target: Target) -> None:
    """TERM the target's process group, then KILL what is left; never waits unbounded."""
    for sig, wait in ((signal.SIGTERM, STOP_TIMEOUT), (signal.SIGKILL, STOP_TIMEOUT)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(target.proc.pid, sig)
        try:
            target.proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        # The leader is gone; KILL any worker it left behind in the group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(target.proc.pid, signal.SIGKILL)
        return
    print(f"warning: {target.name} (pid {target.proc.pid}) did not stop", file=sys.stderr)


@contextlib.contextmanager
def running_servers(args: argparse.Namespace) -> Iterator[tuple[list[Target], Path]]:
    """Start every server target, wait until each is ready, and always stop them all.

    Yields the targets and the work directory their data lives in (the SQLite loop's too).
    """
    workdir = Path(tempfile.mkdtemp(prefix="kms_load-"))
    targets: list[Target] = []
    try:
        for name in args.targets:
            if name in SERVERS:
                targets.append(start_server(name, args, workdir))
        for target in targets:
            wait_ready(target, args.start_timeout)
            say(f"{target.name} ready on {target.endpoint} (pid {target.proc.pid})")
        yield targets, workdir
    finally:
        for target in targets:
            stop_server(target)
        shutil.rmtree(workdir, ignore_errors=True)


# ------------------------------------------------------------- keys, secrets and requests


def sdk_client(target: Target, service: str, credentials: tuple[str, str] | None = None) -> Any:
    """A boto3 client of `service` on the target (signed by the root unless `credentials`),
    one attempt per call."""
    import boto3
    from botocore.config import Config

    access_key, secret_key = credentials or target.credentials
    return boto3.client(
        service,
        endpoint_url=target.endpoint,
        region_name=REGION,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(
            retries={"total_max_attempts": 1},
            connect_timeout=5,
            read_timeout=30,
            max_pool_connections=CREATE_THREADS,
        ),
    )


def prepare(target: Target, ops: list[Operation]) -> None:
    """What the operations need: a key and a ciphertext for KMS, a warm 1 KiB secret,
    warm parameters, PutParameter's set."""
    if any(op.service == "kms" for op in ops):
        prepare_key(target)
    if any(op.principal == IAM_USER for op in ops):
        prepare_iam_user(target)
    if any(op.name == "sign" for op in ops):
        target.sign_key_id = asymmetric_key(target, "ECC_NIST_P256", "SIGN_VERIFY")
    if any(op.name == "generatemac" for op in ops):
        target.mac_key_id = asymmetric_key(target, "HMAC_256", "GENERATE_VERIFY_MAC")
    if any(op.name == "getsecret" for op in ops):
        prepare_secret(target)
    if any(op.name in ("getparam", "getparamsecure") for op in ops):
        prepare_parameters(target)
    if any(op.plan == REPLAYED_SET for op in ops):
        prepare_param_set(target)


def prepare_key(target: Target) -> None:
    """Create a symmetric key with boto3 and a ciphertext for Decrypt (raw: stand-ins)."""
    if target.name == "raw":
        target.key_id = str(uuid.uuid4())
        target.key_arn = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/{target.key_id}"
        target.ciphertext = _b64(os.urandom(180))
        return
    kms = sdk_client(target, "kms")
    metadata = kms.create_key(Description="kms_load benchmark")["KeyMetadata"]
    target.key_id, target.key_arn = metadata["KeyId"], metadata["Arn"]
    blob = kms.encrypt(KeyId=target.key_id, Plaintext=PLAIN_32)["CiphertextBlob"]
    target.ciphertext = _b64(blob)


def asymmetric_key(target: Target, spec: str, usage: str) -> str:
    """Create a key of `spec` and `usage` with boto3 (raw: a stand-in id), sign or MAC once
    and verify that (so its material is loaded and cached before the runs)."""
    if target.name == "raw":
        return str(uuid.uuid4())
    kms = sdk_client(target, "kms")
    key = kms.create_key(Description="kms_load benchmark", KeySpec=spec, KeyUsage=usage)
    key_id: str = key["KeyMetadata"]["KeyId"]
    if usage == "SIGN_VERIFY":
        how = {"Message": DIGEST_32, "MessageType": "DIGEST", "SigningAlgorithm": "ECDSA_SHA_256"}
        signature = kms.sign(KeyId=key_id, **how)["Signature"]
        valid = kms.verify(KeyId=key_id, Signature=signature, **how)["SignatureValid"]
    else:
        how = {"Message": PLAIN_32, "MacAlgorithm": "HMAC_SHA_256"}
        mac = kms.generate_mac(KeyId=key_id, **how)["Mac"]
        valid = kms.verify_mac(KeyId=key_id, Mac=mac, **how)["MacValid"]
    if not valid:
        raise BenchError(f"{target.name}: a {spec} key does not verify what it made")
    return key_id


def iam_policies(key_arn: str) -> dict[str, dict[str, Any]]:
    """The IAM user's three managed policies (name: document); only the first allows the
    benchmark's Encrypt, so the engine must look through all three to find it."""
    secret_arn = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:kms-load-other-*"

    def allow(action: str | list[str], resource: str) -> dict[str, Any]:
        statement = {"Effect": "Allow", "Action": action, "Resource": resource}
        return {"Version": "2012-10-17", "Statement": [statement]}

    return {
        "kms-load-encrypt": allow("kms:Encrypt", key_arn),
        "kms-load-describe": allow(["kms:DescribeKey", "kms:ListKeys"], "*"),
        "kms-load-secret": allow("secretsmanager:GetSecretValue", secret_arn),
    }


def prepare_iam_user(target: Target) -> None:
    """As the root, through the IAM API: an IAM user, the three managed policies of
    `iam_policies` attached to it (the key's policy stays the default one), and an access
    key, which then signs the IAM_USER operations. The user's Encrypt is tried once with
    boto3 (raw: the root's key, it checks nothing)."""
    if target.name == "raw":
        target.iam_credentials = target.credentials
        return
    iam = sdk_client(target, "iam")
    iam.create_user(UserName=IAM_USER_NAME)
    for name, document in iam_policies(target.key_arn).items():
        arn = iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(document))["Policy"]
        iam.attach_user_policy(UserName=IAM_USER_NAME, PolicyArn=arn["Arn"])
    key = iam.create_access_key(UserName=IAM_USER_NAME)["AccessKey"]
    target.iam_credentials = (key["AccessKeyId"], key["SecretAccessKey"])
    kms = sdk_client(target, "kms", target.iam_credentials)
    kms.encrypt(KeyId=target.key_id, Plaintext=PLAIN_32)


def prepare_secret(target: Target) -> None:
    """Create the GetSecretValue secret (1 KiB SecretString) and read it once: warm.

    The first read of a day also records the day of access (a write); later reads do not.
    """
    target.secret_name = "kms-load-get"
    if target.name == "raw":
        return
    sm = sdk_client(target, "secretsmanager")
    sm.create_secret(Name=target.secret_name, SecretString=SECRET_1K)
    if sm.get_secret_value(SecretId=target.secret_name)["SecretString"] != SECRET_1K:
        raise BenchError(f"{target.name}: GetSecretValue does not give back the value stored")


def prepare_parameters(target: Target) -> None:
    """Create GetParameter's String and SecureString (default key `alias/aws/ssm`, made
    on first use) with boto3 and read each once, checking the values: warm."""
    if target.name == "raw":
        return
    ssm = sdk_client(target, "ssm")
    ssm.put_parameter(Name=GET_STRING, Value=PARAM_128, Type="String")
    ssm.put_parameter(Name=GET_SECURE, Value=PARAM_128, Type="SecureString")
    for name in (GET_STRING, GET_SECURE):
        if ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] != PARAM_128:
            raise BenchError(f"{target.name}: GetParameter {name} does not give back its value")
    sealed = ssm.get_parameter(Name=GET_SECURE)["Parameter"]["Value"]
    if target.name == "strongroom" and PARAM_128 in sealed:  # moto keeps it in the clear
        raise BenchError("strongroom: the SecureString is shown in the clear undecrypted")


def prepare_param_set(target: Target) -> None:
    """PutParameter's set of String parameters, created with boto3 (raw: names only)."""
    target.param_set = [f"/kms-load/put/p-{i:03d}" for i in range(PUT_PARAMETERS)]
    if target.name == "raw":
        return
    from concurrent.futures import ThreadPoolExecutor

    ssm = sdk_client(target, "ssm")
    with ThreadPoolExecutor(CREATE_THREADS) as pool:
        list(
            pool.map(
                lambda name: ssm.put_parameter(Name=name, Value="v0", Type="String"),
                target.param_set,
            )
        )


def signed(target: Target, op: Operation, params: dict[str, Any]) -> dict[str, Any]:
    """The exact request boto3 would send, signed now with botocore's SigV4 signer."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    body = json.dumps(params, separators=(",", ":"))
    url = target.endpoint + "/"
    headers = {
        "X-Amz-Target": f"{WIRE_PREFIX[op.service]}.{op.action}",
        "Content-Type": "application/x-amz-json-1.1",
    }
    request = AWSRequest(method="POST", url=url, data=body.encode(), headers=headers)
    credentials = target.credentials
    if op.principal == IAM_USER:
        if target.iam_credentials is None:
            raise BenchError(f"{target.name}: no IAM user prepared for {op.name}")
        credentials = target.iam_credentials
    SigV4Auth(Credentials(*credentials), op.service, REGION).add_auth(request)
    final = {"Host": urlsplit(url).netloc, "User-Agent": "kms_load/1 botocore-signer"}
    final.update(request.headers.items())
    return {"method": "POST", "path": "/", "headers": final, "body": body}


def signed_request(target: Target, op: Operation) -> dict[str, Any]:
    """`op`'s request for `target`, signed now."""
    return signed(target, op, op.params(target))


def lua_string(text: str) -> str:
    """A Lua string literal for any text: printable ASCII as is, other bytes as \\ddd."""
    out = []
    for byte in text.encode():
        printable = 32 <= byte < 127 and byte not in (34, 92)
        out.append(chr(byte) if printable else f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def write_spec(request: dict[str, Any], path: Path) -> None:
    headers = ", ".join(
        f"[{lua_string(k)}] = {lua_string(v)}" for k, v in request["headers"].items()
    )
    path.write_text(
        f"return {{ method = {lua_string(request['method'])}, path = {lua_string(request['path'])},"
        f" headers = {{ {headers} }}, body = {lua_string(request['body'])} }}\n"
    )


def probe(target: Target, op: Operation, request: dict[str, Any]) -> str | None:
    """Send the request once; None if it succeeded as a real answer would, else why not."""
    conn = http.client.HTTPConnection("127.0.0.1", target.port, timeout=30)
    try:
        conn.request("POST", request["path"], request["body"].encode(), request["headers"])
        response = conn.getresponse()
        raw = response.read()
    except OSError as exc:
        return f"probe failed: {exc!r}"
    finally:
        conn.close()
    if response.status != 200:
        return f"probe answered {response.status}: {raw[:300]!r}"
    if target.name != "raw":
        try:
            answer = json.loads(raw)
        except ValueError:
            return f"probe answered non-JSON: {raw[:300]!r}"
        if op.expect not in answer:
            return f"probe answer lacks {op.expect}: {raw[:300]!r}"
    return None


# ------------------------------------------------------------------ pools of distinct Puts

# wrk script for pooled runs, written next to the pool files. Each wrk thread loads its own
# file of raw HTTP requests ("<length>\n<bytes>" each) and sends each request once, in
# order; past the end it goes round again and counts replays, which kms_load.py turns into
# an error for a target that checks tokens (PutSecretValue; PutParameter's set replays on
# purpose). Lua runs per request here (a table lookup), a cost far below a durable write's.
POOL_LUA = r"""
local threads = {}
local count = 0

function setup(thread)
   count = count + 1
   thread:set("id", count)
   table.insert(threads, thread)
end

function init(args)
   local file = assert(io.open(args[id], "rb"))
   pool = {}
   while true do
      local size = file:read("*l")
      if not size then break end
      pool[#pool + 1] = file:read(tonumber(size))
   end
   file:close()
   pooled = #pool
   sent = 0
   replays = 0
end

function request()
   sent = sent + 1
   if sent > pooled then replays = replays + 1 end
   return pool[(sent - 1) % pooled + 1]
end

function done(summary, latency, requests)
   local replayed, pooled_total = 0, 0
   for _, thread in ipairs(threads) do
      replayed = replayed + thread:get("replays")
      pooled_total = pooled_total + thread:get("pooled")
   end
   local e = summary.errors
   io.write(string.format(
      'WRK_JSON {"requests":%.0f,"duration_us":%.0f,"bytes":%.0f,' ..
      '"errors":{"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f},' ..
      '"latency_us":{"min":%.0f,"mean":%.1f,"max":%.0f,"stdev":%.1f,' ..
      '"p50":%.0f,"p75":%.0f,"p90":%.0f,"p99":%.0f,"p999":%.0f},' ..
      '"pool":%.0f,"replays":%.0f}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.min, latency.mean, latency.max, latency.stdev,
      latency:percentile(50), latency:percentile(75), latency:percentile(90),
      latency:percentile(99), latency:percentile(99.9), pooled_total, replayed))
end
"""


def pool_size(target: Target, args: argparse.Namespace, duration: float) -> int:
    """How many distinct requests a run needs: measured rate x duration, with headroom."""
    if args.put_pool:
        return int(args.put_pool)
    if target.name == "raw":
        return RAW_POOL
    rate = target.put_rate or PUT_RATE_GUESS[target.name]
    return int(rate * duration * POOL_HEADROOM) + POOL_SPARE


def fresh_secrets(target: Target, count: int) -> list[str]:
    """`count` new secrets (boto3, CREATE_THREADS at a time); raw: names only."""
    target.put_batches += 1
    names = [f"kms-load-put-{target.put_batches}-{i}" for i in range(count)]
    if target.name == "raw":
        return names
    from concurrent.futures import ThreadPoolExecutor

    sm = sdk_client(target, "secretsmanager")
    try:
        with ThreadPoolExecutor(CREATE_THREADS) as pool:
            list(pool.map(lambda name: sm.create_secret(Name=name, SecretString="v0"), names))
    except Exception as exc:
        raise BenchError(f"{target.name}: creating secrets for PutSecretValue: {exc}") from exc
    return names


def versions_written(target: Target, names: list[str]) -> int | None:
    """New versions now on `names` (beyond each one's first), read back with boto3."""
    if target.name == "raw":
        return None
    from concurrent.futures import ThreadPoolExecutor

    sm = sdk_client(target, "secretsmanager")

    def count(name: str) -> int:
        answer = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True, MaxResults=100)
        return len(answer["Versions"]) - 1

    with ThreadPoolExecutor(CREATE_THREADS) as pool:
        return sum(pool.map(count, names))


def current_versions(target: Target, names: list[str]) -> dict[str, int] | None:
    """Each parameter's current version number, read with boto3 (raw: None)."""
    if target.name == "raw":
        return None
    from concurrent.futures import ThreadPoolExecutor

    ssm = sdk_client(target, "ssm")

    def version(name: str) -> int:
        return int(ssm.get_parameter(Name=name)["Parameter"]["Version"])

    with ThreadPoolExecutor(CREATE_THREADS) as pool:
        return dict(zip(names, pool.map(version, names), strict=True))


def raw_http(request: dict[str, Any]) -> bytes:
    """The request as bytes on the wire, as wrk would format it."""
    body: bytes = request["body"].encode()
    head = f"{request['method']} {request['path']} HTTP/1.1\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in request["headers"].items())
    return (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def write_pool(requests: list[bytes], threads: int, directory: Path) -> list[Path]:
    """One file per wrk thread; thread i gets requests i, i + threads, ..."""
    paths = []
    for i in range(threads):
        path = directory / f"pool-{i}.bin"
        with path.open("wb") as out:
            for raw in requests[i::threads]:
                out.write(b"%d\n" % len(raw) + raw)
        paths.append(path)
    return paths


# --------------------------------------------------------------------------- measurement


def process_table() -> dict[int, tuple[int, int]]:
    """pid -> (ppid, utime+stime+cutime+cstime in ticks) for every process visible in /proc."""
    table = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        table[int(entry.name)] = (int(fields[1]), sum(int(f) for f in fields[11:15]))
    return table


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds used so far by `root` and all its descendants, living or reaped.

    A process's cutime/cstime hold only its reaped children, which no longer appear in
    /proc, so summing all four fields over the living tree counts every tick once.
    """
    table = process_table()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        if pid in table:
            total += table[pid][1]
            stack.extend(children.get(pid, []))
    return total / CLK_TCK


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all cores, from /proc/stat."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def run_bounded(cmd: list[str], timeout: float) -> tuple[int, str, float]:
    """Run `cmd` (killed after `timeout`); its exit code, output and own CPU seconds."""
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        watchdog = threading.Timer(timeout, proc.kill)
        watchdog.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)  # wait4, not wait: it gives the CPU time
            proc.returncode = os.waitstatus_to_exitcode(status)
        finally:
            watchdog.cancel()
            if proc.returncode is None:  # interrupted: leave nothing behind
                proc.kill()
                proc.wait(timeout=STOP_TIMEOUT)
        out.seek(0)
        text = out.read().decode(errors="replace")
    return proc.returncode, text, usage.ru_utime + usage.ru_stime


def tagged_json(text: str, tag: str) -> dict[str, Any] | None:
    """The JSON after the last line starting with `tag `, or None."""
    lines = [line for line in text.splitlines() if line.startswith(tag + " ")]
    return json.loads(lines[-1][len(tag) + 1 :]) if lines else None


@dataclasses.dataclass
class Plan:
    """What one wrk run sends: its Lua script and that script's arguments."""

    script: Path
    script_args: list[str]
    names: list[str] = dataclasses.field(default_factory=list)  # secrets or parameters Put to
    baseline: dict[str, int] | None = None  # REPLAYED_SET: each parameter's version before


def static_plan(
    target: Target, op: Operation, args: argparse.Namespace, duration: float, tmp: Path
) -> Plan | str:
    """One request, signed now and probed, replayed by `signed_request.lua`."""
    request = signed_request(target, op)
    problem = probe(target, op, request)
    if problem:
        return problem
    write_spec(request, tmp / "spec.lua")
    return Plan(LUA_SCRIPT, [str(tmp / "spec.lua")])


def pooled_plan(
    target: Target, op: Operation, args: argparse.Namespace, duration: float, tmp: Path
) -> Plan | str:
    """Distinct requests over fresh secrets, each signed now, probed with one more."""
    size = pool_size(target, args, duration)
    names = fresh_secrets(target, -(-size // PUTS_PER_SECRET) + 1)
    probe_secret, names = names[-1], names[:-1]
    problem = probe(target, op, signed(target, op, put_params(probe_secret)))
    if problem:
        return problem
    started = time.monotonic()
    pool = [raw_http(signed(target, op, put_params(names[i % len(names)]))) for i in range(size)]
    files = write_pool(pool, args.threads, tmp)
    if time.monotonic() - started > 120:  # SigV4 allows 5 minutes of skew
        raise BenchError(f"signing {size} requests took over 2 minutes; use a smaller --put-pool")
    (tmp / "pool.lua").write_text(POOL_LUA)
    return Plan(tmp / "pool.lua", [str(path) for path in files], names)


def set_plan(
    target: Target, op: Operation, args: argparse.Namespace, duration: float, tmp: Path
) -> Plan | str:
    """One request per parameter of the set, signed now, replayed round-robin by the pool
    script (a replay is a new version); probed on a parameter of its own, then each
    parameter's version noted."""
    problem = probe(target, op, signed_request(target, op))
    if problem:
        return problem
    baseline = current_versions(target, target.param_set)
    pool = [raw_http(signed(target, op, put_param_params(name))) for name in target.param_set]
    files = write_pool(pool, args.threads, tmp)
    (tmp / "pool.lua").write_text(POOL_LUA)
    return Plan(tmp / "pool.lua", [str(path) for path in files], target.param_set, baseline)


def run_wrk(
    target: Target, plan: Plan, args: argparse.Namespace, duration: float
) -> tuple[dict[str, Any], str, float]:
    """Run wrk once; returns its JSON summary, its text output and its own CPU seconds."""
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{duration:g}s", "--latency"]
    cmd += ["--timeout", "5s", "-s", str(plan.script), target.endpoint + "/", "--"]
    returncode, text, cpu = run_bounded(cmd + plan.script_args, duration + 60)
    summary = tagged_json(text, "WRK_JSON")
    if returncode != 0 or summary is None:
        raise BenchError(f"wrk failed (exit {returncode}):\n{text}")
    return summary, text, cpu


def measure(
    target: Target, op: Operation, args: argparse.Namespace, duration: float
) -> dict[str, Any]:
    """One wrk run against one target, with server CPU and error accounting."""
    with tempfile.TemporaryDirectory(prefix="kms_load-run-") as tmp:
        plan = PLANS[op.plan](target, op, args, duration, Path(tmp))
        if isinstance(plan, str):
            return {"target": target.name, "op": op.name, "probe_error": plan, "errors": 1}
        cpu_before, machine_before = tree_cpu_seconds(target.proc.pid), machine_ticks()
        summary, text, wrk_cpu = run_wrk(target, plan, args, duration)
        cpu_after, machine_after = tree_cpu_seconds(target.proc.pid), machine_ticks()
    result = run_stats(summary, cpu_after - cpu_before, wrk_cpu, machine_before, machine_after)
    result |= {"target": target.name, "op": op.name, "wrk_output": text}
    if op.plan in CHECKS:
        result |= CHECKS[op.plan](target, plan, summary)
    return result


def run_stats(
    summary: dict[str, Any],
    server_cpu: float,
    wrk_cpu: float,
    machine_before: tuple[int, int],
    machine_after: tuple[int, int],
) -> dict[str, Any]:
    """req/s, latency, CPU per request and errors of one wrk run."""
    requests = max(int(summary["requests"]), 1)
    seconds = summary["duration_us"] / 1e6
    busy = machine_after[0] - machine_before[0]
    errors = summary["errors"]
    return {
        "requests": int(summary["requests"]),
        "rps": summary["requests"] / seconds,
        "p50_ms": summary["latency_us"]["p50"] / 1000,
        "p99_ms": summary["latency_us"]["p99"] / 1000,
        "latency_us": summary["latency_us"],
        "cpu_us_per_req": server_cpu * 1e6 / requests,
        "server_cpu_s": server_cpu,
        "wrk_cpu_us_per_req": wrk_cpu * 1e6 / requests,
        "machine_busy": busy / max(machine_after[1] - machine_before[1], 1),
        # Cores' worth of CPU that neither wrk nor this server used: the shared machine's noise.
        "others_cores": max(busy / CLK_TCK - server_cpu - wrk_cpu, 0.0) / seconds,
        "socket_errors": {k: int(v) for k, v in errors.items() if k != "status"},
        "non_2xx": int(errors["status"]),
        "errors": int(sum(errors.values())),
    }


def pool_check(target: Target, plan: Plan, summary: dict[str, Any]) -> dict[str, Any]:
    """A pooled run is an error if a checking target got a replay, or if fewer new
    versions exist than Puts were acknowledged (up to one per connection may be in flight
    when wrk stops, so there may be more)."""
    replays = int(summary["replays"])
    written = versions_written(target, plan.names)
    check: dict[str, Any] = {"pool": int(summary["pool"]), "replays": replays}
    check["versions_written"] = written
    problems = []
    if replays and target.name != "raw":
        problems.append(f"pool of {summary['pool']} ran out: {replays} replays (--put-pool)")
    if written is not None and written < int(summary["requests"]):
        problems.append(f"{summary['requests']} Puts acknowledged, {written} versions found")
    if target.name != "raw" and not problems:
        target.put_rate = max(
            target.put_rate or 0.0, summary["requests"] * 1e6 / summary["duration_us"]
        )
    if problems:
        check["pool_error"] = "; ".join(problems)
        check["errors"] = 1 + int(sum(summary["errors"].values()))
    return check


def set_check(target: Target, plan: Plan, summary: dict[str, Any]) -> dict[str, Any]:
    """A replayed-set run is an error if fewer new versions exist than Puts were
    acknowledged (each parameter's version number counts its Puts, whatever was dropped)."""
    after = current_versions(target, plan.names)
    check: dict[str, Any] = {"pool": int(summary["pool"]), "replays": int(summary["replays"])}
    written = None
    if after is not None and plan.baseline is not None:
        written = sum(after[name] - plan.baseline[name] for name in plan.names)
    check["versions_written"] = written
    if written is not None and written < int(summary["requests"]):
        check["pool_error"] = f"{summary['requests']} Puts acknowledged, {written} versions made"
        check["errors"] = 1 + int(sum(summary["errors"].values()))
    return check


PLANS = {STATIC: static_plan, DISTINCT: pooled_plan, REPLAYED_SET: set_plan}
CHECKS = {DISTINCT: pool_check, REPLAYED_SET: set_check}


def measure_sqlite(
    args: argparse.Namespace, workdir: Path, duration: float, op: Operation
) -> dict[str, Any]:
    """The bare SQLite commit loop, as its own process, beside a Put (values of its size)."""
    cmd = [sys.executable, str(SQLITE_LOOP), "--dir", str(workdir), "--duration", f"{duration:g}"]
    cmd += ["--threads", str(args.connections), "--value-bytes", str(SQLITE_BESIDE[op.name])]
    cmd += ["--private-connections"] if args.sqlite_private else []
    machine_before = machine_ticks()
    returncode, text, process_cpu = run_bounded(cmd, duration + 60)
    machine_after = machine_ticks()
    loop = tagged_json(text, "SQLITE_JSON")
    if loop is None:
        raise BenchError(f"sqlite_commit_loop.py failed (exit {returncode}):\n{text}")
    seconds, busy = loop["duration_s"], machine_after[0] - machine_before[0]
    return {
        "target": "sqlite",
        "op": op.name,
        "requests": loop["commits"],
        "rps": loop["rps"],
        "p50_ms": loop["latency_us"]["p50"] / 1000,
        "p99_ms": loop["latency_us"]["p99"] / 1000,
        "latency_us": loop["latency_us"],
        "cpu_us_per_req": loop["cpu_us_per_commit"],  # the loop's own, start-up excluded
        "wrk_cpu_us_per_req": None,
        "machine_busy": busy / max(machine_after[1] - machine_before[1], 1),
        "others_cores": max(busy / CLK_TCK - process_cpu, 0.0) / seconds,
        "socket_errors": {},
        "non_2xx": 0,
        "errors": len(loop["failures"]) + (returncode != 0),
        "sqlite": loop,
    }


def measure_ecdsa(args: argparse.Namespace, op: Operation) -> dict[str, Any]:
    """The bare ECDSA P-256 signature (`ecdsa_reference.py`), as its own process, beside Sign."""
    cmd = [sys.executable, str(ECDSA_REFERENCE)]
    machine_before = machine_ticks()
    started = time.monotonic()
    returncode, text, process_cpu = run_bounded(cmd, 120)
    seconds = max(time.monotonic() - started, 1e-3)
    machine_after = machine_ticks()
    reference = tagged_json(text, "ECDSA_JSON")
    if reference is None:
        raise BenchError(f"ecdsa_reference.py failed (exit {returncode}):\n{text}")
    busy = machine_after[0] - machine_before[0]
    return {
        "target": "ecdsa",
        "op": op.name,
        "requests": reference["signatures"] * reference["repeats"],
        "rps": None,
        "p50_ms": None,
        "p99_ms": None,
        "cpu_us_per_req": reference["us_per_signature"],  # median repeat, start-up excluded
        "wrk_cpu_us_per_req": None,
        "machine_busy": busy / max(machine_after[1] - machine_before[1], 1),
        "others_cores": max(busy / CLK_TCK - process_cpu, 0.0) / seconds,
        "socket_errors": {},
        "non_2xx": 0,
        "errors": int(returncode != 0),
        "ecdsa": reference,
    }


# --------------------------------------------------------------------------------- running


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_op(
    targets: list[Target], op: Operation, args: argparse.Namespace, workdir: Path, duration: float
) -> list[dict[str, Any]]:
    """One run of `op` on every target (and the SQLite loop beside the Puts)."""
    runs = [measure(target, op, args, duration) for target in targets]
    if op.name in SQLITE_BESIDE and "sqlite" in args.targets:
        runs.append(measure_sqlite(args, workdir, duration, op))
    if op.name == ECDSA_BESIDE and "ecdsa" in args.targets:
        runs.append(measure_ecdsa(args, op))
    return runs


def run_all(targets: list[Target], workdir: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Warm up each pair once, then interleave targets per operation per round."""
    ops = [OPERATIONS[name] for name in args.ops]
    for target in targets:
        prepare(target, ops)
    if args.warmup > 0:
        for op in ops:
            for result in run_op(targets, op, args, workdir, args.warmup):
                if result["errors"]:
                    say(f"warm-up {result['target']} {op.name}: ERRORS {error_text(result)}")
    runs = []
    for rnd in range(1, args.rounds + 1):
        for op in ops:
            for result in run_op(targets, op, args, workdir, args.duration):
                runs.append(result | {"round": rnd})
                say(f"round {rnd} {op.name:9} {result['target']:10} {describe(result)}")
    return runs


def error_text(run: dict[str, Any]) -> str:
    if "probe_error" in run:
        return str(run["probe_error"])
    sock = ", ".join(f"{k} {v}" for k, v in run["socket_errors"].items() if v)
    text = f"non-2xx {run['non_2xx']}" + (f", socket errors: {sock}" if sock else "")
    if "pool_error" in run:
        text += f", {run['pool_error']}"
    if run.get("sqlite", {}).get("failures"):
        text += f", SQLite: {'; '.join(run['sqlite']['failures'])}"
    return text


def describe(run: dict[str, Any]) -> str:
    if "probe_error" in run:
        return f"FAILED {run['probe_error']}"
    if run["target"] == "ecdsa":
        return (
            f"cpu {run['cpu_us_per_req']:7.1f} us/signature (median of "
            f"{run['ecdsa']['repeats']} x {run['ecdsa']['signatures']})  "
            f"others {run['others_cores']:.2f} cores"
        )
    text = (
        f"{run['rps']:9.0f} req/s  p50 {run['p50_ms']:6.2f} ms  p99 {run['p99_ms']:6.2f} ms  "
        f"cpu {run['cpu_us_per_req']:7.0f} us/req  "
        f"wrk {fmt(run['wrk_cpu_us_per_req'], '4.0f')} us/req  "
        f"machine {run['machine_busy']:4.0%}  others {run['others_cores']:.2f} cores"
    )
    if run.get("pool"):
        text += f"  pool {run['pool']} versions {fmt(run['versions_written'], 'd')}"
    return text + (f"  !! ERRORS: {error_text(run)}" if run["errors"] else "")


def median_of(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


MEDIAN_KEYS = ("rps", "p50_ms", "p99_ms", "cpu_us_per_req", "wrk_cpu_us_per_req", "others_cores")


def summarize(runs: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    """Medians per (operation, target) and medians of the per-round ratios."""
    rows: dict[str, dict[str, Any]] = {}
    for op in args.ops:
        per_target = {}
        for name in args.targets:
            mine = [r for r in runs if r["op"] == op and r["target"] == name]
            if not mine:
                continue  # the SQLite loop runs only beside the Puts
            measured = [r for r in mine if "rps" in r]
            per_target[name] = {
                key: median_of([r[key] for r in measured if r[key] is not None])
                for key in MEDIAN_KEYS
            } | {"errors": sum(r["errors"] for r in mine)}
        ratios: dict[str, float | None] = {}
        for peer in ("moto", "raw", "sqlite"):
            values = round_ratios(runs, (op, "strongroom"), (op, peer), "rps")
            if values:
                ratios[f"vs_{peer}"] = median_of(values)
        if op != "decrypt":
            values = round_ratios(
                runs, (op, "strongroom"), ("decrypt", "strongroom"), "cpu_us_per_req"
            )
            if values:
                ratios["cpu_vs_decrypt"] = median_of(values)
        if op in CPU_VS_ENCRYPT:
            values = round_ratios(
                runs, (op, "strongroom"), ("encrypt32", "strongroom"), "cpu_us_per_req"
            )
            if values:
                ratios["cpu_vs_encrypt"] = median_of(values)
        per_round: dict[str, list[float]] = {}
        if op in CPU_VS_ROOT:
            values = round_ratios(
                runs, (op, "strongroom"), ("encrypt32", "strongroom"), "cpu_us_per_req"
            )
            if values:
                ratios["cpu_vs_root"] = median_of(values)
                per_round["cpu_vs_root"] = values
        if op == ECDSA_BESIDE:
            values = budget_ratios(runs)
            if values:
                ratios["cpu_vs_budget"] = median_of(values)
        rows[op] = {"targets": per_target, "ratios": ratios, "per_round": per_round}
    return rows


def budget_ratios(runs: list[dict[str, Any]]) -> list[float]:
    """Sign's server CPU per request over (Encrypt 32 B's + one bare ECDSA signature), one
    ratio per round where all three were measured."""
    out = []
    for rnd in sorted({r["round"] for r in runs}):
        found = {
            (r["op"], r["target"]): r["cpu_us_per_req"]
            for r in runs
            if r["round"] == rnd and r.get("cpu_us_per_req") is not None and not r["errors"]
        }
        parts = [("sign", "strongroom"), ("encrypt32", "strongroom"), ("sign", "ecdsa")]
        if all(part in found for part in parts):
            sign, encrypt, ecdsa = (found[part] for part in parts)
            out.append(sign / (encrypt + ecdsa))
    return out


def round_ratios(
    runs: list[dict[str, Any]], mine: tuple[str, str], peer: tuple[str, str], key: str
) -> list[float]:
    """`key` of run (op, target) `mine` over that of `peer`, one ratio per round where
    both ran."""
    out = []
    for rnd in sorted({r["round"] for r in runs}):
        found = {
            (r["op"], r["target"]): r[key]
            for r in runs
            if r["round"] == rnd and r.get(key) is not None
        }
        if mine in found and found.get(peer):
            out.append(found[mine] / found[peer])
    return out


def goal_checks(summary: dict[str, Any]) -> list[tuple[str, bool]]:
    """The issues' goals for Strongroom, each with whether the medians meet it (no errors)."""
    checks = []
    for op, row in summary.items():
        mine = row["targets"].get("strongroom")
        if not mine or mine["rps"] is None:
            continue
        values = mine | row["ratios"]
        for key, compare, bound in GOALS.get(op, ()):
            value = values.get(key)
            if value is not None:
                text = f"{GOAL_TEXT[key]} {COMPARE_TEXT[compare]} {bound:g}"
                label = f"{OPERATIONS[op].label}: {text} (measured {value:.2f})"
                checks.append((label, mine["errors"] == 0 and bool(compare(value, bound))))
    return checks


# --------------------------------------------------------------------------------- output


def fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def ratio(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec) + "x"


SERVER_LABEL = {"sqlite": "SQLite loop", "ecdsa": "ECDSA P-256, bare (cryptography)"}


def table_rows(summary: dict[str, Any]) -> list[list[str]]:
    """One row per (operation, server): the columns of both the rich and markdown tables."""
    rows = []
    for op, row in summary.items():
        for name, m in row["targets"].items():
            r = row["ratios"] if name == "strongroom" else {}
            rows.append(
                [
                    OPERATIONS[op].label,
                    SERVER_LABEL.get(name, name),
                    fmt(m["rps"], ",.0f"),
                    fmt(m["p50_ms"], ".2f"),
                    fmt(m["p99_ms"], ".2f"),
                    fmt(m["cpu_us_per_req"], ",.0f"),
                    fmt(m["wrk_cpu_us_per_req"], ".0f"),
                    fmt(m["others_cores"], ".2f"),
                    ratio(r.get("vs_moto"), ".1f"),
                    ratio(r.get("vs_raw"), ".2f"),
                    ratio(r.get("vs_sqlite"), ".2f"),
                    ratio(r.get("cpu_vs_decrypt"), ".2f"),
                    ratio(r.get("cpu_vs_encrypt"), ".2f"),
                    ratio(r.get("cpu_vs_budget"), ".2f"),
                    ratio(r.get("cpu_vs_root"), ".2f"),
                    f"ERRORS {m['errors']}" if m["errors"] else "0",
                ]
            )
    return rows


HEADERS = [
    "operation",
    "server",
    "req/s",
    "p50 ms",
    "p99 ms",
    "server CPU µs/req",
    "wrk CPU µs/req",
    "others' load (cores)",
    "vs moto",
    "vs raw",
    "vs SQLite loop",
    "CPU vs Decrypt",
    "CPU vs Encrypt",
    "CPU vs Encrypt + ECDSA",
    "CPU vs root's Encrypt",
    "errors",
]


def print_rich(summary: dict[str, Any], args: argparse.Namespace) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"Load, medians of {args.rounds} rounds "
        f"(wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s, "
        f"workers {args.workers})"
    )
    for i, header in enumerate(HEADERS):
        table.add_column(header, justify="left" if i < 2 else "right", no_wrap=i < 2)
    for row in table_rows(summary):
        style = "bold red" if row[-1] != "0" else None
        table.add_row(*row, style=style)
    console = Console(width=max(shutil.get_terminal_size((190, 40)).columns, 190))
    console.print(table)
    for label, ok in goal_checks(summary):
        console.print(f"  {'[green]MET ' if ok else '[red]MISS'}[/] {label}")
    for line in budget_lines(summary) + iam_lines(summary):
        console.print(line, markup=False, highlight=False)


def budget_lines(summary: dict[str, Any]) -> list[str]:
    """Sign's and GenerateMac's CPU budgets: the inputs (medians over rounds) and the
    verdicts (medians of the per-round ratios), PASS only without errors."""

    def cpu(op: str, target: str) -> dict[str, Any] | None:
        return summary.get(op, {}).get("targets", {}).get(target)

    encrypt = cpu("encrypt32", "strongroom")
    if encrypt is None or not ({"sign", "generatemac"} & summary.keys()):
        return []
    lines = ["", "CPU budgets (server CPU per request, medians over rounds):"]
    lines.append(f"  Encrypt 32 B         {fmt(encrypt['cpu_us_per_req'], '7.1f')} us")
    for op, label in (("sign", "Sign P-256 digest"), ("generatemac", "GenerateMac 32 B")):
        if cpu(op, "strongroom"):
            lines.append(f"  {label:20} {fmt(cpu(op, 'strongroom')['cpu_us_per_req'], '7.1f')} us")
    if cpu("sign", "ecdsa"):
        value = fmt(cpu("sign", "ecdsa")["cpu_us_per_req"], "7.1f")
        lines.append(f"  ECDSA P-256 (bare)   {value} us  (cryptography, one signature)")
    for op, text in (
        ("sign", "Sign <= (Encrypt + ECDSA) x {}"),
        ("generatemac", "GenerateMac <= {} x Encrypt"),
    ):
        ((key, _, bound),) = GOALS[op]
        mine = cpu(op, "strongroom")
        value = summary.get(op, {}).get("ratios", {}).get(key)
        if mine is None or value is None:
            continue
        ok = mine["errors"] == 0 and encrypt["errors"] == 0 and value <= bound
        verdict = "PASS" if ok else "FAIL"
        lines.append(
            f"  {text.format(bound):34} ratio {value:.2f} (target <= {bound:.2f})  {verdict}"
        )
    return lines


def iam_lines(summary: dict[str, Any]) -> list[str]:
    """Issue 12's budget: the root's and the IAM user's Encrypt 32 B server CPU per request
    (medians over rounds), the per-round ratios and the verdict on their median, PASS only
    without errors in either."""
    root = summary.get("encrypt32", {}).get("targets", {}).get("strongroom")
    row = summary.get("encrypt32-iam", {})
    user = row.get("targets", {}).get("strongroom")
    if root is None or user is None:
        return []
    ((key, _, bound),) = GOALS["encrypt32-iam"]
    lines = ["", "IAM user vs root (server CPU per request, Strongroom, medians over rounds):"]
    lines.append(f"  Encrypt 32 B, root              {fmt(root['cpu_us_per_req'], '7.1f')} us")
    lines.append(f"  Encrypt 32 B, IAM user (3 pol.) {fmt(user['cpu_us_per_req'], '7.1f')} us")
    value = row.get("ratios", {}).get(key)
    if value is None:
        return lines
    rounds = ", ".join(f"{v:.2f}" for v in row.get("per_round", {}).get(key, []))
    ok = root["errors"] == 0 and user["errors"] == 0 and value <= bound
    lines.append(
        f"  IAM user / root  ratio {value:.2f} (rounds {rounds}; target <= {bound:.2f})  "
        + ("PASS" if ok else "FAIL")
    )
    return lines


def markdown(summary: dict[str, Any]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * 2 + "---:|" * (len(HEADERS) - 2)]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows(summary)]
    return "\n".join(lines)


def environment(args: argparse.Namespace) -> dict[str, Any]:
    """What the numbers depend on: machine, versions, settings."""
    import sqlite3

    versions = {"sqlite": sqlite3.sqlite_version}
    for dist in ("strongroom", "moto", "uvicorn", "uvloop", "httptools", "botocore"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[dist] = importlib.metadata.version(dist)
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10, check=False)
    versions["wrk"] = (wrk.stdout + wrk.stderr).splitlines()[0] if wrk.stdout + wrk.stderr else "?"
    git = ["git", "-C", str(BENCH_DIR.parent)]
    head = subprocess.run(
        [*git, "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    dirty = subprocess.run(
        [*git, "status", "--porcelain"], capture_output=True, text=True, timeout=10, check=False
    )
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commit": head.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else ""),
        "cpus": os.cpu_count(),
        "loadavg_before": os.getloadavg(),
        "python": sys.version.split()[0],
        "versions": versions,
        "settings": {k: v for k, v in vars(args).items() if k != "json"},
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds per pair, 0: none")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=1, help="server workers (not moto)")
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--ops", default=",".join(OPERATIONS))
    parser.add_argument(
        "--put-pool", type=int, default=0, help="distinct PutSecretValue requests per run (0: auto)"
    )
    parser.add_argument(
        "--sqlite-private",
        action="store_true",
        help="SQLite loop: one connection per thread (default: one shared, as Strongroom's)",
    )
    parser.add_argument("--start-timeout", type=float, default=60.0)
    parser.add_argument("--json", type=Path, default=BENCH_DIR / "kms_load_results.json")
    args = parser.parse_args(argv)
    args.targets = [t for t in args.targets.split(",") if t]
    args.ops = [o for o in args.ops.split(",") if o]
    if not args.targets or set(args.targets) - set(TARGETS):
        parser.error(f"--targets: choose from {','.join(TARGETS)}")
    if not args.ops or set(args.ops) - set(OPERATIONS):
        parser.error(f"--ops: choose from {','.join(OPERATIONS)}")
    if args.rounds < 1 or args.threads < 1 or args.connections < args.threads:
        parser.error("need --rounds >= 1 and --connections >= --threads >= 1")
    if args.put_pool < 0:
        parser.error("--put-pool: 0 (auto) or more")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # TERM (e.g. from a timeout) unwinds like Ctrl-C, so the servers are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        check_prerequisites(args.targets)
        env = environment(args)
        with running_servers(args) as (targets, workdir):
            runs = run_all(targets, workdir, args)
    except BenchError as exc:
        say(f"kms_load: {exc}")
        return 2
    summary = summarize(runs, args)
    print_rich(summary, args)
    failed = [r for r in runs if r["errors"]]
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {"environment": env, "summary": summary, "runs": runs, "goals": goal_checks(summary)},
            indent=1,
        )
    )
    say(f"results written to {args.json}")
    print("\n" + markdown(summary))
    if budget_lines(summary) + iam_lines(summary):
        print("\n".join(budget_lines(summary) + iam_lines(summary)))
    if failed:
        say(f"\n!! {len(failed)} run(s) had errors; their numbers are not a benchmark:")
        for run in failed:
            say(f"!!   round {run['round']} {run['op']} {run['target']}: {error_text(run)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
