package migrations_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stageindex/stageindex/migrations"
)

func migrated(t *testing.T) *pgx.Conn {
	t.Helper()
	conn := connect(t)
	if err := migrations.Migrate(context.Background(), conn, migrations.DefaultSchema); err != nil {
		t.Fatal(err)
	}
	return conn
}

// insertOffer is a valid offer row; each case of TestConstraints breaks it
// through one column.
const insertOffer = `INSERT INTO offers (id, title, description, employer_name, tracks,
	remote, zipcode, department, latitude, longitude, weeks, max_candidates, url)
	VALUES ($1, 'Stage', 'Une semaine', 'Mairie', $2, $3, $4, $5, $6, $7, $8, $9, $10)`

type row struct {
	id         string
	tracks     []string
	remote     bool
	zipcode    *string
	department *string
	lat, lng   *float64
	weeks      []string
	max        int
	url        *string
}

func ptr[T any](v T) *T { return &v }

func valid() row {
	return row{id: "ok-1", tracks: []string{"generale"}, zipcode: ptr("22000"),
		department: ptr("22"), lat: ptr(48.5), lng: ptr(-2.7),
		weeks: []string{"2026-W53"}, max: 1, url: ptr("https://example.org/a")}
}

func TestConstraints(t *testing.T) {
	ctx := context.Background()
	conn := migrated(t)
	cases := []struct {
		name   string
		change func(*row)
		ok     bool
	}{
		{"valid", func(*row) {}, true},
		{"remote without coordinates", func(r *row) { r.remote, r.lat, r.lng = true, nil, nil }, true},
		{"corsica", func(r *row) { r.department = ptr("2A") }, true},
		{"overseas", func(r *row) { r.department = ptr("974") }, true},
		{"no weeks", func(r *row) { r.weeks = []string{} }, true},
		{"latitude 91", func(r *row) { r.lat = ptr(91.0) }, false},
		{"longitude -181", func(r *row) { r.lng = ptr(-181.0) }, false},
		{"latitude without longitude", func(r *row) { r.lng = nil }, false},
		{"not remote without coordinates", func(r *row) { r.lat, r.lng = nil, nil }, false},
		{"empty tracks", func(r *row) { r.tracks = []string{} }, false},
		{"null tracks", func(r *row) { r.tracks = nil }, false},
		{"unknown track", func(r *row) { r.tracks = []string{"generale", "lycee"} }, false},
		{"empty track name", func(r *row) { r.tracks = []string{"generale", ""} }, false},
		{"week 54", func(r *row) { r.weeks = []string{"2026-W54"} }, false},
		{"week without W", func(r *row) { r.weeks = []string{"2026-53"} }, false},
		{"week 0", func(r *row) { r.weeks = []string{"2026-W00"} }, false},
		{"4-digit zipcode", func(r *row) { r.zipcode = ptr("2200") }, false},
		{"department 20", func(r *row) { r.department = ptr("20") }, false},
		{"department 96", func(r *row) { r.department = ptr("96") }, false},
		{"max_candidates 0", func(r *row) { r.max = 0 }, false},
		{"id with slash", func(r *row) { r.id = "a/b" }, false},
		{"empty id", func(r *row) { r.id = "" }, false},
		{"ftp url", func(r *row) { r.url = ptr("ftp://example.org") }, false},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := valid()
			r.id = r.id + string(rune('a'+i))
			c.change(&r)
			_, err := conn.Exec(ctx, insertOffer, r.id, r.tracks, r.remote, r.zipcode,
				r.department, r.lat, r.lng, r.weeks, r.max, r.url)
			var pgErr *pgconn.PgError
			switch {
			case c.ok && err != nil:
				t.Errorf("insert failed: %v", err)
			case !c.ok && err == nil:
				t.Error("impossible row was accepted")
			case !c.ok && (!errors.As(err, &pgErr) || pgErr.Code[:2] != "23"):
				t.Errorf("error %v is not an integrity constraint violation", err)
			}
		})
	}
}

func TestUpdateBumpsVersionUnlessNothingChanged(t *testing.T) {
	ctx := context.Background()
	conn := migrated(t)
	r := valid()
	if _, err := conn.Exec(ctx, insertOffer, r.id, r.tracks, r.remote, r.zipcode,
		r.department, r.lat, r.lng, r.weeks, r.max, r.url); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name, sql   string
		wantVersion int64
	}{
		{"no-op update", `UPDATE offers SET title = title`, 1},
		{"real update", `UPDATE offers SET title = 'Stage modifié'`, 2},
		{"version cannot be forced", `UPDATE offers SET title = 'Autre', version = 100, created_at = 'epoch'`, 3},
	}
	for _, s := range steps {
		if _, err := conn.Exec(ctx, s.sql); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		var v int64
		var created, updated time.Time
		if err := conn.QueryRow(ctx, `SELECT version, created_at, updated_at FROM offers`).Scan(&v, &created, &updated); err != nil {
			t.Fatal(err)
		}
		if v != s.wantVersion {
			t.Errorf("%s: version %d, want %d", s.name, v, s.wantVersion)
		}
		if created.Year() < 2000 || updated.Before(created) {
			t.Errorf("%s: created_at %v, updated_at %v", s.name, created, updated)
		}
	}
}
