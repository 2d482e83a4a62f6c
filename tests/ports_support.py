"""Free TCP ports for the servers the tests start, out of the kernel's way.

A port the kernel hands out for ``bind(("127.0.0.1", 0))`` comes from the
ephemeral range, the same range it draws from for every outgoing
connection; with two test processes making thousands of connections, such
a port can be taken again between the moment it was found free and the
moment a service binds it. So these ports come from below that range, and
each is checked by binding it.
"""
from __future__ import annotations

import os
import random
import socket
from pathlib import Path

RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST = 10000


def ephemeral_start() -> int:
    """The first port of the kernel's ephemeral range (32768 when it cannot be read)."""
    try:
        return int(RANGE_FILE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


# Each test process draws from its own sequence, so two processes rarely try the same ports.
_draw = random.Random(os.getpid())


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive ports nobody listens on, below the ephemeral range."""
    top = ephemeral_start() - count
    for _ in range(1000):
        first = _draw.randrange(LOWEST, top)
        if all(is_free(first + i) for i in range(count)):
            return first
    raise RuntimeError(f"no {count} consecutive free ports between {LOWEST} and {top}")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    return free_ports(1)
