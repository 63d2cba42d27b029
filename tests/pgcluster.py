"""A throwaway PostgreSQL cluster the tests (and scripts/chaos) start, stop and restart themselves.

initdb's a cluster in a temporary directory on a free loopback port (as user postgres when run as
root). Fails with a clear message if initdb or pg_ctl are missing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

__all__ = ["ThrowawayPostgres"]

HOW_TO_GET = (
    "initdb and pg_ctl are needed for the PostgreSQL outage tests; install them with "
    "`apt-get install postgresql` (and put its bin directory on PATH)"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ThrowawayPostgres:
    def __init__(self) -> None:
        initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
        if not initdb or not pg_ctl:
            raise RuntimeError(HOW_TO_GET)
        self._initdb, self._pg_ctl = initdb, pg_ctl
        self.dir = Path(tempfile.mkdtemp(prefix="sla-ledger-pg-"))
        self.port = _free_port()
        self._runas = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._runas:
            shutil.chown(self.dir, "postgres")
        self._run(self._initdb, "-D", str(self.dir / "data"), "-U", "postgres", "-A", "trust")
        self.start()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run(
            [*self._runas, *args], check=True, capture_output=True, timeout=120, text=True
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._run(self._pg_ctl, "-D", str(self.dir / "data"), "-l", str(self.dir / "log"),
                  "-w", "-t", "60", "-o", options, "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run(self._pg_ctl, "-D", str(self.dir / "data"), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)
