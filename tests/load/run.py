"""`make load`: the portal under gunicorn on PostgreSQL, driven by locust.

Sets up a PostgreSQL database (LOAD_DATABASE_URL) with the demo data and LOAD_USERS accounts,
serves the portal with gunicorn on 127.0.0.1 only, runs tests/load/locustfile.py headless for
LOAD_SECONDS with LOAD_USERS concurrent signed-in users, stops gunicorn, and prints the p95
latency and the error count. Exits non-zero when any request failed.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
BIN = Path(PY).parent
URL = os.environ.get("LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pp_load")
USERS = int(os.environ.get("LOAD_USERS", "50"))
SECONDS = int(os.environ.get("LOAD_SECONDS", "60"))
PORT = int(os.environ.get("LOAD_PORT", "8765"))
WORKERS = os.environ.get("LOAD_WORKERS", "4")
OUT = ROOT / "var" / "load"
PASSWORD = "load-test-password"  # noqa: S105 (a throwaway local account)

SETUP_USERS = """
from django.contrib.auth import get_user_model
from peering.models import DirectFacility
from portal.models import RoleAssignment, Role, Subscription
sub = Subscription.objects.get(display_name="Contoso IX")
User = get_user_model()
for n in range({users}):
    user, _ = User.objects.get_or_create(username=f"load-{{n}}")
    user.set_password("{password}")
    user.save()
    RoleAssignment.objects.get_or_create(
        user=user, subscription=sub, defaults={{"role": Role.OWNER}}
    )
facility = DirectFacility.objects.get(name="Westin Building Exchange")
print(sub.pk, facility.pk)
"""


def server_env() -> dict[str, str]:
    """Production-like settings, on plain HTTP on the loopback address."""
    return {
        **os.environ,
        "DATABASE_URL": URL,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_HTTPS": "0",
        "DJANGO_EMAIL_BACKEND": "locmem",
        "DJANGO_LOG_LEVEL": "WARNING",
    }


def ensure_database() -> None:
    import psycopg

    parts = urlparse(URL)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def manage(env, *args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=capture, text=True
    )
    return result.stdout if capture else ""


def wait_until_up(timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=2):  # noqa: S310
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("gunicorn did not answer /healthz in time")


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "summary.json").unlink(missing_ok=True)
    env = server_env()
    ensure_database()
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    output = manage(
        env, "shell", "-c", SETUP_USERS.format(users=USERS, password=PASSWORD), capture=True
    )
    sub, facility = output.strip().splitlines()[-1].split()

    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "portal.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            WORKERS,
            "--access-logfile",
            "-",
            "--error-logfile",
            str(OUT / "gunicorn-errors.log"),
        ],
        cwd=ROOT,
        env=env,
        stdout=open(OUT / "gunicorn-access.log", "w"),  # noqa: SIM115
        start_new_session=True,
    )
    try:
        wait_until_up()
        subprocess.run(
            [
                str(BIN / "locust"),
                "-f",
                str(ROOT / "tests" / "load" / "locustfile.py"),
                "--headless",
                "--users",
                str(USERS),
                "--spawn-rate",
                "5",
                "--run-time",
                f"{SECONDS}s",
                "--host",
                f"http://127.0.0.1:{PORT}",
                "--csv",
                str(OUT / "load"),
                "--only-summary",
                "--stop-timeout",
                "10",
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "LOAD_SUBSCRIPTION": sub,
                "LOAD_FACILITY": facility,
                "LOAD_PASSWORD": PASSWORD,
                "LOAD_SUMMARY": str(OUT / "summary.json"),
            },
            check=False,
            timeout=SECONDS + 120,
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    with open(OUT / "load_stats.csv") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    total = rows["Aggregated"]
    requests, failures = int(total["Request Count"]), int(total["Failure Count"])
    summary_file = OUT / "summary.json"
    summary = json.loads(summary_file.read_text()) if summary_file.exists() else {}
    print()
    print(f"{USERS} signed-in users for {SECONDS} s, gunicorn ({WORKERS} workers), PostgreSQL:")
    print(
        f"  all: {requests} requests ({float(total['Requests/s']):.1f}/s), {failures} errors, "
        f"p95 {total['95%']} ms"
    )
    for label, key in (("pages + wizard", "browsing"), ("sign-in (once per user)", "sign_in")):
        if key not in summary:
            continue
        f = summary[key]
        print(
            f"  {label}: {f['requests']} requests, {f['failures']} errors, median {f['p50']} "
            f"ms, p95 {f['p95']} ms, p99 {f['p99']} ms, max {f['max']} ms"
        )
    slowest = sorted(
        (r for n, r in rows.items() if n != "Aggregated"), key=lambda r: -float(r["95%"])
    )[:6]
    print("  slowest p95:")
    for row in slowest:
        print(f"    {row['95%']:>6} ms  {row['Type']} {row['Name']}")
    return 1 if failures or not requests else 0


if __name__ == "__main__":
    sys.exit(main())
