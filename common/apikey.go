package common

import (
	"errors"
	"strings"
)

const (
	// APIKeyPrefix starts every live API key.
	APIKeyPrefix = "sk_live_"
	// APIKeyRandomLength is the number of random characters after the prefix.
	APIKeyRandomLength = 32
	// APIKeyLength is the full length of a well-formed key.
	APIKeyLength = len(APIKeyPrefix) + APIKeyRandomLength
	// APIKeyAlphabet is the set the random part is drawn from.
	APIKeyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// Errors returned by ValidateAPIKeyFormat. They never contain the key itself.
var (
	ErrAPIKeyEmpty     = errors.New("the API key is empty")
	ErrAPIKeyPrefix    = errors.New("an API key starts with " + APIKeyPrefix)
	ErrAPIKeyLength    = errors.New("an API key is " + APIKeyPrefix + " followed by 32 letters and digits; this one has the wrong length")
	ErrAPIKeyCharacter = errors.New("an API key contains only letters and digits after " + APIKeyPrefix)
)

// ValidateAPIKeyFormat reports whether key has the shape of an RGrid API key.
// It checks the shape only, never whether the key exists, so the CLI can
// reject a mistyped key before any network call and the server can reject
// garbage before spending a bcrypt comparison on it.
//
// The checks run in the order that names the real problem: empty, then the
// prefix, then the characters (a space or line break pasted into a key also
// changes its length, but "wrong length" would hide the cause), then the
// length.
func ValidateAPIKeyFormat(key string) error {
	switch {
	case key == "":
		return ErrAPIKeyEmpty
	case !strings.HasPrefix(key, APIKeyPrefix):
		return ErrAPIKeyPrefix
	}
	for i := len(APIKeyPrefix); i < len(key); i++ {
		if !isAlphanumeric(key[i]) {
			return ErrAPIKeyCharacter
		}
	}
	if len(key) != APIKeyLength {
		return ErrAPIKeyLength
	}
	return nil
}

// APIKeyHint returns a form of key that is safe to show and log:
// the prefix, an ellipsis and the last four characters ("sk_live_…AbCd").
// Anything that is not a well-formed key yields "sk_live_…????" so a
// malformed secret is never echoed back either.
func APIKeyHint(key string) string {
	if ValidateAPIKeyFormat(key) != nil {
		return APIKeyPrefix + "…????"
	}
	return APIKeyPrefix + "…" + key[len(key)-4:]
}

func isAlphanumeric(c byte) bool {
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}
