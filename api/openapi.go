// Package api embeds the RGrid HTTP API contract, api/openapi.yaml, so the
// server can serve it at /openapi.json.
package api

import _ "embed"

// OpenAPIYAML is the OpenAPI 3 document of the RGrid HTTP API.
//
//go:embed openapi.yaml
var OpenAPIYAML []byte
