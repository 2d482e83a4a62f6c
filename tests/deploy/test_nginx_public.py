"""The nginx site limits the public board per client address, more tightly for the tracking-code lookup.

nginx is not installed here (the install test runs ``nginx -t`` through a
stand-in), so this reads the site file: the zones are declared at the top,
where nginx includes sites inside ``http {}``, and both public locations use them.
"""
from __future__ import annotations

import re
from pathlib import Path

from admin.serving import Limits

SITE = Path(__file__).resolve().parents[2] / "deploy/nginx/hailong.conf"


def location(conf: str, head: str) -> str:
    start = conf.index(f"location {head} {{")
    return conf[start:conf.index("}", start)]


def test_nginx_limits_the_public_board_and_the_lookup_per_address():
    conf = SITE.read_text()
    zones = dict(re.findall(r"^limit_req_zone \$binary_remote_addr zone=(\w+):\d+m rate=(\d+r/[sm]);$", conf, re.M))
    assert zones == {"hailong_public": "2r/s", "hailong_lookup": "10r/m"}
    board = location(conf, "/cong-khai")
    lookup = location(conf, "= /cong-khai/tra-cuu")
    for block, zone in ((board, "hailong_public"), (lookup, "hailong_lookup")):
        assert f"limit_req zone={zone} burst=" in block
        assert "limit_req_status 429;" in block
        assert "proxy_pass http://hailong_admin;" in block and "include /etc/nginx/snippets/hailong-proxy.conf;" in block
    assert conf.count("{") == conf.count("}")


def test_nginx_gives_up_on_slow_clients_no_later_than_each_instance():
    """nginx buffers bodies and holds the slow clients, within the instances' own header deadline."""
    conf = SITE.read_text()
    for name in ("client_header_timeout", "client_body_timeout"):
        seconds = re.findall(rf"^\s+{name} (\d+)s;$", conf, re.M)
        assert seconds and int(seconds[0]) <= Limits().header_timeout_s, name
