"""Load: signed-in users over the main pages and the Create a Peering wizard.

Run by `make load` (tests/load/run.py), not by pytest. Each simulated user signs in as its own
`load-<n>` account (Owner of Contoso IX in the demo data), then browses Home, the lists, the
demo peering's blades and its activity, and walks the wizard: Basics → Configuration → a
route-server connection → Review + create (the full validation; nothing is created).
"""

import itertools
import json
import os
import re

from locust import HttpUser, between, events, task
from locust.stats import StatsEntry

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SUBSCRIPTION = os.environ["LOAD_SUBSCRIPTION"]
FACILITY = os.environ["LOAD_FACILITY"]
PASSWORD = os.environ.get("LOAD_PASSWORD", "load-test-password")
PEERING = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/contoso-ix-peering/providers/"
    "Microsoft.Peering/peerings/contoso-ix-seattle/"
)
_numbers = itertools.count()
SIGN_IN = "sign in"


@events.quitting.add_listener
def write_summary(environment, **_kwargs) -> None:
    """The figures run.py prints: browsing (every page but the one-off sign-in, whose cost is
    the deliberate PBKDF2 password hash) and sign-in apart; errors over everything."""
    stats = environment.stats
    browsing = StatsEntry(stats, "browsing", "")
    signing_in = StatsEntry(stats, SIGN_IN, "")
    for entry in stats.entries.values():
        (signing_in if entry.name.startswith(SIGN_IN) else browsing).extend(entry)

    def figures(entry):
        return {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "p50": entry.get_response_time_percentile(0.5),
            "p95": entry.get_response_time_percentile(0.95),
            "p99": entry.get_response_time_percentile(0.99),
            "max": round(entry.max_response_time or 0),
        }

    summary = {"browsing": figures(browsing), "sign_in": figures(signing_in)}
    path = os.environ.get("LOAD_SUMMARY")
    if path:
        with open(path, "w") as handle:
            json.dump(summary, handle)


class PortalUser(HttpUser):
    # A person reads a page for a moment before the next click.
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.number = next(_numbers)
        page = self.client.get("/accounts/login/", name=f"{SIGN_IN} (form)")
        self.client.post(
            "/accounts/login/",
            {
                "username": f"load-{self.number}",
                "password": PASSWORD,
                "csrfmiddlewaretoken": self._csrf(page.text),
            },
            name=SIGN_IN,
        )

    def _csrf(self, html: str) -> str:
        match = CSRF_RE.search(html)
        return match.group(1) if match else self.client.cookies.get("csrftoken", "")

    def _post(self, url: str, data: dict, name: str) -> None:
        data = {**data, "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", "")}
        self.client.post(url, data, name=name, headers={"Referer": self.host + url})

    @task(3)
    def home(self) -> None:
        self.client.get("/", name="home")

    @task(2)
    def lists(self) -> None:
        for url in ("/peerings/", "/peer-asns/", "/resource-groups/", "/peering-services/"):
            self.client.get(url, name=url)

    @task(3)
    def peering_blades(self) -> None:
        for blade in ("", "connections/", "registeredAsns/", "activity/"):
            self.client.get(PEERING + blade, name=f"peering {blade or 'overview'}")

    @task(2)
    def activity_and_notifications(self) -> None:
        self.client.get("/activity-log/", name="/activity-log/")
        self.client.get("/notifications/", name="/notifications/")

    @task(2)
    def wizard(self) -> None:
        base = "/peerings/create/"
        self.client.get(base + "basics/", name="wizard basics")
        self._post(
            base + "basics/",
            {
                "subscription": SUBSCRIPTION,
                "resource_group": "contoso-ix-peering",
                "name": f"load-{self.number}-rs",
                "peer_asn": "contoso-ix-asn",
                "goto": "configuration",
            },
            "wizard basics (save)",
        )
        self._post(
            base + "configuration/",
            {
                "peering_type": "Direct",
                "microsoft_network": "AS8075 with exchange route server",
                "sku": "Premium Free",
                "metro": "Seattle",
                "goto": "configuration",
            },
            "wizard configuration (save)",
        )
        self.client.get(base + "connection/", name="wizard connection (form)")
        self._post(
            base + "connection/",
            {
                "facility": FACILITY,
                "bandwidth_mbps": "10000",
                "session_prefix_v4": "206.81.80.0/22",
                "peer_session_ipv4_address": f"206.81.82.{self.number % 250 + 1}",
                "microsoft_session_ipv4_address": "206.81.80.113",
                "max_prefixes_advertised_v4": "1000",
            },
            "wizard connection (save)",
        )
        self.client.get(base + "review/", name="wizard review + create")
        self._post(base + "discard/", {}, "wizard discard")
