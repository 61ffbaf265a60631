package middleware

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/rgrid/rgrid/common"
)

// FuzzBearerKey feeds arbitrary Authorization values (one or two headers)
// to BearerKey. Properties: it never panics; it returns either a key that
// passes common.ValidateAPIKeyFormat (so never longer than
// common.APIKeyLength) and no error, or no key and a *common.Error whose
// code is one of the documented ones and whose message never carries
// anything shaped like a key's secret part.
func FuzzBearerKey(f *testing.F) {
	seeds := []string{
		"Bearer " + goodKey,
		"bearer " + goodKey,
		"BEARER " + goodKey,
		"bEaReR " + goodKey,
		"Bearer\t" + goodKey,
		"Bearer \t \t" + goodKey,
		"Bearer     " + goodKey,
		"  Bearer " + goodKey + " \t",
		"Bearer " + goodKey + "x",
		"Bearer " + goodKey + " x",
		"Bearer " + goodKey + "\tx",
		"Bearer " + goodKey + "\x00",
		"Bearer " + goodKey[:len(goodKey)-1],
		"Bearer " + goodKey[:len(goodKey)-1] + "-",
		"Bearer " + goodKey[:len(goodKey)-1] + "é",
		"Bearer sk_live_",
		"Bearer sk_test_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef",
		"Bearer" + goodKey,
		"Bearer",
		"Bearer ",
		"Basic dXNlcjpwYXNz",
		"Token " + goodKey,
		goodKey,
		"",
		" ",
		"\t",
		"Bearer " + strings.Repeat("a", 10<<10),
		"Bearer " + goodKey + strings.Repeat(" ", MaxAuthorizationLength),
		"Bearer " + strings.Repeat(" ", MaxAuthorizationLength) + goodKey,
		"Bearer sk_live_ÄBCDEFGHIJKLMNOPQRSTUVWXYZabcde",
		"Bearer sk_live_ＡBCDEFGHIJKLMNOPQRSTUVWXYZabcdef",
		"Bearer\u00a0" + goodKey,
		"Bearer\u3000" + goodKey,
		"Bearer\r\n " + goodKey,
		"ＢEARER " + goodKey,
		"\xff\xfe Bearer " + goodKey,
	}
	for _, s := range seeds {
		f.Add(s, "", false)
	}
	f.Add("Bearer "+goodKey, "Bearer "+goodKey, true)
	f.Add("Bearer "+goodKey, "", true)
	f.Add("", "Basic x", true)

	f.Fuzz(func(t *testing.T, v1, v2 string, two bool) {
		h := http.Header{}
		h.Add("Authorization", v1)
		if two {
			h.Add("Authorization", v2)
		}
		key, err := BearerKey(h)
		if err != nil {
			if key != "" {
				t.Fatalf("returned a key (%d bytes) together with an error", len(key))
			}
			var ce *common.Error
			if !errors.As(err, &ce) {
				t.Fatalf("error is %T, not *common.Error: %v", err, err)
			}
			switch ce.Code {
			case common.CodeMissingAPIKey, common.CodeInvalidAPIKey, common.CodeInvalidRequest:
			default:
				t.Fatalf("unexpected error code %q", ce.Code)
			}
			if n := longestAlnumRun(ce.Message); n >= 16 {
				t.Fatalf("error message has a run of %d letters and digits, like a key's secret part", n)
			}
			return
		}
		if two {
			t.Fatalf("two Authorization headers were accepted")
		}
		if verr := common.ValidateAPIKeyFormat(key); verr != nil {
			t.Fatalf("returned key of %d bytes fails the format check: %v", len(key), verr)
		}
		if len(key) > common.APIKeyLength {
			t.Fatalf("returned key of %d bytes is longer than %d", len(key), common.APIKeyLength)
		}
		if !strings.Contains(v1, key) {
			t.Fatalf("returned key is not part of the header")
		}
	})
}

// longestAlnumRun is the length of the longest run of ASCII letters and
// digits in s. No fixed message has a run of 16; the secret part of a key is 32.
func longestAlnumRun(s string) int {
	best, cur := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			cur++
			best = max(best, cur)
		} else {
			cur = 0
		}
	}
	return best
}
