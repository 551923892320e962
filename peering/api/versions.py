"""The api-versions the API answers to."""

PEERING_API_VERSION = "2025-05-01"
# Microsoft.Resources: resource groups and subscriptions, as the resource-management SDKs call.
RESOURCES_API_VERSIONS = ("2021-04-01", "2022-12-01", "2022-09-01", "2020-01-01", "2016-06-01")
