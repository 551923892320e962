"""The pages of issue 11's table for a `seed_scale` dataset: shared by `make bench`
(tests/benchmarks/bench.py) and the query-count tests (tests/benchmarks/test_query_counts.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse

HX = {"HX-Request": "true"}
# seed_scale arguments of the 100-row dataset (the default is the 10k one).
SMALL_DATASET = [
    "--peerings=100",
    "--registered-asns=100",
    "--resource-groups=10",
    "--peer-asns=50",
    "--activity=100",
    "--peering-services=20",
]


@dataclass
class BenchPage:
    label: str
    url: str
    target: str  # the ratio to reach
    headers: dict[str, str] = field(default_factory=dict)
    wizard: bool = False  # owned by the wizard's pages, measured but not optimised here
    queries: int = 0
    status: int = 0
    size: int = 0
    ratios: list[float] = field(default_factory=list)
    rps: list[float] = field(default_factory=list)


def bench_pages(user) -> list[BenchPage]:
    """Every page of the table for `user` (the Owner of one seed_scale subscription)."""
    from peering.management.commands.seed_scale import DETAIL, RS_BIG, RS_SMALL
    from peering.models import Peering
    from portal.models import RoleAssignment

    subscription = RoleAssignment.objects.get(user=user).subscription

    def args(name: str) -> list:
        row = Peering.objects.select_related("resource_group").get(
            subscription=subscription, name=name
        )
        return [subscription.pk, row.resource_group.name, row.name]

    detail, rs50, rs2000 = args(DETAIL), args(RS_SMALL), args(RS_BIG)
    peerings = reverse("peering:peering_list")
    peering_frag = {**HX, "HX-Target": "peering-results"}
    asns = reverse("registered:asn_list", args=rs2000)
    return [
        BenchPage("Peerings list, page 1", peerings, "0.25"),
        BenchPage("Peerings list, page 101", f"{peerings}?page=101", "0.25"),
        BenchPage("  htmx: peerings sort", f"{peerings}?sort=-created", "0.25", peering_frag),
        BenchPage(
            "  htmx: peerings filter+page",
            f"{peerings}?connection_state=Validating&page=3",
            "0.25",
            peering_frag,
        ),
        BenchPage(
            "Peering detail (16 conns)", reverse("peering:peering_detail", args=detail), "0.5"
        ),
        BenchPage("Connections blade", reverse("peering:peering_connections", args=detail), "0.5"),
        BenchPage("Registered ASNs, 50 rows", reverse("registered:asn_list", args=rs50), "0.25"),
        BenchPage("Registered ASNs, 2,000, paged", asns, "0.25"),
        BenchPage(
            "  htmx: registered ASNs page 10",
            f"{asns}?page=10",
            "0.25",
            {**HX, "HX-Target": "asn-results"},
        ),
        BenchPage("Peer ASNs", reverse("peering:peer_asn_list"), "0.4"),
        BenchPage(
            "  htmx: peer ASNs search",
            reverse("peering:peer_asn_list") + "?q=scale-asn-00",
            "0.4",
            HX,
        ),
        BenchPage("Home", reverse("portal:home"), "0.4"),
        BenchPage("Activity log", reverse("portal:activity_log"), "0.4"),
        BenchPage(
            "  htmx: activity filter+page",
            reverse("portal:activity_log") + "?status=Failed&page=2",
            "0.4",
            HX,
        ),
        BenchPage("Resource groups", reverse("portal:resource_group_list"), "0.4"),
        BenchPage(
            "  htmx: resource groups sort",
            reverse("portal:resource_group_list") + "?sort=-name",
            "0.4",
            HX,
        ),
        BenchPage("Peering Services", reverse("peering_services:list"), "0.4"),
        BenchPage("Wizard Basics", reverse("wizard:tab", args=["basics"]), "0.4", wizard=True),
        BenchPage(
            "Wizard Configuration",
            reverse("wizard:tab", args=["configuration"]),
            "0.4",
            wizard=True,
        ),
        BenchPage("Wizard Connection form", reverse("wizard:connection"), "0.4", wizard=True),
        BenchPage("Wizard Review", reverse("wizard:tab", args=["review"]), "0.4", wizard=True),
    ]
