package services

import (
	"crypto/sha256"
	"crypto/subtle"
	"sync"
)

// DefaultMemoSize bounds the verification memo (entries, one per key row).
const DefaultMemoSize = 10_000

// verifiedMemo remembers "key row X was verified with digest D", where D is
// SHA-256(bcrypt hash || 0 || plaintext key), so a key whose bcrypt hash
// passed once skips bcrypt afterwards. It holds no plaintext, is bounded
// (oldest entry evicted first) and compares digests in constant time. Only
// this fact is cached: revocation and account status are always read from
// the database.
type verifiedMemo struct {
	mu    sync.Mutex
	limit int
	byID  map[int64][sha256.Size]byte
	order []int64 // insertion order ring for eviction
	next  int
}

func newVerifiedMemo(limit int) *verifiedMemo {
	if limit <= 0 {
		limit = DefaultMemoSize
	}
	return &verifiedMemo{limit: limit, byID: make(map[int64][sha256.Size]byte, min(limit, 1024))}
}

func memoDigest(keyHash, key string) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(keyHash))
	h.Write([]byte{0})
	h.Write([]byte(key))
	var d [sha256.Size]byte
	copy(d[:], h.Sum(nil))
	return d
}

// verified reports whether id was verified with digest d.
func (m *verifiedMemo) verified(id int64, d [sha256.Size]byte) bool {
	m.mu.Lock()
	got, ok := m.byID[id]
	m.mu.Unlock()
	return ok && subtle.ConstantTimeCompare(got[:], d[:]) == 1
}

// remember records that id was verified with digest d.
func (m *verifiedMemo) remember(id int64, d [sha256.Size]byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.byID[id]; ok {
		m.byID[id] = d
		return
	}
	if len(m.order) < m.limit {
		m.order = append(m.order, id)
	} else {
		delete(m.byID, m.order[m.next])
		m.order[m.next] = id
		m.next = (m.next + 1) % m.limit
	}
	m.byID[id] = d
}

// forget drops id (after a failed verification, say).
func (m *verifiedMemo) forget(id int64) {
	m.mu.Lock()
	delete(m.byID, id)
	m.mu.Unlock()
}

func (m *verifiedMemo) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.byID)
}
