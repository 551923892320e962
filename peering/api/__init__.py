"""The Microsoft.Peering REST API (2025-05-01) in the Azure Resource Manager shape, so the official
`azure-mgmt-peering` SDK drives the portal unchanged. Handlers parse and shape; services decide."""
