"""A throwaway PostgreSQL cluster on loopback (tests and benchmarks start their own)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.ports import free_port


class Postgres:
    """A throwaway PostgreSQL cluster on loopback, for the length of the test session."""

    def __init__(self, base: Path) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not bins:
            raise FileNotFoundError("PostgreSQL server binaries (apt-get install postgresql)")
        self.bin = bins[-1].parent
        self.dir = base / "pgdata"
        self.port = free_port()
        self.dir.mkdir(parents=True)
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # the server refuses to run as root
            shutil.chown(self.dir, "postgres")
            shutil.chown(base, "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self._run(str(self.bin / "initdb"), "-D", str(self.dir), "-A", "trust", "-U", "haven",
                  "-E", "UTF8", "--locale=C.UTF-8")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir), "-l", str(self.dir / "log"),
                  "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                  "-c fsync=off -c synchronous_commit=off -c full_page_writes=off", "-w", "start")

    def _run(self, *cmd: str) -> None:
        subprocess.run([*self.as_user, *cmd], check=True, capture_output=True)

    def url(self, name: str) -> str:
        return f"postgresql+psycopg://haven@127.0.0.1:{self.port}/{name}"

    def sql(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=haven dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(statement)  # type: ignore[arg-type]

    def dump(self, url: str) -> bytes:
        """pg_dump of one database (plain SQL, data included)."""
        name = url.rsplit("/", 1)[-1]
        return subprocess.run(
            [str(self.bin / "pg_dump"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "haven",
             "--inserts", name], check=True, capture_output=True).stdout

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir), "-m", "immediate", "stop")
