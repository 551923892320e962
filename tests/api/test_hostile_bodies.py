"""Hostile request bodies → 400 with an ARM error naming the problem, and nothing written."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peering.models import Peering
from portal.models import ActivityLog
from tests import factories

pytestmark = pytest.mark.django_db

V = "api-version=2025-05-01"


@pytest.fixture
def path(subscription, region):
    factories.ResourceGroupFactory(subscription=subscription, name="rg", region=region)
    return (
        f"/subscriptions/{subscription.pk}/resourceGroups/rg"
        "/providers/Microsoft.Peering/peerings/p1"
    )


def put(arm, path, body, content_type="application/json"):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return arm("PUT", path, query=V, data=data, content_type=content_type)


def assert_refused(response, code="InvalidRequestContent", target=None):
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == code
    if target is not None:
        assert error["target"] == target
    assert response["x-ms-request-id"]
    assert not Peering.objects.exists()
    assert not ActivityLog.objects.exists()


@pytest.mark.parametrize(
    ("body", "target"),
    [
        ({"kind": 5}, "kind"),
        ({"tags": ["a"]}, "tags"),
        ({"tags": {"a": 1}}, "tags.a"),
        ({"sku": "Basic_Direct_Free"}, "sku"),
        ({"properties": {"peeringLocation": ["Seattle"]}}, "properties.peeringLocation"),
        (
            {"properties": {"direct": {"connections": [{"bandwidthInMbps": "10000"}]}}},
            "properties.direct.connections[0].bandwidthInMbps",
        ),
        (
            {"properties": {"direct": {"connections": [{"useForPeeringService": "yes"}]}}},
            "properties.direct.connections[0].useForPeeringService",
        ),
        (
            {"properties": {"direct": {"connections": [{"connectionIdentifier": "not-a-guid"}]}}},
            "properties.direct.connections[0].connectionIdentifier",
        ),
    ],
)
def test_wrong_types_name_the_property(arm, path, body, target):
    assert_refused(put(arm, path, body), target=target)


@pytest.mark.parametrize(
    ("body", "target"),
    [
        ({"colour": "blue"}, "colour"),
        ({"properties": {"secretAdminFlag": True}}, "properties.secretAdminFlag"),
        (
            {"properties": {"direct": {"connections": [{"bgpSession": {"password": "x"}}]}}},
            "properties.direct.connections[0].bgpSession.password",
        ),
    ],
)
def test_unknown_properties_are_refused(arm, path, body, target):
    response = put(arm, path, body)
    assert_refused(response, target=target)
    assert "not a property" in response.json()["error"]["details"][0]["message"]


def test_huge_body_is_refused(arm, path):
    body = {"tags": {"x": "y" * 300_000}}
    assert_refused(put(arm, path, body))


def test_deeply_nested_body_is_refused(arm, path):
    deep = "[" * 5000 + "]" * 5000
    assert_refused(put(arm, path, '{"properties": ' + deep + "}"))
    nested = {"a": {}}
    inner = nested["a"]
    for _ in range(40):
        inner["a"] = {}
        inner = inner["a"]
    assert_refused(put(arm, path, {"properties": nested}))


def test_wrong_content_type_is_refused(arm, path):
    response = put(arm, path, "kind=Direct", content_type="application/x-www-form-urlencoded")
    assert_refused(response, code="UnsupportedMediaType")
    assert_refused(
        put(arm, path, json.dumps({"kind": "Direct"}), content_type="text/plain"),
        code="UnsupportedMediaType",
    )


@pytest.mark.parametrize(
    "raw", ["{", "nul", '{"kind": "Direct",}', "\xff\xfe", "[1, 2]", '"x"', ""]
)
def test_broken_or_non_object_json_is_refused(arm, path, raw):
    assert_refused(put(arm, path, raw))


def test_patch_tags_must_be_strings(arm, path, subscription):
    peering = factories.PeeringFactory(
        subscription=subscription, name="p1", resource_group__name="rg2"
    )
    url = path.replace("/rg/", "/rg2/")
    response = arm(
        "PATCH",
        url,
        query=V,
        data=json.dumps({"tags": {"a": {"b": "c"}}}),
        content_type="application/json",
    )
    assert response.status_code == 400
    peering.refresh_from_db()
    assert peering.tags == {}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.dictionaries(
        st.sampled_from(["kind", "sku", "location", "tags", "properties", "x"]),
        json_values,
        max_size=4,
    )
)
def test_any_json_object_is_answered_never_500(arm, path, body):
    response = put(arm, path, body)
    assert response.status_code in (400, 404), response.content
    assert "error" in response.json()
    assert not Peering.objects.exists()
