"""Several worker processes, each listening on a socket of its own (Linux).

uvicorn's `--workers` shares one listening socket among its workers, and whichever
worker's loop wakes first accepts every connection waiting: 32 keep-alive clients
connecting at once were seen split 28 / 4 or 32 / 0 between two workers, one of them
then doing nearly all the work. Here each worker gets its own socket on the same
address (SO_REUSEPORT) and the kernel spreads new connections over them evenly. The
supervision (health checks, a dead worker replaced, signals) is uvicorn's own.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

from uvicorn.config import Config
from uvicorn.supervisors import Multiprocess


def available() -> bool:
    """Whether the kernel balances connections over sockets sharing a port."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def listener(host: str, port: int, reuse_port: bool = True) -> socket.socket:
    """A socket bound to (host, port), sharing the port with its siblings."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


class OwnSockets(Multiprocess):
    """uvicorn's supervisor, handing each worker it starts a new socket."""

    def __init__(self, config: Config) -> None:
        # a port some other server holds is refused here, as uvicorn refuses it:
        # a plain bind fails where anything listens, sharing the port or not
        listener(config.host, config.port, reuse_port=False).close()
        super().__init__(config, sockets=[])

    @property
    def sockets(self) -> list[socket.socket]:
        """A socket for the worker about to start (read once per worker)."""
        return [listener(self.config.host, self.config.port)]

    @sockets.setter
    def sockets(self, value: Any) -> None:
        pass  # each worker binds its own (above)


def run(app: str, **options: Any) -> None:
    """`uvicorn.run(app, **options)` with more than one worker, each on its own socket
    (OSError: the address cannot be listened on)."""
    config = Config(app, **options)
    OwnSockets(config).run()
