// Package keys keeps the partner keys of the public API in PostgreSQL
// (table partner_keys of stageindex's schema), hashed, and serves them to
// the API from memory, read again every few seconds so that a revoked key
// stops working soon after `stageindex keys revoke`.
package keys

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stageindex/stageindex"
)

// Key is a partner key as stored, without the key itself.
type Key struct {
	Name        string
	Rate        float64
	Burst       int
	Departments []string // nil: every département
	ExpiresAt   time.Time
	CreatedAt   time.Time
	RevokedAt   time.Time
}

// Active reports whether k grants anything at now.
func (k Key) Active(now time.Time) bool {
	return k.RevokedAt.IsZero() && (k.ExpiresAt.IsZero() || now.Before(k.ExpiresAt))
}

// prefix starts every key, so that one pasted in a log or a repository is
// recognisable (and greppable by secret scanners).
const prefix = "si_"

// generate returns a new key: 32 random bytes, base64url.
func generate() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("keys: random: %w", err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// hash is what is stored of a key. A key carries 256 random bits: a plain
// SHA-256 is enough, no password hashing needed.
func hash(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// Store reads and writes partner_keys.
type Store struct{ db *pgxpool.Pool }

// NewStore returns a Store on db, whose search_path starts with
// stageindex's schema (migrations.PoolConfig).
func NewStore(db *pgxpool.Pool) *Store { return &Store{db: db} }

// New describes a key to create. Burst 0 is twice the rate.
type New struct {
	Name        string
	Rate        float64
	Burst       int
	Departments []string
	ExpiresAt   time.Time
}

// Create stores a new key and returns it: the only time it is known.
func (s *Store) Create(ctx context.Context, n New) (string, Key, error) {
	if !validName.MatchString(n.Name) {
		return "", Key{}, stageindex.Errorf(stageindex.EINVALID, "keys: name %q: want letters, digits, '.', '_' or '-', 63 at most", n.Name)
	}
	if !(n.Rate > 0) {
		return "", Key{}, stageindex.Errorf(stageindex.EINVALID, "keys: rate must be above 0 requests per second")
	}
	if n.Burst == 0 {
		n.Burst = max(1, int(2*n.Rate))
	}
	if n.Burst < 1 {
		return "", Key{}, stageindex.Errorf(stageindex.EINVALID, "keys: burst must be at least 1")
	}
	if n.Departments != nil {
		for i, d := range n.Departments {
			n.Departments[i] = strings.ToUpper(strings.TrimSpace(d))
			if !stageindex.ValidDepartment(n.Departments[i]) {
				return "", Key{}, stageindex.Errorf(stageindex.EINVALID, "keys: %q is not a département code like 22, 2A or 974", d)
			}
		}
		slices.Sort(n.Departments)
		n.Departments = slices.Compact(n.Departments)
	}
	key, err := generate()
	if err != nil {
		return "", Key{}, err
	}
	var expires *time.Time
	if !n.ExpiresAt.IsZero() {
		expires = &n.ExpiresAt
	}
	const q = `INSERT INTO partner_keys (name, key_hash, rate, burst, departments, expires_at)
VALUES ($1, $2, $3, $4, $5, $6) RETURNING created_at`
	k := Key{Name: n.Name, Rate: n.Rate, Burst: n.Burst, Departments: n.Departments, ExpiresAt: n.ExpiresAt}
	if err := s.db.QueryRow(ctx, q, n.Name, hash(key), n.Rate, n.Burst, n.Departments, expires).Scan(&k.CreatedAt); err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == "partner_keys_pkey" {
			return "", Key{}, stageindex.Errorf(stageindex.EINVALID, "keys: a key named %q exists already (revoked keys keep their name)", n.Name)
		}
		return "", Key{}, fmt.Errorf("keys: create: %w", err)
	}
	return key, k, nil
}

// List returns every key, revoked ones included, by name.
func (s *Store) List(ctx context.Context) ([]Key, error) {
	ks, _, err := s.load(ctx)
	return ks, err
}

func (s *Store) load(ctx context.Context) ([]Key, [][]byte, error) {
	const q = `SELECT name, key_hash, rate, burst, departments, expires_at, created_at, revoked_at
FROM partner_keys ORDER BY name`
	rows, err := s.db.Query(ctx, q)
	if err != nil {
		return nil, nil, fmt.Errorf("keys: list: %w", err)
	}
	defer rows.Close()
	var ks []Key
	var hashes [][]byte
	for rows.Next() {
		var k Key
		var h []byte
		var expires, revoked *time.Time
		if err := rows.Scan(&k.Name, &h, &k.Rate, &k.Burst, &k.Departments, &expires, &k.CreatedAt, &revoked); err != nil {
			return nil, nil, fmt.Errorf("keys: list: %w", err)
		}
		if expires != nil {
			k.ExpiresAt = *expires
		}
		if revoked != nil {
			k.RevokedAt = *revoked
		}
		ks = append(ks, k)
		hashes = append(hashes, h)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("keys: list: %w", err)
	}
	return ks, hashes, nil
}

// Revoke revokes the key named name. Revoking it again is an error, so
// that a typo in the name is not taken for success.
func (s *Store) Revoke(ctx context.Context, name string) error {
	const q = `UPDATE partner_keys SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL`
	tag, err := s.db.Exec(ctx, q, name)
	if err != nil {
		return fmt.Errorf("keys: revoke: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return stageindex.Errorf(stageindex.ENOTFOUND, "keys: no key named %q to revoke (see stageindex keys list)", name)
	}
	return nil
}

// Registry holds the keys in memory for the API, as of the last Refresh.
// It implements api.Keys.
type Registry struct {
	store *Store
	now   func() time.Time
	keys  atomic.Pointer[map[string]Key] // by string(hash)
}

// NewRegistry returns a Registry reading store; Lookup fails until the
// first Refresh succeeds.
func NewRegistry(store *Store) *Registry { return &Registry{store: store, now: time.Now} }

// Refresh reads every key again.
func (r *Registry) Refresh(ctx context.Context) error {
	ks, hashes, err := r.store.load(ctx)
	if err != nil {
		return err
	}
	m := make(map[string]Key, len(ks))
	for i, k := range ks {
		m[string(hashes[i])] = k
	}
	r.keys.Store(&m)
	return nil
}

// Run refreshes the keys every period until ctx ends. A failed refresh
// keeps the keys read last (a database that blinks must not lock every
// partner out) and is logged.
func (r *Registry) Run(ctx context.Context, period time.Duration, logger *slog.Logger) {
	t := time.NewTicker(period)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := r.Refresh(ctx); err != nil && ctx.Err() == nil {
			if !failing {
				logger.Warn("partner keys: refresh failed, keeping the keys read last", "err", err)
			}
			failing = true
		} else if failing {
			logger.Info("partner keys: refreshed again")
			failing = false
		}
	}
}

// Lookup returns the partner of key, or an *Error: EUNAUTHORIZED for a
// key that is unknown, revoked or expired, EUNAVAILABLE before the keys
// were ever read.
func (r *Registry) Lookup(key string) (stageindex.Partner, error) {
	m := r.keys.Load()
	if m == nil {
		return stageindex.Partner{}, stageindex.Errorf(stageindex.EUNAVAILABLE, "partner keys are not loaded yet")
	}
	k, ok := (*m)[string(hash(key))]
	now := r.now()
	switch {
	case !ok:
		return stageindex.Partner{}, refused(stageindex.CodeInvalidKey, "is not a partner key", time.Time{})
	case !k.RevokedAt.IsZero():
		return stageindex.Partner{}, refused(stageindex.CodeRevokedKey, "was revoked on "+k.RevokedAt.UTC().Format("2006-01-02"), k.RevokedAt)
	case !k.Active(now):
		return stageindex.Partner{}, refused(stageindex.CodeExpiredKey, "expired on "+k.ExpiresAt.UTC().Format("2006-01-02"), k.ExpiresAt)
	}
	return stageindex.Partner{Name: k.Name, Rate: k.Rate, Burst: k.Burst, Departments: k.Departments, ExpiresAt: k.ExpiresAt}, nil
}

func refused(code stageindex.ParamCode, msg string, when time.Time) error {
	pe := stageindex.ParamError{Param: "Authorization", Code: code, Message: msg}
	if !when.IsZero() {
		pe.With("date", when.UTC().Format("2006-01-02"))
	}
	return &stageindex.Error{Code: stageindex.EUNAUTHORIZED, Message: "the partner key is not valid",
		Params: []stageindex.ParamError{pe}}
}

// ParseDate reads an expiry given as a date (2027-06-30: the key works
// through that day, UTC) or an RFC 3339 time.
func ParseDate(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.AddDate(0, 0, 1), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, stageindex.Errorf(stageindex.EINVALID, "keys: expiry %q: want a date such as 2027-06-30 or an RFC 3339 time", s)
	}
	return t, nil
}
