package middleware

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/rgrid/rgrid/common"
)

// Response headers the error contract adds (DESIGN.md section 3).
const (
	// WWWAuthenticate is sent with every 401.
	WWWAuthenticate = `Bearer realm="rgrid"`
	// RetryAfterSeconds is sent as Retry-After with every 503.
	RetryAfterSeconds = "5"
)

// ErrorHandler returns the one Echo HTTPErrorHandler of the server: every
// error becomes a JSON common.ErrorResponse whose HTTP status comes from
// common's code table. Unknown errors become 500 internal_error and are
// logged; their text never reaches the client.
func ErrorHandler(logger *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		e := toAPIError(err)
		if e.Code == common.CodeInternal {
			logger.ErrorContext(c.Request().Context(), "request failed", "error", err)
		}
		WriteError(c, e)
	}
}

// WriteError writes e as the response, with the headers its status requires.
func WriteError(c echo.Context, e *common.Error) {
	status := e.HTTPStatus()
	h := c.Response().Header()
	switch status {
	case http.StatusUnauthorized:
		h.Set(echo.HeaderWWWAuthenticate, WWWAuthenticate)
	case http.StatusServiceUnavailable:
		h.Set(echo.HeaderRetryAfter, RetryAfterSeconds)
	}
	h.Set(echo.HeaderCacheControl, "no-store")
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.JSON(status, e.Response())
}

// toAPIError converts any error to a *common.Error without leaking internals.
func toAPIError(err error) *common.Error {
	var ce *common.Error
	if errors.As(err, &ce) && ce.Code.Known() {
		return ce
	}
	var he *echo.HTTPError
	if !errors.As(err, &he) {
		return common.Errorf(common.CodeInternal, "Something went wrong on our side. Try again later.")
	}
	switch he.Code {
	case http.StatusNotFound:
		return common.Errorf(common.CodeNotFound, "There is no such endpoint. The API is described at /docs.")
	case http.StatusMethodNotAllowed:
		return common.Errorf(common.CodeMethodNotAllowed, "This endpoint does not accept that method; see the Allow header.")
	case http.StatusRequestEntityTooLarge:
		return common.Errorf(common.CodeInvalidRequest, "The request body is too large.")
	case http.StatusServiceUnavailable:
		return common.Errorf(common.CodeServiceUnavailable, "The service is unavailable. Try again shortly.")
	case http.StatusTooManyRequests:
		return common.Errorf(common.CodeRateLimited, "Too many requests. Slow down and try again.")
	}
	if he.Code >= 400 && he.Code < 500 {
		return common.Errorf(common.CodeInvalidRequest, "The request is not valid.")
	}
	return common.Errorf(common.CodeInternal, "Something went wrong on our side. Try again later.")
}
