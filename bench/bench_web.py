"""The web server under load, measured from outside like a browser would.

Starts ``yrdplan serve`` itself on a fresh demo database (``yrdplan init`` into a temporary SQLite
file, or into a PostgreSQL started from the ``pgserver`` wheel), then drives it with N concurrent
clients over a realistic mix:

* readers (70 % of the clients, signed in as ``viewer``: an anonymous visitor reaches only the
  public portal) read the pages and their JSON twins (overview, plans, regions, one region,
  indicators, one indicator, warnings, completion) and a stylesheet, revalidating what they saw
  before with ``If-None-Match`` as a browser does;
* unit reporters (20 %) read their tasks and reports and submit reports (``POST /api/reports``);
* the office (10 %) reads the review queue, the completion roll-up and the overview, and accepts
  or returns submitted reports (``POST /api/reports/{id}/review``).

Each setup is measured three ways: single requests with no load (median per route), ``--clients``
clients that pause about a second between requests (as people do), and the same clients without
pauses (saturation). For each it prints requests/s, p50/p95/p99 per route and in all, 304s,
errors, and the slowest routes. A 409 (a report changed by someone else in between) is a correct
answer to a race and is counted apart from errors.

Usage::

    python bench/bench_web.py                       # SQLite 1 worker, then PostgreSQL 4 workers
    python bench/bench_web.py --backend sqlite --duration 10
    python bench/bench_web.py --scale 10            # ten times the demo's size

Only loopback traffic; the server and the PostgreSQL it started are stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

VISITOR_PAGES = [
    "/",
    "/plans",
    "/regions",
    "/regions/320100",
    "/indicators",
    "/indicators/RD_INTENSITY",
    "/warnings",
    "/tasks/completion",
]
REPORTERS = ["nj_fgw", "nj_kjj", "nj_jtj", "nj_sthjj", "nj_jbxq"]


# -- a small HTTP/1.1 keep-alive client: cheap enough not to starve the server it measures --------


class Connection:
    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, dict[str, str], bytes]:
        for attempt in (0, 1):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}"]
            lines += [f"{k}: {v}" for k, v in headers.items()]
            if body or method == "POST":
                lines.append(f"Content-Length: {len(body)}")
            try:
                self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
                return await self._response()
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def _response(self) -> tuple[int, dict[str, str], bytes]:
        assert self.reader is not None
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers = {}
        for line in header_lines:
            if ":" in line:
                key, value = line.split(":", 1)
                headers[key.strip().lower()] = value.strip()
        if headers.get("transfer-encoding") == "chunked":
            body = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                body += chunk[:-2]
        else:
            body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection") == "close":
            self.close()
        return status, headers, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Tally:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    not_modified: int = 0
    conflicts: int = 0
    first_errors: list[str] = field(default_factory=list)

    def add(self, route: str, seconds: float, status: int, expected: tuple[int, ...]) -> None:
        self.times[route].append(seconds)
        if status == 304:
            self.not_modified += 1
        elif status == 409:
            self.conflicts += 1
        elif status not in expected:
            self.errors[route] += 1
            if len(self.first_errors) < 5:
                self.first_errors.append(f"{route}: HTTP {status}")


class Client:
    """One simulated person: a role, a connection, a browser cache of ETags."""

    def __init__(self, port: int, role: str, token: str | None, tally: Tally, rng: random.Random):
        self.connection = Connection(port)
        self.role, self.token, self.tally, self.rng = role, token, tally, rng
        self.etags: dict[str, str] = {}

    async def call(
        self,
        method: str,
        path: str,
        route: str,
        payload: dict | None = None,
        expected: tuple[int, ...] = (200,),
    ) -> tuple[int, bytes]:
        headers = {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if method == "GET" and path in self.etags:
            headers["If-None-Match"] = self.etags[path]
        body = b""
        if payload is not None:
            body = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            status, response_headers, content = await self.connection.request(
                method, path, headers, body
            )
        except (OSError, asyncio.IncompleteReadError, ValueError) as err:
            status, response_headers, content = 599, {}, str(err).encode()
        self.tally.add(route, time.perf_counter() - started, status, (*expected, 304))
        if method == "GET" and "etag" in response_headers:
            self.etags[path] = response_headers["etag"]
        return status, content

    async def step(self) -> None:
        if self.role == "visitor":
            page = self.rng.choice([*VISITOR_PAGES, "/static/app.css"])
            as_json = page != "/static/app.css" and self.rng.random() < 0.5
            path = page + ("?format=json" if as_json else "")
            await self.call("GET", path, route_of(page, as_json))
        elif self.role == "reporter":
            await self.reporter_step()
        else:
            await self.office_step()

    async def reporter_step(self) -> None:
        choice = self.rng.random()
        if choice < 0.3:
            await self.call("GET", "/tasks/mine", "GET /tasks/mine")
        elif choice < 0.5:
            await self.call("GET", "/api/reports?cycle=5", "GET /api/reports")
        else:
            # Read the own tasks (fresh, no cached copy), then report on one in the open cycle.
            self.etags.pop("/tasks/mine?format=json", None)
            status, content = await self.call(
                "GET", "/tasks/mine?format=json", "GET /tasks/mine json"
            )
            if status != 200 or choice < 0.7:
                return
            open_tasks = [
                (cycle["id"], task)
                for cycle in json.loads(content)["cycles"]
                if cycle["status"] == "open"
                for task in cycle["tasks"]
                if not task["report"] or task["report"]["review_state"] != "accepted"
            ]
            if not open_tasks:
                return
            cycle_id, task = self.rng.choice(open_tasks)
            payload = {
                "cycle_id": cycle_id,
                "task_id": task["id"],
                "status": "on_track",
                "percent": self.rng.randint(10, 99),
                "narrative": "负载测试：本季度按计划推进。",
                "row_version": task["report"]["row_version"] if task["report"] else None,
            }
            await self.call("POST", "/api/reports", "POST /api/reports", payload, (201,))

    async def office_step(self) -> None:
        choice = self.rng.random()
        if choice < 0.25:
            await self.call("GET", "/tasks/review", "GET /tasks/review")
        elif choice < 0.4:
            await self.call("GET", "/tasks/completion", "GET /tasks/completion")
        elif choice < 0.5:
            await self.call("GET", "/?format=json", route_of("/", True))
        else:
            self.etags.pop("/api/review-queue", None)
            status, content = await self.call("GET", "/api/review-queue", "GET /api/review-queue")
            queue = json.loads(content)["queue"] if status == 200 else []
            if not queue or choice < 0.7:
                return
            report = self.rng.choice(queue[:5])
            # Mostly return with a comment, so reporters keep something to resubmit.
            decision = "accept" if self.rng.random() < 0.2 else "return"
            payload = {
                "decision": decision,
                "comment": "请补充佐证材料" if decision == "return" else "",
                "row_version": report["row_version"],
            }
            await self.call(
                "POST",
                f"/api/reports/{report['id']}/review",
                "POST /api/reports/{id}/review",
                payload,
            )


def route_of(page: str, as_json: bool) -> str:
    template = {
        "/regions/320100": "/regions/{code}",
        "/indicators/RD_INTENSITY": "/indicators/{code}",
    }
    return f"GET {template.get(page, page)}{' json' if as_json else ''}"


def roles(n: int) -> list[str]:
    office = max(1, round(n * 0.1))
    reporters = max(1, round(n * 0.2))
    return ["office"] * office + ["reporter"] * reporters + ["visitor"] * (n - office - reporters)


async def drive(
    port: int, tokens: dict[str, str], clients: int, duration: float, pause: float, seed: int
) -> tuple[Tally, float]:
    tally = Tally()
    rng = random.Random(seed)
    people = []
    for index, role in enumerate(roles(clients)):
        token = {
            "office": tokens["office"],
            "reporter": tokens[REPORTERS[index % 5]],
            "visitor": tokens["viewer"],
        }[role]
        people.append(Client(port, role, token, tally, random.Random(rng.random())))
    deadline = time.perf_counter() + duration

    async def run(person: Client) -> None:
        if pause:
            await asyncio.sleep(person.rng.uniform(0, pause))  # people do not arrive in step
        while time.perf_counter() < deadline:
            await person.step()
            if pause:
                await asyncio.sleep(person.rng.uniform(0.5 * pause, 1.5 * pause))
        person.connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(run(person) for person in people))
    return tally, time.perf_counter() - started


async def single_requests(port: int, tokens: dict[str, str], repeat: int = 7) -> dict[str, float]:
    """Median time of each reader's route, one request at a time, no load, no cached copy."""
    tally = Tally()
    visitor = Client(port, "visitor", tokens["viewer"], tally, random.Random(0))
    for page in VISITOR_PAGES:
        for as_json in (False, True):
            path = page + ("?format=json" if as_json else "")
            for _ in range(repeat):
                visitor.etags.clear()
                await visitor.call("GET", path, route_of(page, as_json))
    visitor.connection.close()
    return {route: statistics.median(times) for route, times in tally.times.items()}


# -- reporting ---------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def report(title: str, tally: Tally, elapsed: float) -> dict:
    every = [t for times in tally.times.values() for t in times]
    total = len(every)
    errors = sum(tally.errors.values())
    print(f"\n### {title}")
    print(
        f"{total / elapsed:.1f} requests/s over {elapsed:.1f} s; {total} requests, "
        f"{tally.not_modified} × 304, {tally.conflicts} × 409 (races), {errors} errors"
    )
    for line in tally.first_errors:
        print(f"  error: {line}")
    print(f"{'route':<36}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'err':>5}")
    rows = []
    for route in sorted(tally.times):
        times = tally.times[route]
        rows.append((route, len(times), *(percentile(times, q) * 1000 for q in (50, 95, 99))))
    for route, n, p50, p95, p99 in rows:
        print(f"{route:<36}{n:>6}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}{tally.errors[route]:>5}")
    if every:
        p50, p95, p99 = (percentile(every, q) * 1000 for q in (50, 95, 99))
        print(f"{'all':<36}{total:>6}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}{errors:>5}")
    slowest = sorted(rows, key=lambda row: row[3], reverse=True)[:3]
    print("slowest (p95): " + ", ".join(f"{r[0]} {r[3]:.0f} ms" for r in slowest))
    return {
        "rps": total / elapsed if elapsed else 0.0,
        "p95": {r[0]: r[3] for r in rows},
        "errors": errors,
    }


def check_aims(paced: dict, saturated: dict, single: dict[str, float]) -> None:
    """The issue's aims: p95 < 50 ms (JSON) / 100 ms (pages) paced, ≥ 300 req/s, single < 20 ms."""
    misses = []
    for route, p95 in paced["p95"].items():
        limit = 50 if route.endswith("json") or " /api/" in route else 100
        if p95 >= limit:
            misses.append(f"paced p95 {route} {p95:.0f} ms ≥ {limit}")
    if saturated["rps"] < 300:
        misses.append(f"saturated {saturated['rps']:.0f} req/s < 300")
    for route, seconds in single.items():
        if route.endswith("json") and seconds * 1000 >= 20:
            misses.append(f"single {route} {seconds * 1000:.0f} ms ≥ 20")
    if paced["errors"] or saturated["errors"]:
        misses.append("errors")
    print("aims: " + ("all met" if not misses else "missed: " + "; ".join(misses)))


# -- setting up --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def grow(database, scale: int) -> str:
    """Make the demo ``scale`` times its size, with simulated rows written for the benchmark.

    Every task is copied ``scale - 1`` times into its plan; every indicator too (codes
    ``<CODE>_S<k>``, with its current targets); and every indicator gets values for the 41 cities
    and the 305 county-level units over the demo's years (up to 20): a city's series is the demo
    city's, a county's is its city's times a fixed factor. Written with plain inserts (they bump
    the data versions but skip the audit log: nobody needs 1 M audit rows of benchmark data).
    """
    from sqlalchemy import insert, select

    from yrdplan.store.repos import regions as region_repo
    from yrdplan.store.schema import IndicatorRecord, ObservationRecord, TargetRecord, Task

    rng = random.Random(scale)
    with database.write() as session:

        def rows(model, *where):
            query = select(model.__table__).where(*where)
            # Without ids: the copies get new ones (PostgreSQL refuses an explicit NULL id).
            return [
                {k: v for k, v in row.items() if k != "id"}
                for row in session.execute(query).mappings()
            ]

        def put(model, new_rows):
            for start in range(0, len(new_rows), 5000):
                session.execute(insert(model.__table__), new_rows[start : start + 5000])

        tasks = rows(Task)
        put(
            Task,
            [
                {**t, "key": f"{t['key']}#{k}", "parent_task_id": None}
                | {"upper_task_id": None, "row_version": 1}
                for k in range(1, scale)
                for t in tasks
            ],
        )
        indicators = rows(IndicatorRecord)
        codes = {i["code"]: [f"{i['code']}_S{k}" for k in range(1, scale)] for i in indicators}
        put(
            IndicatorRecord,
            [
                {**i, "code": copy, "name": f"{i['name']}（{copy[-3:]}）"}
                for i in indicators
                for copy in codes[i["code"]]
            ],
        )
        targets = rows(TargetRecord, TargetRecord.is_current.is_(True))
        put(
            TargetRecord,
            [
                {**t, "indicator_code": copy, "target_key": f"{t['target_key']}/{copy}"}
                for t in targets
                for copy in codes.get(t["indicator_code"], [])
            ],
        )
        cities = {r.code for r in region_repo.list_regions(session, level="city")}
        counties = region_repo.list_regions(session, level="county")
        city_of = {c.code: c.parent_code for c in counties if c.parent_code in cities}
        factor = {code: rng.uniform(0.6, 1.4) for code in city_of}
        observed = rows(
            ObservationRecord,
            ObservationRecord.is_current.is_(True),
            ObservationRecord.region_code.in_(cities),
        )
        by_city: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for o in observed:
            by_city[(o["indicator_code"], o["region_code"])].append(o)
        new = []
        for (code, city), series in by_city.items():
            series = sorted(series, key=lambda o: o["period"])[-20:]
            for copy in codes.get(code, []):
                new += [{**o, "indicator_code": copy} for o in series]
            for county in (c for c, parent in city_of.items() if parent == city):
                for target_code in (code, *codes.get(code, [])):
                    new += [
                        {
                            **o,
                            "region_code": county,
                            "indicator_code": target_code,
                            "value": o["value"] * factor[county],
                        }
                        for o in series
                    ]
        put(ObservationRecord, new)
    return (
        f"grown ×{scale}: {len(tasks) * scale} tasks, {len(indicators) * scale} indicators, "
        f"{len(observed) + len(new)} observations"
    )


def prepare(url: str, scale: int = 1) -> dict[str, str]:
    """`yrdplan init` with the demo (grown ``scale`` times), and an API token per demo user."""
    from sqlalchemy import select

    from yrdplan.services.accounts import issue_token
    from yrdplan.services.setup import init_database
    from yrdplan.store.database import connect
    from yrdplan.store.schema import User

    started = time.perf_counter()
    init_database(url)
    database = connect(url)
    try:
        if scale > 1:
            print(grow(database, scale))
        with database.write() as session:
            users = dict(session.execute(select(User.username, User.id)).all())
            tokens = {name: issue_token(session, uid, "bench") for name, uid in users.items()}
    finally:
        database.dispose()
    print(f"database ready in {time.perf_counter() - started:.1f} s")
    return tokens


def start_server(
    url: str,
    workers: int,
    port: int,
    log: Path,
    tokens: dict[str, str],
    compute_on_write: bool = False,
) -> subprocess.Popen:
    command = [
        sys.executable,
        "-c",
        "from yrdplan.cli.main import run; run()",
        "serve",
        "--db",
        url,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    env = os.environ | {"YRDPLAN_DATABASE_URL": url}
    env["YRDPLAN_COMPUTE_ON_WRITE"] = "1" if compute_on_write else "0"
    server = subprocess.Popen(
        command, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env, start_new_session=True
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited early; see {log}:\n{log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.2)
    # Every worker warms up (first requests compute what later ones read).
    asyncio.run(single_requests(port, tokens, repeat=workers * 2))
    return server


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def measure(name: str, url: str, workers: int, args, workdir: Path) -> None:
    print(f"\n## {name}: {workers} worker(s), {args.clients} clients, scale {args.scale}")
    tokens = prepare(url, args.scale)
    port = free_port()
    server = start_server(
        url, workers, port, workdir / f"server-{name}.log", tokens, args.compute_on_write
    )
    try:
        single = asyncio.run(single_requests(port, tokens))
        print("\n### single requests, no load (median ms)")
        for route, seconds in sorted(single.items()):
            print(f"{route:<36}{seconds * 1000:>9.1f}")
        tally, elapsed = asyncio.run(
            drive(port, tokens, args.clients, args.paced_duration, args.pause, args.seed)
        )
        paced = report(f"{args.clients} clients pausing ~{args.pause:g} s", tally, elapsed)
        tally, elapsed = asyncio.run(
            drive(port, tokens, args.clients, args.duration, 0.0, args.seed + 1)
        )
        saturated = report(f"{args.clients} clients without pauses (saturation)", tally, elapsed)
        check_aims(paced, saturated, single)
    finally:
        stop_server(server)
    log = (workdir / f"server-{name}.log").read_text(errors="replace").splitlines()
    failures = [line for line in log if "Error" in line or "Exception" in line]
    if failures:
        print("server log, errors (last 5): " + "\n  ".join(["", *failures[-5:]]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of saturation")
    # Paced clients make ~50 requests/s: a minute gives each route 100+ samples, enough for a
    # p95 that is not just the second-slowest request.
    parser.add_argument(
        "--paced-duration", type=float, default=60.0, help="seconds of paced clients"
    )
    parser.add_argument("--pause", type=float, default=1.0, help="mean pause of paced clients (s)")
    parser.add_argument("--sqlite-workers", type=int, default=1)
    parser.add_argument("--pg-workers", type=int, default=4)
    parser.add_argument("--scale", type=int, default=1, help="grow the demo this many times")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--compute-on-write",
        action="store_true",
        help="rebuild results in demand right after each write (off by default; to compare)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="yrdplan-bench-web-") as tmp:
        workdir = Path(tmp)
        if args.backend in ("sqlite", "both"):
            url = f"sqlite:///{workdir / 'bench.db'}"
            measure("SQLite", url, args.sqlite_workers, args, workdir)
        if args.backend in ("postgresql", "both"):
            import pgserver

            server = pgserver.get_server(workdir / "pgdata", cleanup_mode="stop")
            try:
                from sqlalchemy import create_engine, text
                from sqlalchemy.engine import make_url

                admin = server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
                engine = create_engine(admin, isolation_level="AUTOCOMMIT")
                with engine.connect() as connection:
                    connection.execute(text("CREATE DATABASE bench"))
                engine.dispose()
                url = make_url(admin).set(database="bench").render_as_string(hide_password=False)
                measure("PostgreSQL", url, args.pg_workers, args, workdir)
            finally:
                server.cleanup()


if __name__ == "__main__":
    main()
