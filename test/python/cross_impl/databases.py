"""One database shared by upstream's in-process library and our server.

Upstream's library (the C++ store inside the ml-metadata wheel) opens the database directly
with a ConnectionConfig; our server is started on the same database with its command-line
flags, and spoken to with the official client over gRPC.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import ml_metadata as mlmd
from ml_metadata.proto import metadata_store_pb2 as pb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mlmd_server import database_server, start_server  # noqa: E402

CROSS_BACKENDS = ("sqlite", "mariadb")


@dataclass
class SharedDatabase:
    backend: str
    sqlite_path: str | None = None
    mysql: dict[str, str] | None = None
    mysql_database: str | None = None

    @classmethod
    def fresh(cls, backend: str, workdir: Path) -> "SharedDatabase":
        if backend == "sqlite":
            return cls(backend, sqlite_path=str(workdir / f"shared-{uuid.uuid4().hex[:8]}.sqlite"))
        return cls(backend, mysql=database_server(backend), mysql_database=f"mlmd_x_{uuid.uuid4().hex[:12]}")

    def connection_config(self) -> pb.ConnectionConfig:
        config = pb.ConnectionConfig()
        if self.backend == "sqlite":
            config.sqlite.filename_uri = self.sqlite_path
            config.sqlite.connection_mode = pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
        else:
            config.mysql.host = self.mysql["host"]
            config.mysql.port = int(self.mysql["port"])
            config.mysql.user = self.mysql["user"]
            config.mysql.password = self.mysql["password"]
            config.mysql.database = self.mysql_database
        return config

    def upstream(self, enable_upgrade_migration: bool = False) -> mlmd.MetadataStore:
        """Upstream's own C++ library, in this process."""
        return mlmd.MetadataStore(self.connection_config(), enable_upgrade_migration=enable_upgrade_migration)

    def server_flags(self) -> list[str]:
        if self.backend == "sqlite":
            return [f"--sqlite_path={self.sqlite_path}"]
        return [
            f"--mysql_config_host={self.mysql['host']}",
            f"--mysql_config_port={self.mysql['port']}",
            f"--mysql_config_database={self.mysql_database}",
            f"--mysql_config_user={self.mysql['user']}",
            f"--mysql_config_password={self.mysql['password']}",
        ]

    @contextlib.contextmanager
    def ours(self, extra_flags: list[str] | None = None):
        """Our server on this database, and the official client connected to it over gRPC."""
        server = start_server(self.backend, extra_flags=extra_flags, database_flags=self.server_flags())
        try:
            client = mlmd.MetadataStore(pb.MetadataStoreClientConfig(host=server.host, port=server.port))
            yield client
        finally:
            server.stop()

    def sql(self, statement: str) -> list[list[str]]:
        """Raw SQL on the shared database (for looking at stored bytes), rows of text columns."""
        if self.backend == "sqlite":
            import sqlite3

            with contextlib.closing(sqlite3.connect(self.sqlite_path)) as connection:
                return [[None if v is None else str(v) for v in row] for row in connection.execute(statement)]
        result = subprocess.run(
            ["mariadb", "--batch", "--skip-column-names", "--raw", "-h", self.mysql["host"], "-P", self.mysql["port"],
             "-u", self.mysql["user"], self.mysql_database, "-e", statement],
            env={**os.environ, "MYSQL_PWD": self.mysql["password"]}, capture_output=True, text=True, check=True,
        )
        return [line.split("\t") for line in result.stdout.splitlines()]
