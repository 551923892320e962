"""`make bench`: every page of issue 11's table, served by gunicorn on PostgreSQL, against a
trivial signed-in view measured in the same run.

1. Creates the DATABASE_URL database if it is missing, migrates it and runs `seed_scale`
   twice: "Scale IX" (10,000 peerings, 40,000 connections, 10,000 registered ASNs) and
   "Scale IX small" (100 peerings), each with its own user, so time per page can be compared
   at 100 and at 10k rows. The API rows call with a Bearer token of that user.
2. Counts each page's queries in-process (Django's test client, CaptureQueriesContext).
3. Starts gunicorn (2 workers, 127.0.0.1 only) under `portal.settings_bench`, signs in through
   the login form, and runs wrk (or, without wrk, a bounded Python thread loop) for every page
   and for `/bench/trivial` (login_required, "ok", same middleware) in interleaved rounds.
4. Prints, per page and dataset: queries, req/s, the ratio page req/s ÷ trivial req/s of the
   same round (median of the rounds and its spread, min–max), and the issue's target.

Bounded: BENCH_ROUNDS (3) × BENCH_SECONDS (2) per page; gunicorn is stopped at the end.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from portal.benchmark import SMALL_DATASET  # noqa: E402 — needs ROOT on the path

PY = sys.executable
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "2"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "4"))
ONLY = os.environ.get("BENCH_ONLY", "")  # a substring of page labels, to bench a few
HOST = "127.0.0.1"
PASSWORD = "scale-bench-password"
DATASETS = {
    # label: (subscription, user, seed_scale arguments)
    "10k": ("Scale IX", "scale", []),
    "100": ("Scale IX small", "scale-small", [*SMALL_DATASET, "--asn-offset=100000"]),
}


def environment() -> dict[str, str]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("make bench runs on PostgreSQL: set DATABASE_URL=postgres://…/pp_NAME_bench")
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings_bench",
        DJANGO_DEBUG="0",
        DJANGO_HTTPS="0",
        DJANGO_SECRET_KEY=env.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_TASKS_BACKEND="immediate",
        DJANGO_LOG_LEVEL="WARNING",
        DJANGO_CONN_MAX_AGE="600",
    )
    return env


def create_database(url: str) -> None:
    """Create DATABASE_URL's database when it does not exist yet (through the server's
    `postgres` database, with the same credentials)."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(url)
    params = {
        "host": config["HOST"] or None,
        "port": config["PORT"] or None,
        "user": config["USER"] or None,
        "password": config["PASSWORD"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as server:
        found = server.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if not found:
            print(f"Creating database {config['NAME']}", file=sys.stderr)
            server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))


def seed(env: dict[str, str]) -> None:
    create_database(env["DATABASE_URL"])
    manage = [PY, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True)
    for subscription, user, extra in DATASETS.values():
        subprocess.run(
            [*manage, "seed_scale", f"--subscription={subscription}", f"--user={user}", *extra],
            env=env,
            check=True,
        )


def pages_for(user_name: str) -> list:
    """The issue's pages for one dataset's user (URLs built with reverse), and a draft so the
    wizard's Review has something to check."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from peering.models import DirectFacility, Peering, PeeringDraft
    from portal.benchmark import bench_pages
    from portal.models import RoleAssignment

    user = get_user_model().objects.get(username=user_name)
    subscription = RoleAssignment.objects.get(user=user).subscription

    first = (
        Peering.objects.filter(subscription=subscription, kind="Direct")
        .select_related("resource_group", "region", "peering_location", "peer_asn")
        .order_by("id")
        .first()
    )
    # The busiest facility of the metro: Review + create checks the row's addresses against
    # every connection there (tens of thousands with both datasets).
    facility = (
        DirectFacility.objects.filter(location=first.peering_location)
        .annotate(used=Count("connections"))
        .order_by("-used", "id")
        .first()
    )
    PeeringDraft.objects.update_or_create(
        user=user,
        defaults={
            "data": {
                "tab": "review",
                "basics": {
                    "subscription": str(subscription.pk),
                    "resource_group": first.resource_group.name,
                    "region": first.region.name,
                    "name": "bench-new-peering",
                    "peer_asn": first.peer_asn.name,
                },
                # A configuration the wizard accepts, so the Connection form and Review are
                # the real pages (not the "choose a configuration first" fallback).
                "configuration": {
                    "peering_type": "Direct",
                    "microsoft_network": "AS8075",
                    "sku": "Basic Free",
                    "metro": first.peering_location.name,
                },
                "connections": [
                    {
                        "facility": str(facility.pk),
                        "session_address_provider": "Peer",
                        "bandwidth_mbps": "10000",
                        "use_for_peering_service": "",
                        "session_prefix_v4": "192.0.2.0/31",
                        "peer_session_ipv4_address": "192.0.2.0",
                        "microsoft_session_ipv4_address": "192.0.2.1",
                        "session_prefix_v6": "",
                        "peer_session_ipv6_address": "",
                        "microsoft_session_ipv6_address": "",
                        "max_prefixes_advertised_v4": "1000",
                        "max_prefixes_advertised_v6": "",
                    }
                ],
            }
        },
    )
    return bench_pages(user) + api_pages(user, subscription, first)


API_VERSION = "api-version=2025-05-01"


def api_pages(user, subscription, peering) -> list:
    """Issue 13's rows: the REST API's peering list (a page of 50) and one peering, called with
    a Bearer token of the dataset's user (a fresh one each run, valid a day; expired ones of
    earlier runs are deleted)."""
    from django.utils import timezone

    from portal import services
    from portal.benchmark import BenchPage
    from portal.models import ApiToken

    ApiToken.objects.filter(
        user=user, name__startswith="bench-", expires_at__lt=timezone.now()
    ).delete()
    _token, raw = services.api_token_create(
        user=user, name=f"bench-{secrets.token_hex(4)}", expires_in_days=1
    )
    bearer = {"Authorization": f"Bearer {raw}"}
    sub = f"/arm/subscriptions/{subscription.pk}"
    one = (
        f"{sub}/resourceGroups/{peering.resource_group.name}/providers/Microsoft.Peering/"
        f"peerings/{peering.name}"
    )
    return [
        BenchPage(
            API_LIST, f"{sub}/providers/Microsoft.Peering/peerings?{API_VERSION}", "0.25", bearer
        ),
        BenchPage("API: get a peering", f"{one}?{API_VERSION}", "0.5", bearer),
    ]


API_LIST = "API: list peerings (50)"
HTML_LIST = "Peerings list, page 1"


def count_queries(user_name: str, pages: list) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(get_user_model().objects.get(username=user_name))
    for page in pages:
        client.get(page.url, headers=page.headers)  # warm
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page.url, headers=page.headers)
        page.queries, page.status, page.size = (
            len(queries),
            response.status_code,
            len(response.content),
        )


def free_port() -> int:
    if os.environ.get("BENCH_PORT"):
        return int(os.environ["BENCH_PORT"])
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict[str, str], port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(Path(PY).with_name("gunicorn")),
            "portal.wsgi:application",
            f"--bind={HOST}:{port}",
            "--workers=2",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=2).read()
            return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    sys.exit("gunicorn did not start")


def sign_in(base: str, username: str) -> str:
    """Sign in through the login form; the session cookie header for wrk."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(f"{base}/accounts/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode(
        {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(
        f"{base}/accounts/login/", data=data, headers={"Referer": f"{base}/accounts/login/"}
    )
    opener.open(request, timeout=10).read()
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "sessionid" not in cookies:
        sys.exit(f"signing in as {username} failed")
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def load(url: str, headers: dict[str, str]) -> float:
    """Requests per second for SECONDS against one URL."""
    if shutil.which("wrk"):
        args = ["wrk", f"-t{min(CONNECTIONS, 2)}", f"-c{CONNECTIONS}", f"-d{SECONDS}s"]
        for name, value in headers.items():
            args += ["-H", f"{name}: {value}"]
        out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
        if "Non-2xx" in out:
            raise RuntimeError(f"{url}: non-2xx answers\n{out}")
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        if rps <= 0:  # slower than SECONDS: count whole requests with threads instead
            return _thread_loop(url, headers)
        # Requests still running when wrk stops would slow the next measurement: wait them out.
        time.sleep(_seconds(re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", out).group(1)) + 0.05)
        return rps
    return _thread_loop(url, headers)


def _seconds(text: str) -> float:
    """wrk's duration ("812.3us", "12.5ms", "1.2s", "1.0m") in seconds."""
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def _thread_loop(url: str, headers: dict[str, str]) -> float:
    done, stop = [0], time.monotonic() + SECONDS
    lock = threading.Lock()

    def worker():
        while time.monotonic() < stop:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as answer:
                answer.read()
            with lock:
                done[0] += 1

    threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0] / (time.monotonic() - start)


def main() -> None:
    env = environment()
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    seed(env)
    import django

    django.setup()
    datasets = {}
    for label, (_subscription, user, _extra) in DATASETS.items():
        pages = [page for page in pages_for(user) if ONLY.lower() in page.label.lower()]
        count_queries(user, pages)
        datasets[label] = (user, pages)

    port = free_port()
    base = f"http://{HOST}:{port}"
    server = start_gunicorn(env, port)
    try:
        cookies = {label: sign_in(base, user) for label, (user, _) in datasets.items()}
        for round_number in range(ROUNDS):
            for label, (_user, pages) in datasets.items():
                headers = {"Cookie": cookies[label]}
                for page in pages:
                    trivial = load(f"{base}/bench/trivial", headers)
                    rps = load(base + page.url, {**headers, **page.headers})
                    page.rps.append(rps)
                    page.ratios.append(rps / trivial)
                    print(
                        f"  {label:>4} {page.label:<34} q={page.queries:<3} {rps:8.1f} req/s "
                        f"ratio {rps / trivial:.3f}",
                        file=sys.stderr,
                    )
            print(f"round {round_number + 1}/{ROUNDS} done", file=sys.stderr)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    tool = "wrk" if shutil.which("wrk") else "Python threads"
    print(
        f"\nPage ratios: page req/s ÷ /bench/trivial req/s measured just before it, {ROUNDS} "
        f"interleaved rounds of {SECONDS:g}s each ({tool}, {CONNECTIONS} connections, gunicorn "
        "2 workers, PostgreSQL). ratio = median [min–max]."
    )
    header = f"{'page':<34}{'target':>7}"
    for label in datasets:
        header += f" | {label + ' rows: q':>12}{'req/s':>7}{'ratio':>7}{'spread':>13}"
    print(header)
    small_pages = dict(zip([p.label for p in datasets["10k"][1]], datasets["100"][1], strict=True))
    for page in datasets["10k"][1]:
        line = f"{page.label:<34}{'≥' + page.target:>7}"
        for other in (page, small_pages[page.label]):
            spread = f"{min(other.ratios):.3f}–{max(other.ratios):.3f}"
            line += (
                f" | {other.queries:>12}{statistics.median(other.rps):>7.0f}"
                f"{statistics.median(other.ratios):>7.3f}{spread:>13}"
            )
        if page.status != 200:
            line += f"  (status {page.status})"
        print(line)
    by_label = {page.label: page for page in datasets["10k"][1]}
    if API_LIST in by_label and HTML_LIST in by_label:
        api, html = by_label[API_LIST], by_label[HTML_LIST]
        api_ratio, html_ratio = statistics.median(api.ratios), statistics.median(html.ratios)
        verdict = "at least as fast" if api_ratio >= html_ratio else "SLOWER than"
        print(
            f"\nAPI list at 10k: ratio {api_ratio:.3f}, {verdict} the HTML list ({html_ratio:.3f})."
        )


if __name__ == "__main__":
    main()
