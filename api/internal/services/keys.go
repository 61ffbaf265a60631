package services

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"golang.org/x/crypto/bcrypt"

	"github.com/rgrid/rgrid/common"
)

// BcryptCost is the work factor for stored API key hashes (spec NFR: 12).
const BcryptCost = 12

// GenerateAPIKey returns a new key: common.APIKeyPrefix followed by
// common.APIKeyRandomLength characters of common.APIKeyAlphabet drawn from
// rnd (crypto/rand.Reader when nil). It uses rejection sampling, so every
// character is equally likely.
func GenerateAPIKey(rnd io.Reader) (string, error) {
	s, err := randomString(rnd, common.APIKeyAlphabet, common.APIKeyRandomLength)
	if err != nil {
		return "", fmt.Errorf("generate api key: %w", err)
	}
	return common.APIKeyPrefix + s, nil
}

// randomString draws n characters of alphabet (at most 256 symbols) from rnd
// without modulo bias: bytes at or above the largest multiple of
// len(alphabet) are thrown away.
func randomString(rnd io.Reader, alphabet string, n int) (string, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	size := len(alphabet)
	if size == 0 || size > 256 {
		return "", fmt.Errorf("alphabet of %d symbols is not supported", size)
	}
	limit := 256 - 256%size // accept bytes in [0, limit)
	out := make([]byte, 0, n)
	buf := make([]byte, n*2)
	for len(out) < n {
		if _, err := io.ReadFull(rnd, buf); err != nil {
			return "", fmt.Errorf("read random bytes: %w", err)
		}
		for _, b := range buf {
			if int(b) >= limit {
				continue
			}
			out = append(out, alphabet[int(b)%size])
			if len(out) == n {
				break
			}
		}
	}
	return string(out), nil
}

// LookupHash returns the hex SHA-256 of key, the value stored in
// api_keys.lookup_hash to find a key's row with one indexed query.
func LookupHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// HashAPIKey returns the bcrypt hash of key at the given cost.
func HashAPIKey(key string, cost int) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(key), cost)
	if err != nil {
		return "", fmt.Errorf("bcrypt api key: %w", err)
	}
	return string(h), nil
}
