// Package routes builds the rgrid-api HTTP handler: Echo routes that bind a
// request, call one service and convert the result to a common type, wrapped
// in the middleware chain.
package routes

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
	echomw "github.com/labstack/echo/v4/middleware"

	"github.com/rgrid/rgrid/api/internal/middleware"
	"github.com/rgrid/rgrid/common"
)

// DefaultBodyLimit caps request bodies.
const DefaultBodyLimit = "1M"

// HealthChecker reports the health of the server's dependencies;
// services.Health implements it.
type HealthChecker interface {
	Check(ctx context.Context) common.HealthResponse
}

// Deps are what the routes need. Logger, Metrics, Auth and Health are required.
type Deps struct {
	Logger  *slog.Logger
	Metrics *middleware.Metrics
	Auth    middleware.Authenticator
	Health  HealthChecker
}

// New returns the complete HTTP handler of rgrid-api.
func New(d Deps) (*echo.Echo, error) {
	spec, err := openAPIJSON()
	if err != nil {
		return nil, err
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = middleware.ErrorHandler(d.Logger)
	e.Use(
		middleware.Observe(d.Logger, d.Metrics),
		middleware.Recover(d.Logger),
		echomw.BodyLimit(DefaultBodyLimit),
	)

	// HEAD too: monitoring tools probe with it (same check and status,
	// no body).
	e.GET(common.PathHealth, healthHandler(d.Health))
	e.HEAD(common.PathHealth, healthHandler(d.Health))
	e.POST(common.PathAuthValidate, validateHandler, middleware.Auth(d.Auth, d.Metrics))
	e.GET("/openapi.json", func(c echo.Context) error {
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, spec)
	})
	e.GET("/metrics", echo.WrapHandler(d.Metrics.Handler()))
	registerDocs(e)
	return e, nil
}

// healthHandler answers 200 while the database answers (healthy, or degraded
// without storage) and 503 with Retry-After when it does not.
func healthHandler(h HealthChecker) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := h.Check(c.Request().Context())
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		if r.Database != common.ServiceConnected {
			c.Response().Header().Set(echo.HeaderRetryAfter, middleware.RetryAfterSeconds)
			return c.JSON(http.StatusServiceUnavailable, r)
		}
		return c.JSON(http.StatusOK, r)
	}
}

// validateHandler answers POST /api/v1/auth/validate: the Auth middleware
// has done the work; this converts the account to the response.
func validateHandler(c echo.Context) error {
	p, ok := middleware.PrincipalFrom(c.Request().Context())
	if !ok { // only if the route were registered without Auth
		return common.Errorf(common.CodeInternal, "Something went wrong on our side. Try again later.")
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, toAuthValidateResponse(p.Account))
}
