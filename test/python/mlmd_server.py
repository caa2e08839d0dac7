"""Starts OUR MLMD server as a subprocess on a free port, on one storage backend.

Shared by the pytest fixtures (conftest.py) and the official-suite runner. The database
servers themselves come from the vitest global setup or test/support/with_db_servers.ts,
which pass their addresses in MLMD_TEST_{MARIADB,POSTGRES}_{HOST,PORT,USER,PASSWORD}.
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BACKENDS = ("sqlite", "mariadb", "postgres")
START_TIMEOUT_S = float(os.environ.get("MLMD_TEST_SERVER_START_TIMEOUT", "60"))


class BackendUnavailable(Exception):
    """The database server for this backend was not started (or not installed)."""


def server_command() -> list[str]:
    """MLMD_SERVER_CMD overrides; by default the TypeScript entry point runs from source."""
    override = os.environ.get("MLMD_SERVER_CMD")
    if override:
        return shlex.split(override)
    # `node --import tsx` keeps the server a single process, so signals reach it directly.
    return ["node", "--import", "tsx", str(REPO / "src" / "main.ts")]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_server(backend: str) -> dict[str, str]:
    prefix = f"MLMD_TEST_{backend.upper()}_"
    info = {key: os.environ.get(prefix + key.upper(), "") for key in ("host", "port", "user", "password")}
    if not info["host"] or not info["port"]:
        reason = os.environ.get(prefix + "UNAVAILABLE") or f"{prefix}HOST/PORT not set (no {backend} server running)"
        raise BackendUnavailable(reason)
    return info


def backend_flags(backend: str, workdir: Path) -> list[str]:
    """Flags that put the server on a brand-new database of `backend`."""
    if backend == "sqlite":
        return [f"--sqlite_path={workdir / 'metadata.sqlite'}"]
    server = database_server(backend)
    # Our server creates the database on first connect, as upstream does.
    database = f"mlmd_py_{uuid.uuid4().hex[:12]}"
    if backend == "mariadb":
        return [
            f"--mysql_config_host={server['host']}",
            f"--mysql_config_port={server['port']}",
            f"--mysql_config_database={database}",
            f"--mysql_config_user={server['user']}",
            f"--mysql_config_password={server['password']}",
        ]
    if backend == "postgres":
        return [
            "--metadata_source_config_type=postgresql",
            f"--postgres_config_host={server['host']}",
            f"--postgres_config_port={server['port']}",
            f"--postgres_config_dbname={database}",
            f"--postgres_config_user={server['user']}",
            f"--postgres_config_password={server['password']}",
        ]
    raise ValueError(f"unknown backend {backend!r}; expected one of {BACKENDS}")


@dataclass
class RunningServer:
    backend: str
    host: str
    port: int
    process: subprocess.Popen
    workdir: Path
    log_path: Path
    _tmp: tempfile.TemporaryDirectory = field(repr=False)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._tmp.cleanup()

    def __enter__(self) -> "RunningServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_server(
    backend: str, extra_flags: list[str] | None = None, database_flags: list[str] | None = None
) -> RunningServer:
    """Starts the server and returns once its gRPC port accepts connections.

    `database_flags` puts it on an existing database instead of a brand-new one.
    """
    tmp = tempfile.TemporaryDirectory(prefix=f"mlmd-server-{backend}-")
    workdir = Path(tmp.name)
    try:
        flags = database_flags if database_flags is not None else backend_flags(backend, workdir)
    except Exception:
        tmp.cleanup()
        raise
    port = free_port()
    command = [
        *server_command(),
        f"--grpc_port={port}",
        "--metrics_port=0",
        "--log_level=warn",
        *flags,
        *(extra_flags or []),
    ]
    log_path = workdir / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=REPO, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    server = RunningServer(backend, "127.0.0.1", port, process, workdir, log_path, tmp)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            tail = server.log_tail()
            server.stop()
            raise RuntimeError(
                f"our server exited during start-up on {backend} (exit {process.returncode}):\n"
                f"  command: {shlex.join(redact(command))}\n{tail}"
            )
        try:
            with socket.create_connection((server.host, port), timeout=0.5):
                return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            tail = server.log_tail()
            server.stop()
            raise RuntimeError(f"our server did not open port {port} within {START_TIMEOUT_S:.0f} s on {backend}:\n{tail}")
        time.sleep(0.1)


def redact(command: list[str]) -> list[str]:
    return [a.split("=", 1)[0] + "=***" if "password=" in a else a for a in command]
