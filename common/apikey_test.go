package common

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateAPIKeyFormat(t *testing.T) {
	valid := APIKeyPrefix + strings.Repeat("aB3", 10) + "zZ"
	tests := []struct {
		name string
		key  string
		want error
	}{
		{"valid", valid, nil},
		{"all digits", APIKeyPrefix + strings.Repeat("7", 32), nil},
		{"empty", "", ErrAPIKeyEmpty},
		{"wrong prefix", "sk_test_" + strings.Repeat("a", 32), ErrAPIKeyPrefix},
		{"prefix only", APIKeyPrefix, ErrAPIKeyLength},
		{"too short", APIKeyPrefix + strings.Repeat("a", 31), ErrAPIKeyLength},
		{"too long", APIKeyPrefix + strings.Repeat("a", 33), ErrAPIKeyLength},
		{"trailing newline", valid[:len(valid)-1] + "\n", ErrAPIKeyCharacter},
		{"space inside", APIKeyPrefix + strings.Repeat("a", 15) + " " + strings.Repeat("a", 16), ErrAPIKeyCharacter},
		{"space inside, so too long", APIKeyPrefix + strings.Repeat("a", 16) + " " + strings.Repeat("a", 16), ErrAPIKeyCharacter},
		{"line break inside, too short", APIKeyPrefix + strings.Repeat("a", 10) + "\n" + strings.Repeat("a", 10), ErrAPIKeyCharacter},
		{"control character only after prefix", APIKeyPrefix + "\x04", ErrAPIKeyCharacter},
		{"underscore", APIKeyPrefix + strings.Repeat("a", 31) + "_", ErrAPIKeyCharacter},
		{"non-ascii", APIKeyPrefix + strings.Repeat("a", 30) + "é", ErrAPIKeyCharacter},
		{"leading space", " " + valid, ErrAPIKeyPrefix},
		{"upper-case prefix", "SK_LIVE_" + strings.Repeat("a", 32), ErrAPIKeyPrefix},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ValidateAPIKeyFormat(tt.key)
			if !errors.Is(got, tt.want) {
				t.Fatalf("ValidateAPIKeyFormat(%q) = %v, want %v", tt.key, got, tt.want)
			}
			if got != nil && strings.Contains(got.Error(), tt.key) && tt.key != "" && tt.key != APIKeyPrefix {
				t.Fatalf("error %q echoes the key", got)
			}
		})
	}
}

func TestAPIKeyHint(t *testing.T) {
	tests := []struct {
		name, key, want string
	}{
		{"valid", APIKeyPrefix + strings.Repeat("a", 28) + "AbCd", "sk_live_…AbCd"},
		{"malformed", "sk_live_short", "sk_live_…????"},
		{"empty", "", "sk_live_…????"},
		{"other secret", "hunter2hunter2", "sk_live_…????"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := APIKeyHint(tt.key); got != tt.want {
				t.Fatalf("APIKeyHint(%q) = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}

// FuzzValidateAPIKeyFormat checks that the format check never panics, that
// it accepts exactly the documented shape, and that its errors and the hint
// never echo a malformed key.
func FuzzValidateAPIKeyFormat(f *testing.F) {
	for _, s := range []string{"", APIKeyPrefix, APIKeyPrefix + strings.Repeat("a", 32),
		APIKeyPrefix + strings.Repeat("a", 31) + "\n", "sk_live_ü" + strings.Repeat("a", 30), "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		err := ValidateAPIKeyFormat(key)
		shapeOK := len(key) == APIKeyLength && strings.HasPrefix(key, APIKeyPrefix)
		if shapeOK {
			for _, c := range []byte(key[len(APIKeyPrefix):]) {
				if !strings.ContainsRune(APIKeyAlphabet, rune(c)) {
					shapeOK = false
				}
			}
		}
		if shapeOK != (err == nil) {
			t.Fatalf("ValidateAPIKeyFormat(%q) = %v, but shape ok = %v", key, err, shapeOK)
		}
		hint := APIKeyHint(key)
		if err != nil && hint != APIKeyPrefix+"…????" {
			t.Fatalf("hint %q for malformed key", hint)
		}
		if err == nil && hint != APIKeyPrefix+"…"+key[len(key)-4:] {
			t.Fatalf("hint %q for key %q", hint, key)
		}
	})
}
