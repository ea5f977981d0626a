"""Private servers that fault tests stop and freeze for real: a redis-server on its own port (and a PostgreSQL
cluster, see tests/faults/test_database_down.py), always stopped again. The fixture ``private_redis`` is in
tests/conftest.py."""

import itertools
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

# Ports reserved for this suite's private servers. Each server gets the next one, so no test inherits the
# state another test left for its address (the cache's circuit breaker is kept per process and address).
ALL_PORTS = range(18100, 18300)


def worker_ports(worker: str | None = None, count: str | None = None) -> range:
    """The share of ALL_PORTS of this pytest-xdist worker (PYTEST_XDIST_WORKER gw0, gw1, … of
    PYTEST_XDIST_WORKER_COUNT; the whole range without xdist): two workers never probe the same port, so one can't
    take a port between the other's probe and its server's bind."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "") if worker is None else worker
    count = os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") if count is None else count
    if not worker.startswith("gw"):
        return ALL_PORTS
    index, share = int(worker[2:]), len(ALL_PORTS) // int(count)
    if share < 10:
        raise RuntimeError(f"{count} workers leave fewer than 10 ports each in {ALL_PORTS}")
    return ALL_PORTS[index * share : (index + 1) * share]


PORTS = worker_ports()
_next_port = itertools.count(os.getpid() % len(PORTS))


def free_port(start: int = 0) -> int:
    for offset in range(len(PORTS)):
        port = PORTS[(start + offset) % len(PORTS)]
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def wait_for_port(port: int, *, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


class PrivateRedis:
    """A redis-server of our own: start, stop, freeze (SIGSTOP) and thaw (SIGCONT)."""

    def __init__(self, directory: Path, port: int):
        self.directory, self.port = directory, port
        self.pidfile = directory / "redis.pid"
        self.url = f"redis://127.0.0.1:{port}/0"
        self.pid: int | None = None
        self.frozen = False

    def start(self) -> None:
        subprocess.run(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "yes",
                "--pidfile",
                str(self.pidfile),
                "--dir",
                str(self.directory),
                "--logfile",
                str(self.directory / "redis.log"),
            ],
            check=True,
            timeout=10,
        )
        wait_for_port(self.port)
        # redis-server creates the pid file before it writes the number into it: wait for the number.
        deadline = time.monotonic() + 5
        while not self._pid_written() and time.monotonic() < deadline:
            time.sleep(0.02)
        self.pid = int(self.pidfile.read_text())

    def _pid_written(self) -> bool:
        try:
            return self.pidfile.read_text().strip().isdigit()
        except OSError:
            return False

    def stop(self) -> None:
        if self.pid is None:
            return
        self.thaw()
        os.kill(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.02)
        else:
            os.kill(self.pid, signal.SIGKILL)
        self.pid = None

    def freeze(self) -> None:
        os.kill(self.pid, signal.SIGSTOP)  # type: ignore[arg-type]  # started
        self.frozen = True

    def thaw(self) -> None:
        if self.frozen and self.pid is not None:
            os.kill(self.pid, signal.SIGCONT)
        self.frozen = False

    def keys(self, pattern: str = "*") -> list[str]:
        import redis

        client = redis.Redis.from_url(self.url, socket_timeout=2)
        try:
            return [key.decode() for key in client.keys(pattern)]
        finally:
            client.close()


def started_redis(directory: Path):
    """A started private Redis on the next free port of the range, stopped when the generator ends."""
    server = PrivateRedis(directory, free_port(next(_next_port)))
    server.start()
    try:
        yield server
    finally:
        server.stop()
