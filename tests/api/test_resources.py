"""Microsoft.Resources: GET /subscriptions and resource groups, in the azure-mgmt-resource
shape (api-version 2021-04-01)."""

import pytest

from portal.models import ActivityLog, ResourceGroup
from tests import factories

pytestmark = pytest.mark.django_db

R = "api-version=2021-04-01"


def test_subscriptions_list_only_the_callers(arm, subscription, other_subscription):
    body = arm("GET", "/subscriptions", query=R).json()
    assert [s["subscriptionId"] for s in body["value"]] == [str(subscription.pk)]
    assert body["value"][0]["id"] == f"/subscriptions/{subscription.pk}"
    assert body["value"][0]["state"] == "Enabled"


def test_resources_take_their_own_api_version(arm):
    response = arm("GET", "/subscriptions", query="api-version=2025-05-01")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "InvalidApiVersionParameter"


def test_resource_group_put_get_list_delete(arm, subscription, region, owner):
    path = f"/subscriptions/{subscription.pk}/resourcegroups/rg-api"
    created = arm(
        "PUT",
        path,
        query=R,
        data={"location": "eastus", "tags": {"team": "net"}},
        content_type="application/json",
    )
    assert created.status_code == 201
    body = created.json()
    assert body["id"] == f"/subscriptions/{subscription.pk}/resourceGroups/rg-api"
    assert body["type"] == "Microsoft.Resources/resourceGroups"
    assert body["location"] == "eastus" and body["tags"] == {"team": "net"}
    again = arm(
        "PUT",
        path.replace("rg-api", "RG-API"),
        query=R,
        data={"location": "eastus"},
        content_type="application/json",
    )
    assert again.status_code == 200
    assert arm("GET", path, query=R).json()["name"] == "rg-api"
    # The Microsoft.Peering spelling of the path works too.
    assert arm("GET", path.replace("resourcegroups", "resourceGroups"), query=R).status_code == 200
    listed = arm("GET", f"/subscriptions/{subscription.pk}/resourcegroups", query=R).json()
    assert [g["name"] for g in listed["value"]] == ["rg-api"]
    assert arm("DELETE", path, query=R).status_code == 200
    assert arm("DELETE", path, query=R).status_code == 204
    assert not ResourceGroup.objects.filter(name="rg-api").exists()
    operations = list(ActivityLog.objects.values_list("operation", flat=True))
    assert "Microsoft.Resources/subscriptions/resourceGroups/delete" in operations


def test_resource_group_location_cannot_change(arm, subscription, region):
    factories.AzureRegionFactory(name="westus", display_name="West US")
    factories.ResourceGroupFactory(subscription=subscription, name="rg1", region=region)
    response = arm(
        "PUT",
        f"/subscriptions/{subscription.pk}/resourcegroups/rg1",
        query=R,
        data={"location": "westus"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["target"] == "location"
    assert "cannot change" in response.json()["error"]["message"]


def test_resource_group_bad_name_and_location(arm, subscription, region):
    bad = arm(
        "PUT",
        f"/subscriptions/{subscription.pk}/resourcegroups/bad!name",
        query=R,
        data={"location": "eastus"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["target"] == "name"
    nowhere = arm(
        "PUT",
        f"/subscriptions/{subscription.pk}/resourcegroups/ok",
        query=R,
        data={"location": "moon"},
        content_type="application/json",
    )
    assert nowhere.status_code == 400
    assert not ResourceGroup.objects.exists()


def test_resource_group_holding_a_peering_is_not_deleted(arm, subscription, region):
    group = factories.ResourceGroupFactory(subscription=subscription, name="rg1", region=region)
    factories.PeeringFactory(subscription=subscription, resource_group=group)
    response = arm("DELETE", f"/subscriptions/{subscription.pk}/resourcegroups/rg1", query=R)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "Conflict"
    assert ResourceGroup.objects.filter(pk=group.pk).exists()


def test_reader_cannot_write_groups(arm, reader_token, subscription, region):
    response = arm(
        "PUT",
        f"/subscriptions/{subscription.pk}/resourcegroups/rg1",
        query=R,
        token=reader_token,
        data={"location": "eastus"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "AuthorizationFailed"
    assert not ResourceGroup.objects.exists()


def test_outsider_sees_no_groups(arm, outsider_token, subscription, region):
    factories.ResourceGroupFactory(subscription=subscription, name="rg1", region=region)
    for method in ("GET", "DELETE"):
        response = arm(
            method,
            f"/subscriptions/{subscription.pk}/resourcegroups/rg1",
            query=R,
            token=outsider_token,
        )
        assert response.status_code == 404
    assert ResourceGroup.objects.filter(name="rg1").exists()
