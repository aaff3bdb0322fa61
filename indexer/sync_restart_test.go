package indexer_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stageindex/stageindex/indexer"
	"github.com/stageindex/stageindex/internal/pgtest"
	"github.com/stageindex/stageindex/internal/testdb"
)

// storeOn migrates the database at dsn and returns a Store on it.
func storeOn(t *testing.T, dsn string) (*indexer.Store, *pgxpool.Pool) {
	t.Helper()
	pool := testdb.On(t, dsn)
	return indexer.NewStore(pool), pool
}

// putMany writes n offers id-prefix-0000… in one statement, changing the
// title of those already there.
func putMany(t *testing.T, pool *pgxpool.Pool, prefix string, n int) {
	t.Helper()
	_, err := pool.Exec(context.Background(), `INSERT INTO offers (id, title, description, employer_name, tracks,
			department, latitude, longitude, weeks, published_at)
		SELECT $1 || lpad(i::text, 5, '0'), 'Offre ' || i, 'Découverte', 'Employeur', '{generale}', '22',
			48.5, -2.76, '{2030-W10}', '2026-01-01T00:00:00Z'
		FROM generate_series(1, $2) AS i
		ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title || ' (maj)'`, prefix, n)
	if err != nil {
		t.Fatal(err)
	}
}

// TestSyncSurvivesPostgresRestart stops PostgreSQL right after a bulk
// write: searches keep answering from the index, the status says the sync
// is disconnected, and once the server is back the index catches up.
func TestSyncSurvivesPostgresRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own PostgreSQL cluster")
	}
	ctx := context.Background()
	cluster := pgtest.NewCluster(t)
	st, pool := storeOn(t, cluster.CreateDB(t))
	putMany(t, pool, "a-", 100)
	r := startSyncer(t, st, indexer.SyncConfig{PollInterval: 200 * time.Millisecond, MaxBackoff: time.Second})
	waitConverged(t, st, r.live, 30*time.Second)

	putMany(t, pool, "b-", 2000) // the sync may be reading it as the server stops
	if err := cluster.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "a disconnected status", func() bool { return !r.s.Status().Connected })
	if _, ok := r.live.Get("a-00001"); !ok || !r.live.Ready() {
		t.Error("the index stopped answering while PostgreSQL is down")
	}
	time.Sleep(1500 * time.Millisecond) // a few failed retries
	status := r.s.Status()
	if status.LastError == "" || status.Lag < time.Second || !status.Ready {
		t.Errorf("status while down = %+v; want ready, an error and a lag", status)
	}

	if err := cluster.Start(ctx); err != nil {
		t.Fatal(err)
	}
	putMany(t, pool, "c-", 100)
	deleteOffer(t, pool, "a-00002")
	waitConverged(t, st, r.live, 30*time.Second)
	waitFor(t, 10*time.Second, "a connected status", func() bool { return r.s.Status().Connected })
	if got := r.live.Current().Len(); got != 100+2000+100-1 {
		t.Errorf("index holds %d offers, want %d", got, 2199)
	}
}
