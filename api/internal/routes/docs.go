package routes

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4"
	swaggerFiles "github.com/swaggo/files/v2"
	"gopkg.in/yaml.v3"

	"github.com/rgrid/rgrid/api"
)

// redoc.standalone.js is redoc 2.5.4 from the npm registry (MIT license, see
// assets/redoc.LICENSE), embedded so /redoc works with no internet.
//
//go:embed assets/redoc.standalone.js
var redocJS []byte

const swaggerHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>RGrid API - Swagger UI</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-ui-standalone-preset.js"></script>
<script src="/docs/rgrid-init.js"></script>
</body>
</html>
`

// swaggerInit starts Swagger UI. validatorUrl null: the page never sends
// the document to validator.swagger.io (or shows its badge), so it works
// offline and the contract stays on this server.
const swaggerInit = `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout"
  });
};
`

const redocHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>RGrid API - ReDoc</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
</head>
<body>
<redoc spec-url="/openapi.json"></redoc>
<script src="/redoc/redoc.standalone.js"></script>
</body>
</html>
`

// swaggerAssets are the files of swaggo/files served under /docs/.
var swaggerAssets = map[string]string{
	"swagger-ui.css":                  "text/css; charset=utf-8",
	"swagger-ui-bundle.js":            "text/javascript; charset=utf-8",
	"swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
	"favicon-32x32.png":               "image/png",
	"favicon-16x16.png":               "image/png",
}

// registerDocs serves Swagger UI at /docs and ReDoc at /redoc, both from the
// binary and both reading /openapi.json.
func registerDocs(e *echo.Echo) {
	html := func(body string) echo.HandlerFunc {
		return func(c echo.Context) error { return c.HTML(http.StatusOK, body) }
	}
	e.GET("/docs", html(swaggerHTML))
	// People type /docs/ and /docs/index.html (Swagger UI's own file name)
	// too; send them to the page rather than answering 404.
	toPage := func(page string) echo.HandlerFunc {
		return func(c echo.Context) error { return c.Redirect(http.StatusMovedPermanently, page) }
	}
	e.GET("/docs/", toPage("/docs"))
	e.GET("/docs/index.html", toPage("/docs"))
	e.GET("/redoc/", toPage("/redoc"))
	e.GET("/docs/rgrid-init.js", func(c echo.Context) error {
		return c.Blob(http.StatusOK, "text/javascript; charset=utf-8", []byte(swaggerInit))
	})
	e.GET("/docs/:file", swaggerAsset(swaggerFiles.FS))
	e.GET("/redoc", html(redocHTML))
	e.GET("/redoc/redoc.standalone.js", func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=86400")
		return c.Blob(http.StatusOK, "text/javascript; charset=utf-8", redocJS)
	})
}

func swaggerAsset(fsys fs.FS) echo.HandlerFunc {
	return func(c echo.Context) error {
		name := c.Param("file")
		ctype, ok := swaggerAssets[name]
		if !ok {
			return echo.ErrNotFound
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("read swagger asset %s: %w", name, err)
		}
		c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=86400")
		return c.Blob(http.StatusOK, ctype, b)
	}
}

// openAPIJSON converts the embedded api/openapi.yaml to JSON.
func openAPIJSON() ([]byte, error) {
	return yamlToJSON(api.OpenAPIYAML)
}

func yamlToJSON(y []byte) ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(y, &doc); err != nil {
		return nil, fmt.Errorf("parse openapi.yaml: %w", err)
	}
	doc, err := jsonable(doc)
	if err != nil {
		return nil, fmt.Errorf("convert openapi.yaml: %w", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode openapi.json: %w", err)
	}
	return bytes.TrimSpace(buf.Bytes()), nil
}

// jsonable turns the maps yaml.v3 may produce with non-string keys into
// JSON objects (OpenAPI status codes such as 200 are such keys).
func jsonable(v any) (any, error) {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			conv, err := jsonable(val)
			if err != nil {
				return nil, err
			}
			t[k] = conv
		}
		return t, nil
	case map[any]any:
		out := make(map[string]any, len(t))
		for k, val := range t {
			conv, err := jsonable(val)
			if err != nil {
				return nil, err
			}
			out[fmt.Sprint(k)] = conv
		}
		return out, nil
	case []any:
		for i, val := range t {
			conv, err := jsonable(val)
			if err != nil {
				return nil, err
			}
			t[i] = conv
		}
		return t, nil
	}
	return v, nil
}
