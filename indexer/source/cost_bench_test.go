package source_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stageindex/stageindex/indexer/source"
	"github.com/stageindex/stageindex/internal/monstage"
	"github.com/stageindex/stageindex/internal/testdb"
)

// BenchmarkTriggerCost measures what the triggers of source install cost
// the platform's writes: two monstage databases of 10,000 offers on the
// same server, one with the triggers and one without, and each update run
// on both in turn, so that the load of the machine weighs on both alike.
// It reports the median of each, in ms, and the overhead:
//
//	go test -run '^$' -bench TriggerCost -benchtime 1x ./indexer/source/
func BenchmarkTriggerCost(b *testing.B) {
	ctx := context.Background()
	plain, with := monstageDB(b, false), monstageDB(b, true)
	// Each run changes the title (it flips a trailing mark), so that no
	// update is a no-op.
	const flip = `title = CASE WHEN title LIKE '%·' THEN left(title, -1) ELSE title || '·' END, updated_at = now()`
	cases := []struct {
		name    string
		sql     string
		samples int
	}{
		{"one row", `UPDATE internship_offers SET ` + flip + ` WHERE id = 4242`, 300},
		{"10000 rows", `UPDATE internship_offers SET ` + flip + ` WHERE id <= 10000`, 11},
		// A column the view does not read: compared, nothing recorded.
		{"10000 rows, counter only", `UPDATE internship_offers SET view_count = view_count + 1 WHERE id <= 10000`, 11},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				var a, t []time.Duration
				for i := range c.samples + 2 {
					da, dt := timeExec(b, plain, c.sql), timeExec(b, with, c.sql)
					if i >= 2 { // the first runs plan and compile
						a, t = append(a, da), append(t, dt)
					}
				}
				ma, mt := median(a), median(t)
				b.ReportMetric(float64(ma.Microseconds())/1000, "ms-without")
				b.ReportMetric(float64(mt.Microseconds())/1000, "ms-with")
				b.ReportMetric(100*(float64(mt)/float64(ma)-1), "%-overhead")
			}
			for _, conn := range []*pgx.Conn{plain, with} {
				if _, err := conn.Exec(ctx, `VACUUM internship_offers`); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// monstageDB returns a connection to a new monstage database of 10,000
// offers, with the triggers of source install or without.
func monstageDB(b *testing.B, triggers bool) *pgx.Conn {
	ctx := context.Background()
	pool, dsn := testdb.New(b)
	for _, sql := range []string{monstage.Schema, monstage.View} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			b.Fatal(err)
		}
		if sql == monstage.Schema {
			if err := monstage.Seed(ctx, pool, 10000); err != nil {
				b.Fatal(err)
			}
		}
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close(ctx) })
	if triggers {
		var watches []source.Watch
		for _, w := range monstage.Watches {
			pw, err := source.ParseWatch(w)
			if err != nil {
				b.Fatal(err)
			}
			watches = append(watches, pw)
		}
		if _, err := source.Install(ctx, conn, source.Spec{View: monstage.ViewName, Watches: watches}, source.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	return conn
}

func timeExec(b *testing.B, conn *pgx.Conn, sql string) time.Duration {
	start := time.Now()
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}
