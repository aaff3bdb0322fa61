// Package changestream writes a steady stream of changes to the offers
// table, the mix a live platform makes: edits, moves between départements,
// unpublish and republish, deletes and re-inserts. The crash test and the
// sync-lag benchmark drive stageindex with it.
package changestream

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Places are where offers move between: four départements, so that a move
// changes an offer's text shard.
var Places = []struct {
	Dept, Zip, City string
	Lat, Lng        float64
}{
	{"22", "22000", "Saint-Brieuc", 48.5151, -2.7684},
	{"29", "29200", "Brest", 48.3904, -4.4861},
	{"35", "35000", "Rennes", 48.1173, -1.6778},
	{"56", "56000", "Vannes", 47.6582, -2.7608},
}

// tick is how often the writer commits a batch.
const tick = 20 * time.Millisecond

// Commit is one committed transaction of the stream.
type Commit struct {
	TxID    uint64    // pg_current_xact_id() of the transaction
	At      time.Time // when COMMIT returned
	Changes int       // offers written (a re-insert of a present id or a delete of an absent one counts too)
	// Probe is the probe's title token written in this transaction, 0 if
	// none.
	Probe int64
}

// Writer changes random offers among IDs at Rate changes per second while
// it is resumed, in one transaction per 20 ms tick. It keeps the rate over
// time: a slow commit makes the next batches larger (up to a tenth of a
// second's worth) rather than lowering the rate.
type Writer struct {
	Pool *pgxpool.Pool
	IDs  []string // the offers it changes (and deletes and re-inserts)
	Rate int      // changes per second
	Rand *rand.Rand
	// ProbeID, when set, is an offer (not among IDs) whose title gets a new
	// token ("sonde <n>", n counting from 1) every ProbeEvery, inside a
	// batch of the stream; the token counts as one change.
	ProbeID    string
	ProbeEvery time.Duration
	// OnCommit, when set, is called after every commit, in the writer's
	// goroutine.
	OnCommit func(Commit)

	changes atomic.Int64

	mu      sync.Mutex
	running bool
	idle    chan struct{} // closed when a pause has taken effect
}

// Changes returns how many changes have been committed.
func (w *Writer) Changes() int64 { return w.changes.Load() }

// Resume starts (or restarts) the writes.
func (w *Writer) Resume() {
	w.mu.Lock()
	w.running = true
	w.mu.Unlock()
}

// Pause stops the writes and returns once the last one has committed.
func (w *Writer) Pause() time.Time {
	w.mu.Lock()
	w.running = false
	idle := make(chan struct{})
	w.idle = idle
	w.mu.Unlock()
	<-idle
	return time.Now()
}

// Run writes while resumed until ctx is done, then returns nil, or the
// first error of a write.
func (w *Writer) Run(ctx context.Context) error {
	t := time.NewTicker(tick)
	defer t.Stop()
	var (
		since  time.Time // start of the current running stretch
		done   int64     // changes written in it
		probes int64
		nextP  time.Time
	)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		w.mu.Lock()
		running, idle := w.running, w.idle
		if !running && idle != nil {
			close(idle)
			w.idle = nil
		}
		w.mu.Unlock()
		if !running {
			since = time.Time{}
			continue
		}
		now := time.Now()
		if since.IsZero() {
			since, done, nextP = now, 0, now
		}
		due := int64(now.Sub(since).Seconds()*float64(w.Rate)) - done
		due = min(max(due, 1), int64(max(1, w.Rate/10)))
		probe := int64(0)
		if w.ProbeID != "" && !now.Before(nextP) {
			probes++
			probe, nextP = probes, now.Add(w.ProbeEvery)
		}
		c, err := w.batch(ctx, int(due), probe)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("changestream: %w", err)
		}
		done += int64(c.Changes)
		w.changes.Add(int64(c.Changes))
		if w.OnCommit != nil {
			w.OnCommit(c)
		}
	}
}

// batch writes n changes to distinct offers in one transaction: 55%
// edits, 15% moves, 15% unpublish/republish, 5% deletes, 10% re-inserts
// (of a deleted id), the probe's token counting as one of them. Each kind
// is one statement over its ids, so that PostgreSQL keeps the rate on a
// loaded machine.
func (w *Writer) batch(ctx context.Context, n int, probe int64) (Commit, error) {
	c := Commit{Changes: n, Probe: probe}
	var b pgx.Batch
	b.Queue(`SELECT pg_current_xact_id()::text::bigint`).QueryRow(func(r pgx.Row) error { return r.Scan(&c.TxID) })
	if probe > 0 {
		b.Queue(`UPDATE offers SET title = $2 WHERE id = $1`, w.ProbeID, "Stage sonde "+strconv.FormatInt(probe, 10))
		n--
	}
	var edits, titles, publish, deletes, inserts []string
	moves := make([][]string, len(Places))
	seen := make(map[string]bool, n)
	for range min(n, len(w.IDs)) {
		id := w.IDs[w.Rand.IntN(len(w.IDs))]
		for seen[id] {
			id = w.IDs[w.Rand.IntN(len(w.IDs))]
		}
		seen[id] = true
		switch r := w.Rand.IntN(100); {
		case r < 55:
			edits, titles = append(edits, id), append(titles, "Stage "+strconv.Itoa(w.Rand.Int()))
		case r < 70:
			p := w.Rand.IntN(len(Places))
			moves[p] = append(moves[p], id)
		case r < 85:
			publish = append(publish, id)
		case r < 90:
			deletes = append(deletes, id)
		default:
			inserts = append(inserts, id)
		}
	}
	if len(edits) > 0 {
		b.Queue(`UPDATE offers o SET title = v.title FROM unnest($1::text[], $2::text[]) AS v(id, title) WHERE o.id = v.id`, edits, titles)
	}
	for i, ids := range moves {
		if len(ids) > 0 {
			p := Places[i]
			b.Queue(`UPDATE offers SET department = $2, zipcode = $3, city = $4, latitude = $5, longitude = $6 WHERE id = ANY($1)`,
				ids, p.Dept, p.Zip, p.City, p.Lat, p.Lng)
		}
	}
	if len(publish) > 0 {
		b.Queue(`UPDATE offers SET published_at = CASE WHEN published_at IS NULL THEN now() - interval '1 day' END WHERE id = ANY($1)`, publish)
	}
	if len(deletes) > 0 {
		b.Queue(`DELETE FROM offers WHERE id = ANY($1)`, deletes)
	}
	if len(inserts) > 0 {
		b.Queue(`INSERT INTO offers (id, title, description, employer_name, tracks, zipcode, city, department,
				latitude, longitude, weeks, published_at)
			SELECT id, 'Stage revenu', 'De retour', 'Employeur', '{generale}', '35000', 'Rennes', '35',
				48.1173, -1.6778, '{2030-W11}', now() - interval '1 hour'
			FROM unnest($1::text[]) AS id
			ON CONFLICT (id) DO NOTHING`, inserts)
	}
	tx, err := w.Pool.Begin(ctx)
	if err != nil {
		return c, err
	}
	defer tx.Rollback(ctx)
	// One round trip for the whole batch.
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return c, err
	}
	if err := tx.Commit(ctx); err != nil {
		return c, err
	}
	c.At = time.Now()
	return c, nil
}
