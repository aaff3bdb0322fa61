package migrations_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stageindex/stageindex/migrations"
)

// change is one offer_changes row, as "op:offer_id".
func changesAfter(t *testing.T, conn *pgx.Conn, seq int64) ([]string, int64) {
	t.Helper()
	rows, err := conn.Query(context.Background(),
		`SELECT seq, op, offer_id FROM offer_changes WHERE seq > $1 ORDER BY seq`, seq)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var op, id string
		if err := rows.Scan(&seq, &op, &id); err != nil {
			t.Fatal(err)
		}
		out = append(out, op+":"+id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out, seq
}

func TestChangeCaptureAndNotify(t *testing.T) {
	ctx := context.Background()
	conn := migrated(t)
	lcfg, err := migrations.PoolConfig(conn.Config().ConnString(), migrations.DefaultSchema)
	if err != nil {
		t.Fatal(err)
	}
	listener, err := pgx.ConnectConfig(ctx, lcfg.ConnConfig)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { listener.Close(ctx) }()
	if _, err := listener.Exec(ctx, `LISTEN stageindex_offers`); err != nil {
		t.Fatal(err)
	}
	const values = `VALUES ('%s', 'Stage', 'Une semaine', 'Mairie', '{generale}'::text[], 48.5, -2.7)`
	ins := func(ids ...string) string {
		s := `INSERT INTO offers (id, title, description, employer_name, tracks, latitude, longitude) `
		for i, id := range ids {
			if i > 0 {
				s += " UNION ALL "
			}
			s += fmt.Sprintf(`SELECT * FROM (`+values+`) v`, id)
		}
		return s
	}
	// An upsert fires both the UPDATE and the INSERT statement triggers,
	// UPDATE first, so it writes two notifications.
	steps := []struct {
		name    string
		sql     string
		changes []string
		notify  []string
	}{
		{"bulk insert", ins("a", "b", "c"), []string{"I:a", "I:b", "I:c"}, []string{"*"}},
		{"single insert", ins("d"), []string{"I:d"}, []string{"d"}},
		{"update one", `UPDATE offers SET title = 'Nouveau' WHERE id = 'a'`, []string{"U:a"}, []string{"a"}},
		{"no-op update", `UPDATE offers SET title = title`, nil, nil},
		{"upsert unchanged", ins("b") + ` ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title
			WHERE offers.title IS DISTINCT FROM EXCLUDED.title`, nil, nil},
		{"upsert changed and new", ins("a", "e") + ` ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title`,
			[]string{"U:a", "I:e"}, []string{"a", "e"}},
		{"rename", `UPDATE offers SET id = 'z' WHERE id = 'c'`, []string{"U:z", "D:c"}, []string{"*"}},
		{"delete", `DELETE FROM offers WHERE id = 'b'`, []string{"D:b"}, []string{"b"}},
		{"truncate", `TRUNCATE offers`, []string{"T:"}, []string{"*"}},
	}
	var seq int64
	for _, s := range steps {
		var txid uint64
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, s.sql); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if err := tx.QueryRow(ctx, `SELECT pg_current_xact_id()::text::bigint`).Scan(&txid); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		var got []string
		got, seq = changesAfter(t, conn, seq)
		if !slices.Equal(got, s.changes) {
			t.Errorf("%s: changes %v, want %v", s.name, got, s.changes)
		}
		var wrongTx int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM offer_changes
			WHERE seq > $1::bigint - $2::bigint AND txid::text::bigint <> $3`, seq, len(got), txid).Scan(&wrongTx); err != nil {
			t.Fatal(err)
		}
		if wrongTx != 0 {
			t.Errorf("%s: %d change rows not stamped with the writing transaction %d", s.name, wrongTx, txid)
		}
		var notes []string
		for {
			// Notifications go out as the writer commits; a short wait
			// catches them all on this idle machine.
			wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
			n, err := listener.WaitForNotification(wctx)
			cancel()
			if err != nil {
				break
			}
			notes = append(notes, n.Payload)
		}
		if !slices.Equal(notes, s.notify) {
			t.Errorf("%s: notifications %q, want %q", s.name, notes, s.notify)
		}
		if listener.IsClosed() {
			t.Fatalf("%s: the listening connection closed", s.name)
		}
	}
}
