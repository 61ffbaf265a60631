package middleware

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/labstack/echo/v4"

	"github.com/rgrid/rgrid/common"
)

// Recover turns a panic in a handler into a 500 internal_error response.
// The panic value and stack go to the (redacted) log, never to the client.
func Recover(logger *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				r := recover()
				if r == nil {
					return
				}
				if r == http.ErrAbortHandler { //nolint:errorlint // sentinel compared by identity, as net/http does
					panic(r)
				}
				logger.ErrorContext(c.Request().Context(), "panic recovered",
					"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				err = common.Errorf(common.CodeInternal, "Something went wrong on our side. Try again later.")
			}()
			return next(c)
		}
	}
}
