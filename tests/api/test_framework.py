"""The shape every answer shares: api-version, x-ms-request-id, ARM error bodies, JSON only,
the OpenAPI document and its readable page."""

import pytest

pytestmark = pytest.mark.django_db

V = "api-version=2025-05-01"
OPS = "/providers/Microsoft.Peering/operations"


def test_operations_list_answers_json_with_a_request_id(arm):
    response = arm("GET", OPS, query=V)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert len(response["x-ms-request-id"]) == 36
    names = {op["name"] for op in response.json()["value"]}
    assert "Microsoft.Peering/peerAsns/write" in names
    assert "Microsoft.Peering/peerings/registeredAsns/delete" in names


def test_missing_api_version_is_400(arm):
    response = arm("GET", OPS)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "MissingApiVersionParameter"
    assert response["x-ms-request-id"]


def test_unknown_api_version_is_400(arm):
    response = arm("GET", OPS, query="api-version=2019-08-01-preview")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "InvalidApiVersionParameter"
    assert "2025-05-01" in error["message"]


def test_unknown_path_is_an_arm_error_not_html(arm):
    response = arm("GET", "/providers/Microsoft.Peering/nothingHere", query=V)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "InvalidResourceType"
    assert response["x-ms-request-id"]


def test_wrong_method_is_an_arm_error(arm, subscription):
    response = arm(
        "PATCH", f"/subscriptions/{subscription.pk}/providers/Microsoft.Peering/peerAsns/x", query=V
    )
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "HttpMethodNotAllowed"


def test_client_request_id_is_echoed(arm):
    response = arm("GET", OPS, query=V, headers={"x-ms-client-request-id": "abc-123"})
    assert response["x-ms-client-request-id"] == "abc-123"


def test_openapi_document_lists_the_sdk_operations(client):
    response = client.get("/arm/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    operation_ids = {op["operationId"] for item in schema["paths"].values() for op in item.values()}
    for wanted in (
        "PeerAsns_Get",
        "Peerings_ListByResourceGroup",
        "Prefixes_Get",
        "ReceivedRoutes_ListByPeering",
        "ResourceGroups_Get",
    ):
        assert wanted in operation_ids
    assert not any(path.endswith("/") for path in schema["paths"])


def test_readable_reference_page(client):
    response = client.get("/arm/docs")
    assert response.status_code == 200
    assert b"PeerAsns" in response.content or b"Peer ASN" in response.content
    assert (
        b"/subscriptions/{subscription_id}/providers/Microsoft.Peering/peerAsns" in response.content
    )


def test_openapi_documents_request_bodies(client):
    schema = client.get("/arm/openapi.json").json()
    put = next(
        item["put"]
        for path, item in schema["paths"].items()
        if path.endswith("/peerings/{name}") and "put" in item
    )
    ref = put["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/PeeringBody"
    body = schema["components"]["schemas"]["PeeringBody"]
    assert {"sku", "kind", "location", "tags", "properties"} <= set(body["properties"])
    assert "DirectConnectionBody" in schema["components"]["schemas"]
