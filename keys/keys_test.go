package keys

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/internal/pgtest"
	"github.com/stageindex/stageindex/migrations"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func newStore(t *testing.T) (*Store, *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	cfg, err := migrations.PoolConfig(pgtest.New(t), migrations.DefaultSchema)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := migrations.Migrate(ctx, conn, migrations.DefaultSchema); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return NewStore(pool), pool
}

func codeOf(err error) stageindex.ParamCode {
	var e *stageindex.Error
	if err == nil || !asErr(err, &e) || len(e.Params) == 0 {
		return ""
	}
	return e.Params[0].Code
}

func TestKeysLifecycle(t *testing.T) {
	ctx := context.Background()
	s, pool := newStore(t)
	reg := NewRegistry(s)
	if _, err := reg.Lookup("anything"); stageindex.ErrorCodeOf(err) != stageindex.EUNAVAILABLE {
		t.Errorf("Lookup before a refresh: %v, want unavailable", err)
	}
	key22, k, err := s.Create(ctx, New{Name: "onstage", Rate: 5, Departments: []string{"29", "22", "22", "2a"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key22, prefix) || len(key22) != len(prefix)+43 || k.Burst != 10 || strings.Join(k.Departments, ",") != "22,29,2A" {
		t.Errorf("created %q %+v", key22, k)
	}
	keyAll, _, err := s.Create(ctx, New{Name: "national", Rate: 50, Burst: 80, ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if key22 == keyAll {
		t.Fatal("two keys alike")
	}
	// Only the hash is stored.
	var stored int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM partner_keys WHERE position($1::bytea in key_hash) > 0 OR key_hash = $1::bytea`, []byte(key22)).Scan(&stored); err != nil || stored != 0 {
		t.Errorf("the key itself is in the table (%d, %v)", stored, err)
	}
	for _, bad := range []New{
		{Name: "onstage", Rate: 1},
		{Name: "bad name", Rate: 1},
		{Name: "x", Rate: 0},
		{Name: "y", Rate: 1, Departments: []string{"20"}},
		{Name: "z", Rate: 1, Burst: -1},
	} {
		if _, _, err := s.Create(ctx, bad); stageindex.ErrorCodeOf(err) != stageindex.EINVALID {
			t.Errorf("Create(%+v): %v, want invalid", bad, err)
		}
	}
	if err := reg.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	p, err := reg.Lookup(key22)
	if err != nil || p.Name != "onstage" || p.Rate != 5 || p.Burst != 10 || len(p.Departments) != 3 {
		t.Errorf("Lookup: %+v %v", p, err)
	}
	if p, err := reg.Lookup(keyAll); err != nil || p.Departments != nil || p.Burst != 80 {
		t.Errorf("Lookup of an unscoped key: %+v %v", p, err)
	}
	if _, err := reg.Lookup(key22 + "x"); codeOf(err) != stageindex.CodeInvalidKey {
		t.Errorf("wrong key: %v", err)
	}
	// Expiry is checked at each lookup.
	reg.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	if _, err := reg.Lookup(keyAll); codeOf(err) != stageindex.CodeExpiredKey {
		t.Errorf("expired key: %v", err)
	}
	reg.now = time.Now
	// Revocation shows at the next refresh.
	if err := s.Revoke(ctx, "onstage"); err != nil {
		t.Fatal(err)
	}
	if err := s.Revoke(ctx, "onstage"); stageindex.ErrorCodeOf(err) != stageindex.ENOTFOUND {
		t.Errorf("second revoke: %v", err)
	}
	if err := s.Revoke(ctx, "nobody"); stageindex.ErrorCodeOf(err) != stageindex.ENOTFOUND {
		t.Errorf("revoke of an unknown name: %v", err)
	}
	if _, err := reg.Lookup(key22); err != nil {
		t.Errorf("before the refresh the revoked key still works from memory: %v", err)
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go reg.Run(runCtx, 20*time.Millisecond, nil)
	deadline := time.Now().Add(5 * time.Second)
	for codeOf(func() error { _, err := reg.Lookup(key22); return err }()) != stageindex.CodeRevokedKey {
		if time.Now().After(deadline) {
			t.Fatal("the revoked key still works after 5 s of refreshes")
		}
		time.Sleep(10 * time.Millisecond)
	}
	ks, err := s.List(ctx)
	if err != nil || len(ks) != 2 || ks[0].Name != "national" || ks[1].RevokedAt.IsZero() || ks[1].Active(time.Now()) {
		t.Errorf("List: %+v %v", ks, err)
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2027-06-30", time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC), true},
		{"2027-06-30T12:00:00+02:00", time.Date(2027, 6, 30, 10, 0, 0, 0, time.UTC), true},
		{"30/06/2027", time.Time{}, false},
	}
	for _, tc := range tests {
		got, err := ParseDate(tc.in)
		if (err == nil) != tc.ok || !got.Equal(tc.want) {
			t.Errorf("ParseDate(%q) = %v, %v", tc.in, got, err)
		}
	}
}

func asErr(err error, target **stageindex.Error) bool { return errors.As(err, target) }
