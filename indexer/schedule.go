package indexer

import (
	"context"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedules says when the Syncer's periodic passes run, in robfig/cron v3
// standard syntax: five fields ("15 3 * * *") or a descriptor ("@daily",
// "@every 10m"). An empty spec disables the pass.
type Schedules struct {
	Reconcile string // compare the whole index with the database
	Retire    string // drop offers whose weeks are all past
	Rebuild   string // full rebuild (usually empty: on demand only)
	Prune     string // delete change-log rows older than SyncConfig.ChangeRetention
	// Location is the time zone of the five-field specs; nil is time.Local.
	Location *time.Location
}

// Schedule starts a cron running the passes of sch and returns it; Stop it
// when done. A pass only queues a request for the sync loop, so a slow pass
// never piles up: requests pending are merged.
func (s *Syncer) Schedule(sch Schedules) (*cron.Cron, error) {
	loc := sch.Location
	if loc == nil {
		loc = time.Local
	}
	c := cron.New(cron.WithLocation(loc))
	for _, e := range []struct {
		name, spec string
		fn         func()
	}{
		{"reconcile", sch.Reconcile, s.Reconcile},
		{"retire", sch.Retire, s.Retire},
		{"rebuild", sch.Rebuild, s.Rebuild},
		{"prune", sch.Prune, func() { s.Prune(context.Background()) }},
	} {
		if e.spec == "" {
			continue
		}
		if _, err := c.AddFunc(e.spec, e.fn); err != nil {
			return nil, fmt.Errorf("indexer: %s schedule %q: %w", e.name, e.spec, err)
		}
	}
	c.Start()
	return c, nil
}
