package middleware

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rgrid/rgrid/api/internal/models"
	"github.com/rgrid/rgrid/api/internal/services"
	"github.com/rgrid/rgrid/common"
)

// MaxAuthorizationLength is the longest Authorization value looked at; a
// longer one is rejected as invalid_api_key without further work.
const MaxAuthorizationLength = 256

// Authenticator checks an API key; services.Authenticator implements it.
type Authenticator interface {
	Authenticate(ctx context.Context, key string) (services.Principal, error)
}

var _ Authenticator = (*services.Authenticator)(nil)

type principalKey struct{}

// Auth is the Go form of the spec's get_authenticated_account dependency:
// it requires "Authorization: Bearer <key>" on every route it wraps, and puts
// the authenticated account into the request context (see AccountFrom).
//
// Header rules (RFC 6750 / RFC 9110): the scheme is case-insensitive and
// separated from the key by one or more spaces or tabs. No header, an empty
// one, "Bearer" with nothing after it, or another scheme such as Basic
// (RFC 6750 3.1: no bearer credentials at all) answer 401 missing_api_key;
// a malformed, unknown or over-long key answers 401 invalid_api_key before
// any bcrypt work; two Authorization headers answer 400 invalid_request.
func Auth(a Authenticator, m *Metrics) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p, err := authenticate(c.Request(), a)
			if m != nil {
				m.observeAuth(outcome(err))
			}
			if err != nil {
				return err
			}
			req := c.Request()
			setAccountID(req.Context(), p.Account.ID)
			c.SetRequest(req.WithContext(context.WithValue(req.Context(), principalKey{}, p)))
			return next(c)
		}
	}
}

func authenticate(r *http.Request, a Authenticator) (services.Principal, error) {
	key, err := BearerKey(r.Header)
	if err != nil {
		return services.Principal{}, err
	}
	return a.Authenticate(r.Context(), key)
}

// BearerKey extracts the API key from the Authorization header of h, or
// returns a *common.Error as described on Auth. It checks the shape of the
// header only, never whether the key exists.
func BearerKey(h http.Header) (string, error) {
	values := h.Values(echo.HeaderAuthorization)
	switch {
	case len(values) > 1:
		return "", common.Errorf(common.CodeInvalidRequest, "Send exactly one Authorization header.")
	case len(values) == 0:
		return "", common.Errorf(common.CodeMissingAPIKey, "Send your API key as 'Authorization: Bearer sk_live_...'.")
	}
	v := strings.Trim(values[0], " \t")
	if v == "" {
		return "", common.Errorf(common.CodeMissingAPIKey, "The Authorization header is empty. Send 'Authorization: Bearer sk_live_...'.")
	}
	if len(v) > MaxAuthorizationLength {
		return "", common.Errorf(common.CodeInvalidAPIKey, "The API key is not valid: the Authorization header is far too long for one.")
	}
	scheme, rest, _ := strings.Cut(strings.ReplaceAll(v, "\t", " "), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", common.Errorf(common.CodeMissingAPIKey, "No Bearer credentials: send your API key as 'Authorization: Bearer sk_live_...'.")
	}
	key := strings.TrimLeft(rest, " ")
	if key == "" {
		return "", common.Errorf(common.CodeMissingAPIKey, "The Authorization header has no API key after 'Bearer'.")
	}
	if err := common.ValidateAPIKeyFormat(key); err != nil {
		return "", common.Errorf(common.CodeInvalidAPIKey, "The API key is not valid: %s.", err.Error())
	}
	return key, nil
}

// AccountFrom returns the account authenticated by Auth for this request.
func AccountFrom(c echo.Context) (models.Account, bool) {
	p, ok := PrincipalFrom(c.Request().Context())
	return p.Account, ok
}

// PrincipalFrom returns the principal Auth stored in ctx.
func PrincipalFrom(ctx context.Context) (services.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(services.Principal)
	return p, ok
}

func outcome(err error) string {
	if err == nil {
		return "success"
	}
	var ce *common.Error
	if errors.As(err, &ce) {
		return string(ce.Code)
	}
	return string(common.CodeInternal)
}
