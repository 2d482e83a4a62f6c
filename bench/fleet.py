"""Fleet benchmark: many kiosks' heartbeats, config polls and ratings against real central processes.

Builds a province on PostgreSQL (a schema of its own, dropped afterwards):
two desks per commune, a kiosk with its own token at each desk, an officer
on duty at each desk and two more in each commune. Starts ``python -m admin``
(waitress) on it and drives the kiosk tokens from client processes on
127.0.0.1 with what a kiosk sends: per kiosk and minute one heartbeat, one
config poll that the ETag it holds makes a ``304``, and one rating. Every
kiosk's current config version is learnt first (one heartbeat each, not
timed), as a fleet that has been running holds it.

Measured in one run, with the same client processes:

  (a) GET /healthz, a trivial request: the ceiling of Flask + waitress here;
  (b) heartbeats, (c) config polls answered 304, (d) one-rating POSTs, each alone;
  (e) the mix: heartbeat, poll and rating in turn for each kiosk;
  (f) the mix through nginx in front of 1, 2, … instances on the same database.

Prints requests/s of each, the mix's ratio to (a) (target >= 0.5), the
kiosks one process serves at the mix's rate (mix requests/s x 60 / 3,
target >= 20,000), latencies p50/p95 of each kind in the mix, the server's
CPU per request, and the mix's throughput with the number of instances.

    .venv/bin/python bench/fleet.py [--kiosks 2000] [--seconds 5] [--clients 2] [--connections 4] \\
        [--instances 1,2,3] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

The database defaults to TEST_DATABASE_URL; ``make bench`` gives the Unix
socket (``host=/run/postgresql``), as ``deploy/install-admin.sh`` configures
the service, which costs less per statement than TCP. (f) needs nginx (Debian's
``nginx`` package): it runs in the foreground on a throwaway configuration
in a temporary directory, never as the system's service, and is skipped
without it. Traffic goes to 127.0.0.1 only; every phase is bounded in time
and in count.
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import secrets
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from pathlib import Path

# bench/ingest.py starts the servers and puts the project on sys.path; bench/report.py makes the schema.
from ingest import cpu_seconds, free_port, start_server
from report import bench_app

from kiosk.ids import new_id

MAX_REQUESTS_PER_CLIENT = 50_000
DESKS_PER_COMMUNE = 2
COMMUNES_PER_DISTRICT = 20
SPARE_OFFICERS_PER_COMMUNE = 2
VN = timezone(timedelta(hours=7))
KINDS = ("heartbeat", "poll", "rating")
# What answers each kind as expected: anything else counts as an error.
EXPECTED = {"get": 200, "heartbeat": 200, "poll": 304, "rating": 200}


def build_fleet(app, kiosks: int) -> list[tuple[str, int]]:
    """The schema by migrations, then the province in bulk; (token, officer on duty) per kiosk."""
    from flask_migrate import upgrade

    from admin import MIGRATIONS_DIR
    from admin.db import db
    from admin.kiosks import hash_token
    from admin.models import Desk, DutyPeriod, Kiosk, Officer, Unit
    from admin.scale import ensure_default_reasons

    communes = -(-kiosks // DESKS_PER_COMMUNE)
    districts = -(-communes // COMMUNES_PER_DISTRICT)
    now = datetime.now(timezone.utc)
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        ensure_default_reasons()
        units = [{"id": 1, "name": "Tỉnh Mô Phỏng", "kind": "province", "path": "/1/", "active": True}]
        units += [{"id": 2 + d, "name": f"Huyện {d + 1}", "kind": "district", "parent_id": 1,
                   "path": f"/1/{2 + d}/", "active": True} for d in range(districts)]
        first_commune = 2 + districts
        for c in range(communes):
            district = 2 + c // COMMUNES_PER_DISTRICT
            units.append({"id": first_commune + c, "name": f"UBND xã {c + 1}", "kind": "commune",
                          "parent_id": district, "path": f"/1/{district}/{first_commune + c}/", "active": True})
        desks = [{"id": n + 1, "unit_id": first_commune + n // DESKS_PER_COMMUNE, "name": f"Quầy {n % 2 + 1}",
                  "active": True} for n in range(kiosks)]
        # Officer n sits at desk n; the spare officers come after them.
        officers = [{"id": d["id"], "code": f"CB-{d['id']:06d}", "name": f"Cán bộ {d['id']}",
                     "title": "Công chức", "unit_id": d["unit_id"], "active": True} for d in desks]
        officers += [{"id": kiosks + 1 + n, "code": f"DB-{n:06d}", "name": f"Cán bộ dự bị {n}", "title": "Công chức",
                      "unit_id": first_commune + n // SPARE_OFFICERS_PER_COMMUNE, "active": True}
                     for n in range(communes * SPARE_OFFICERS_PER_COMMUNE)]
        tokens = [secrets.token_urlsafe(32) for _ in desks]
        db.session.execute(Unit.__table__.insert(), units)
        db.session.execute(Desk.__table__.insert(), desks)
        db.session.execute(Officer.__table__.insert(), officers)
        # Heard from a moment ago, as the kiosks of a fleet that has been running: none is silent.
        db.session.execute(Kiosk.__table__.insert(), [
            {"id": d["id"], "desk_id": d["id"], "name": f"Kiosk {d['id']}", "token_hash": hash_token(token),
             "enabled": True, "created_at": now - timedelta(days=1), "last_seen_at": now}
            for d, token in zip(desks, tokens)])
        db.session.execute(DutyPeriod.__table__.insert(), [
            {"desk_id": d["id"], "officer_id": d["id"], "starts_at": now - timedelta(hours=1), "ends_at": None,
             "origin": "kiosk"} for d in desks])
        db.session.commit()
        db.engine.dispose()
    print(f"fleet: {len(units)} units, {kiosks} desks with a kiosk each, {len(officers)} officers, "
          f"{kiosks} on duty")
    return [(token, d["id"]) for d, token in zip(desks, tokens)]


def heartbeat_body(seq: int) -> bytes:
    return json.dumps({
        "version": "0.3.0", "outbox_depth": 0, "rejected": 0, "last_seq": seq, "uptime_s": 3600,
        "clock": datetime.now(VN).isoformat(timespec="seconds"), "on_duty_officer_id": None,
    }).encode()


def rating_body(seq: int, officer_id: int) -> bytes:
    return json.dumps({"ratings": [{
        "id": new_id(), "seq": seq, "score": 1 + seq % 3, "officer_id": officer_id,
        "reasons": ["slow"] if seq % 3 == 0 else [], "source": "touch",
        "created_at": datetime.now(VN).isoformat(timespec="seconds"),
    }]}).encode()


class Kiosk:
    """One simulated kiosk: its token, its officer, the config version it holds and the last ``seq`` it sent."""

    def __init__(self, token: str, officer_id: int, version: str | None, seq: int):
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.officer_id = officer_id
        self.version = version
        self.seq = seq

    def request(self, conn: http.client.HTTPConnection, kind: str) -> tuple[int, bytes]:
        """Send one request of ``kind`` as this kiosk; its status and body."""
        if kind == "get":
            conn.request("GET", "/healthz")
        elif kind == "heartbeat":
            conn.request("POST", "/api/v1/kiosk/heartbeat", body=heartbeat_body(self.seq), headers=self.headers)
        elif kind == "poll":
            conn.request("GET", "/api/v1/kiosk/config", headers={**self.headers, "If-None-Match": f'"{self.version}"'})
        else:
            self.seq += 1
            conn.request("POST", "/api/v1/ratings", body=rating_body(self.seq, self.officer_id), headers=self.headers)
        answer = conn.getresponse()
        return answer.status, answer.read()

    def settle(self, kind: str, status: int, body: bytes) -> bool:
        """Learn from an answer as a kiosk does (a new config version); whether it was the one expected."""
        if kind == "heartbeat" and status == 200:
            self.version = json.loads(body)["config_version"]
        if kind == "poll" and status == 200:
            # The config changed since the heartbeat: the kiosk now holds the new one.
            self.version = json.loads(body)["config_version"]
        if kind == "rating":
            return status == 200 and b'"accepted":[' in body and b'"accepted":[]' not in body
        return status == EXPECTED[kind]


def client(index: int, port: int, fleet: list[tuple[str, int, str | None, int]], phase: str, seconds: float,
           connections: int, out: mp.Queue) -> None:
    """Drive ``fleet`` (a slice of the kiosks) on ``connections`` keep-alive connections until time or count runs out.

    Each connection serves its own kiosks in turn, one request at a time, as
    many kiosks sending at once do. ``phase`` is one kind (``get``,
    ``heartbeat``, ``poll``, ``rating``), ``mix`` (the three kinds in turn
    for each kiosk) or ``learn`` (one heartbeat per kiosk, untimed). Puts
    ``index``, counts, errors and latencies by kind, the time taken and, per
    kiosk, the config version it holds and its last ``seq`` at the end.
    """
    kiosks = [Kiosk(token, officer, version, seq) for token, officer, version, seq in fleet]
    kinds = KINDS if phase == "mix" else ("heartbeat",) if phase == "learn" else (phase,)
    counts = {kind: 0 for kind in kinds}
    errors = {kind: 0 for kind in kinds}
    latencies: dict[str, list[float]] = {kind: [] for kind in kinds}
    lock = threading.Lock()
    start = time.perf_counter()
    deadline = start + (3600 if phase == "learn" else seconds)
    budget = len(kiosks) if phase == "learn" else MAX_REQUESTS_PER_CLIENT

    def drive(share: list[Kiosk]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        sent = 0
        while share and sent < budget:
            for kiosk in share:
                for kind in kinds:
                    if time.perf_counter() >= deadline or sent >= budget:
                        conn.close()
                        return
                    began = time.perf_counter()
                    status, body = kiosk.request(conn, kind)
                    took = time.perf_counter() - began
                    ok = kiosk.settle(kind, status, body)
                    sent += 1
                    with lock:
                        counts[kind] += 1
                        errors[kind] += not ok
                        latencies[kind].append(took)
            if phase == "learn":
                break
        conn.close()

    threads = [threading.Thread(target=drive, args=(kiosks[i::connections],)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    states = [(k.version, k.seq) for k in kiosks]
    out.put((index, counts, errors, latencies, time.perf_counter() - start, states))


class Phase:
    """What one phase measured, over every client process."""

    def __init__(self, results: list, cpu_ms: float):
        self.counts = {k: sum(r[1][k] for r in results) for k in results[0][1]}
        self.errors = {k: sum(r[2][k] for r in results) for k in results[0][2]}
        self.latencies = {k: sorted(x for r in results for x in r[3][k]) for k in results[0][3]}
        self.elapsed = max(r[4] for r in results)
        self.requests = sum(self.counts.values())
        self.rate = self.requests / self.elapsed
        self.cpu_ms = cpu_ms / max(self.requests, 1)

    def percentile(self, kind: str, p: float) -> float:
        """The ``p`` quantile of one kind's latency, in milliseconds."""
        values = self.latencies[kind]
        if len(values) < 2:
            return values[0] * 1000 if values else float("nan")
        return statistics.quantiles(values, n=100, method="inclusive")[round(p * 100) - 1] * 1000


def run_phase(port: int, fleet: list, phase: str, seconds: float, clients: int, connections: int,
              server_pids: list[int]) -> tuple[Phase, list]:
    """One phase from ``clients`` processes, each with its slice of the fleet; what it measured, and the fleet after."""
    out: mp.Queue = mp.Queue()
    slices = [fleet[i::clients] for i in range(clients)]
    procs = [mp.Process(target=client, args=(i, port, part, phase, seconds, connections, out))
             for i, part in enumerate(slices)]
    cpu_before = sum(cpu_seconds(pid) for pid in server_pids)
    for p in procs:
        p.start()
    timeout = 3600 if phase == "learn" else seconds + 300
    results = [out.get(timeout=timeout) for _ in procs]
    cpu_used = sum(cpu_seconds(pid) for pid in server_pids) - cpu_before
    for p in procs:
        p.join()
    new_fleet = list(fleet)
    for index, *_, states in results:
        for j, (version, seq) in enumerate(states):
            token, officer, _, _ = fleet[index + j * clients]
            new_fleet[index + j * clients] = (token, officer, version, seq)
    return Phase(results, cpu_used * 1000), new_fleet


NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    upstream central {{
{servers}
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://central;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
}}
"""


def start_nginx(nginx: str, tmp: Path, ports: list[int]) -> tuple[subprocess.Popen, int]:
    """nginx in the foreground on 127.0.0.1, spreading requests over ``ports``: the process and its port."""
    port = free_port()
    servers = "\n".join(f"        server 127.0.0.1:{p};" for p in ports)
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, servers=servers, port=port))
    proc = subprocess.Popen([nginx, "-p", str(tmp), "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("nginx did not start: " + (tmp / "nginx-error.log").read_text()[-2000:])


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def errors_of(phase: Phase) -> str:
    return ", ".join(f"{kind} {n}" for kind, n in phase.errors.items() if n) or "none"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiosks", type=int, default=2000, help="kiosks in the fleet, each with its own token")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each phase")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--connections", type=int, default=4, help="connections per client process")
    parser.add_argument("--instances", default="1,2,3", help="instance counts behind nginx, comma-separated")
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL", ""),
                        help="PostgreSQL (default: TEST_DATABASE_URL)")
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        raise SystemExit("The fleet runs on PostgreSQL: give --database-url or TEST_DATABASE_URL.")
    counts = sorted({int(n) for n in args.instances.split(",") if n.strip()})
    nginx = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)

    with bench_app(args.database_url, "fleet") as (app, _schema), tempfile.TemporaryDirectory() as tmp_name, \
            ExitStack() as servers:
        tmp = Path(tmp_name)
        tmp.chmod(0o755)  # nginx's worker reads nothing here, but may need to pass through
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        # A kiosk's numbers run on from phase to phase, as a real kiosk's do: its heartbeats
        # report the last one sent, and the watch finds none missing.
        fleet = [(token, officer, None, 0) for token, officer in build_fleet(app, args.kiosks)]
        ports = [free_port() for _ in range(max(counts, default=1))]
        procs = []
        for n, port in enumerate(ports):
            log = servers.enter_context(open(tmp / f"server-{n}.log", "w+b"))
            proc = start_server(url, port, log)
            servers.callback(stop, proc)
            procs.append(proc)
        print(f"{args.clients} client processes x {args.connections} connections; {args.seconds:.0f} s per phase; "
              f"{os.cpu_count()} cores; {len(procs)} central processes started")

        # (a) to (e) on the first instance directly.
        phases = {}
        for phase in ("learn", "get", "heartbeat", "poll", "rating", "mix"):
            phases[phase], fleet = run_phase(ports[0], fleet, phase, args.seconds, args.clients, args.connections,
                                             [procs[0].pid])
        learn, a, b, c, d, e = phases.values()
        print(f"learnt every kiosk's config version: {learn.requests} heartbeats, errors: {errors_of(learn)}")

        scaled: list[tuple[int, Phase]] = []
        if nginx and counts:
            for n in counts:
                ndir = tmp / f"nginx-{n}"
                ndir.mkdir()
                ndir.chmod(0o755)
                proxy, proxy_port = start_nginx(nginx, ndir, ports[:n])
                try:
                    pids = [p.pid for p in procs[:n]]
                    phase, fleet = run_phase(proxy_port, fleet, "mix", args.seconds, args.clients, args.connections,
                                             pids)
                finally:
                    stop(proxy)
                scaled.append((n, phase))

    print()
    print(f"(a) GET /healthz           {a.rate:8,.0f} requests/s   server CPU {a.cpu_ms:.3f} ms/request   "
          f"errors: {errors_of(a)}")
    for label, phase in (("(b) heartbeat             ", b), ("(c) config poll, 304      ", c),
                         ("(d) rating POST, 1 rating ", d)):
        kind = next(iter(phase.counts))
        print(f"{label}{phase.rate:8,.0f} requests/s   server CPU {phase.cpu_ms:.3f} ms/request   "
              f"p50 {phase.percentile(kind, 0.5):6.1f} ms   p95 {phase.percentile(kind, 0.95):6.1f} ms   "
              f"errors: {errors_of(phase)}")
    print(f"(e) mix (1 + 1 + 1)        {e.rate:8,.0f} requests/s   server CPU {e.cpu_ms:.3f} ms/request   "
          f"errors: {errors_of(e)}")
    for kind in KINDS:
        print(f"      {kind:10s} in the mix  p50 {e.percentile(kind, 0.5):6.1f} ms   p95 {e.percentile(kind, 0.95):6.1f} ms")
    ratio = e.rate / a.rate
    kiosks_per_process = e.rate * 60 / 3
    print(f"ratio mix/trivial: {ratio:.2f}   (target >= 0.50: {'met' if ratio >= 0.5 else 'NOT met'})")
    print(f"kiosks per process at the mix's rate (x 60 / 3): {kiosks_per_process:,.0f}   "
          f"(target >= 20,000: {'met' if kiosks_per_process >= 20_000 else 'NOT met'})")
    print(f"server CPU per request, mix/trivial: {e.cpu_ms / a.cpu_ms:.2f} "
          "(less sensitive than requests/s to other work on the machine)")
    if not nginx:
        print("(f) skipped: nginx is not installed (apt-get install -y nginx)")
    elif scaled:
        base = scaled[0][1].rate
        print(f"(f) the mix through nginx, instances on one PostgreSQL ({os.cpu_count()} cores shared by the "
              "clients, nginx, PostgreSQL and the instances):")
        for n, phase in scaled:
            print(f"      {n} instance{'s' if n > 1 else ' '}  {phase.rate:8,.0f} requests/s   x{phase.rate / base:.2f}   "
                  f"p95 heartbeat {phase.percentile('heartbeat', 0.95):6.1f} ms  poll "
                  f"{phase.percentile('poll', 0.95):6.1f} ms  rating {phase.percentile('rating', 0.95):6.1f} ms   "
                  f"errors: {errors_of(phase)}")


if __name__ == "__main__":
    main()
