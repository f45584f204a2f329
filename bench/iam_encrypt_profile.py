"""In-process cost of an IAM user's Encrypt against the root's (issue 12), and where it goes.

Usage: `python bench/iam_encrypt_profile.py [--calls 2000] [--repeats 15] [--profile 20000]
[--contexts]`.

Builds a dev Strongroom in a temporary directory (no HTTP, no server process), sets up
what `kms_load.py --ops encrypt32-iam` sets up (a key; as the root, through the IAM API,
an IAM user with the three managed policies of `kms_load.iam_policies` attached and an
access key), then signs one Encrypt of 32 bytes as the root and one as the user with
botocore's SigV4 signer and calls `StrongroomAsgi.answer` on each: `time.process_time`
over `--calls` calls, `--repeats` times after one warm-up, median (the two interleaved).
Every answer must be 200. With `--profile N` it then runs N of the user's Encrypts under
cProfile and prints the top functions by own and by cumulative time (cProfile inflates
the Python parts; read the shares, not the microseconds). With `--contexts` it then
compares, for each principal, Encrypts that repeat one encryption context with Encrypts
that each send a fresh one (signed outside the timing). The setup goes through boto3
clients whose requests are answered by the same `answer`, in-process.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from kms_load import ACCESS_KEY, ACCOUNT_ID, REGION, SECRET_KEY, iam_policies
from strongroom.api.answer import Answer, Deferred
from strongroom.app import Strongroom, build, dev_bootstrap
from strongroom.config import Config

ENDPOINT = "http://127.0.0.1:9"  # never connected to: requests are answered in-process
USER = "profile-user"
PLAINTEXT = b"\x07" * 32


def answer(app: Strongroom, method: str, path: str, headers: Any, body: bytes) -> Answer:
    """`StrongroomAsgi.answer` for one request, deferred work run in place."""
    raw_path, _, query = path.partition("?")
    pairs = [(k.lower().encode(), v.encode() if isinstance(v, str) else v) for k, v in headers]
    target = next((v.decode() for k, v in pairs if k == b"x-amz-target"), None)
    result = app.asgi.answer(method, raw_path.encode(), query.encode(), pairs, body, target)
    return result.run() if isinstance(result, Deferred) else result


def client(app: Strongroom, service: str, credentials: tuple[str, str]) -> Any:
    """A boto3 client whose requests `answer` serves, never the network."""
    import boto3
    from botocore.awsrequest import AWSResponse

    class Raw:
        def __init__(self, data: bytes) -> None:
            self.data = data

        def stream(self, **_: Any) -> Any:
            yield self.data

    def send(request: Any, **_: Any) -> AWSResponse:
        path = request.url[len(ENDPOINT) :] or "/"
        body = request.body or b""
        body = body.encode() if isinstance(body, str) else body
        sent = [("Host", ENDPOINT.split("//", 1)[1]), *request.headers.items()]  # as urllib3
        got = answer(app, request.method, path, sent, body)
        headers = {"Content-Type": got.content_type.decode(), "x-amzn-RequestId": got.request_id}
        return AWSResponse(request.url, got.status, headers, Raw(got.body))

    sdk = boto3.client(
        service,
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id=credentials[0],
        aws_secret_access_key=credentials[1],
    )
    sdk.meta.events.register("before-send", send)
    return sdk


def setup(app: Strongroom) -> tuple[str, tuple[str, str]]:
    """A key and the IAM user (three attached managed policies, an access key)."""
    root = (ACCESS_KEY, SECRET_KEY)
    metadata = client(app, "kms", root).create_key()["KeyMetadata"]
    iam = client(app, "iam", root)
    iam.create_user(UserName=USER)
    for name, document in iam_policies(metadata["Arn"]).items():
        arn = iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(document))["Policy"]
        iam.attach_user_policy(UserName=USER, PolicyArn=arn["Arn"])
    key = iam.create_access_key(UserName=USER)["AccessKey"]
    return metadata["KeyId"], (key["AccessKeyId"], key["SecretAccessKey"])


def signed_encrypt(
    key_id: str, credentials: tuple[str, str], context: dict[str, str] | None = None
) -> tuple[list[Any], bytes]:
    """One Encrypt request as boto3 sends it, signed now: (headers, body)."""
    import base64

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    params: dict[str, Any] = {"KeyId": key_id, "Plaintext": base64.b64encode(PLAINTEXT).decode()}
    if context is not None:
        params["EncryptionContext"] = context
    body = json.dumps(params)
    headers = {
        "X-Amz-Target": "TrentService.Encrypt",
        "Content-Type": "application/x-amz-json-1.1",
        "Host": "127.0.0.1:9",
    }
    request = AWSRequest(method="POST", url=ENDPOINT + "/", data=body.encode(), headers=headers)
    SigV4Auth(Credentials(*credentials), "kms", REGION).add_auth(request)
    pairs = [(k.lower().encode(), v.encode()) for k, v in request.headers.items()]
    return pairs, body.encode()


def per_call_us(app: Strongroom, request: Any, calls: int) -> float:
    """CPU per Encrypt: `request` sent `calls` times, or a list of requests each sent once."""
    requests = request if isinstance(request, list) else [request] * calls
    asgi = app.asgi
    started = time.process_time()
    for headers, body in requests:
        got = asgi.answer("POST", b"/", b"", headers, body, "TrentService.Encrypt")
        if not isinstance(got, Answer) or got.status != 200:
            raise SystemExit(f"Encrypt answered {got!r}")
    return (time.process_time() - started) * 1e6 / len(requests)


def fresh_contexts(key_id: str, credentials: tuple[str, str], calls: int) -> list[Any]:
    """`calls` Encrypts, each with an encryption context no other has (`object`), as the
    AWS Encryption SDK and per-object envelope encryption send them."""
    return [
        signed_encrypt(key_id, credentials, {"purpose": "bench", "object": f"obj-{n}"})
        for n in range(calls)
    ]


def compare_contexts(
    app: Strongroom, key_id: str, principals: dict[str, tuple[str, str]], args: Any
) -> None:
    """Median CPU per Encrypt with one repeated encryption context and with a fresh one
    per call, for each principal (fresh requests are signed outside the timing)."""
    print(f"Encrypt 32 B with an encryption context, median of {args.repeats} x {args.calls}:")
    for name, credentials in principals.items():
        same = signed_encrypt(key_id, credentials, {"purpose": "bench", "object": "obj"})
        per_call_us(app, same, args.calls)  # warm-up
        repeated, fresh = [], []
        for _ in range(args.repeats):
            repeated.append(per_call_us(app, same, args.calls))
            fresh.append(per_call_us(app, fresh_contexts(key_id, credentials, args.calls), 0))
        one, each = statistics.median(repeated), statistics.median(fresh)
        print(f"  {name:9} same context {one:6.1f} us, fresh context {each:6.1f} us"
              f" ({each / one:.2f}x)")  # fmt: skip


def compare(app: Strongroom, requests: dict[str, Any], calls: int, repeats: int) -> None:
    """Print each principal's median CPU per Encrypt (interleaved repeats) and the ratio."""
    for request in requests.values():  # warm-up
        per_call_us(app, request, calls)
    times: dict[str, list[float]] = {name: [] for name in requests}
    for _ in range(repeats):
        for name, request in requests.items():
            times[name].append(per_call_us(app, request, calls))
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"Encrypt 32 B in-process, median of {repeats} x {calls} calls:")
    for name, values in times.items():
        low, high = min(values), max(values)
        print(f"  {name:9} {medians[name]:6.1f} us  (range {low:.1f}-{high:.1f})")
    root, iam = medians["root"], medians["iam-user"]
    print(f"  IAM user - root {iam - root:5.1f} us, ratio {iam / root:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--profile", type=int, default=0, help="user Encrypts under cProfile")
    parser.add_argument(
        "--contexts", action="store_true", help="also: a repeated vs a fresh encryption context"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="iam_encrypt_profile-") as tmp:
        config = Config(
            data_dir=Path(tmp),
            dev=True,
            access_key=ACCESS_KEY,
            secret_key=SECRET_KEY,
            account_id=ACCOUNT_ID,
        )
        app = build(config.check())
        try:
            dev_bootstrap(app)
            key_id, user = setup(app)
            requests = {
                "root": signed_encrypt(key_id, (ACCESS_KEY, SECRET_KEY)),
                "iam-user": signed_encrypt(key_id, user),
            }
            compare(app, requests, args.calls, args.repeats)
            if args.contexts:
                principals = {"root": (ACCESS_KEY, SECRET_KEY), "iam-user": user}
                compare_contexts(app, key_id, principals, args)
            if args.profile:
                profile(app, requests["iam-user"], args.profile)
        finally:
            app.storage.close()
    return 0


def profile(app: Strongroom, request: tuple[list[Any], bytes], calls: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    per_call_us(app, request, calls)
    profiler.disable()
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(40)
        print(out.getvalue())


if __name__ == "__main__":
    sys.exit(main())
