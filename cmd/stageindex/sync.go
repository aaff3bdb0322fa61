package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/stageindex/stageindex/api"
	"github.com/stageindex/stageindex/indexer"
	"github.com/stageindex/stageindex/search"
)

// runningSync is the database mode's Syncer with its schedule.
type runningSync struct {
	s    *indexer.Syncer
	done chan struct{}
}

// startSync starts the Syncer (which reopens or builds the index), its
// cron schedule, and SIGHUP as the on-demand rebuild trigger. If the
// Syncer cannot run at all, it calls fail with the error.
func startSync(ctx context.Context, fail context.CancelCauseFunc, cfg config, st *indexer.Store, scfg search.Config, live *search.Live, logger *slog.Logger) (*runningSync, error) {
	s, err := indexer.NewSyncer(indexer.SyncConfig{
		Store: st, Live: live, Search: scfg, DataDir: cfg.dataDir,
		PollInterval: cfg.pollInterval, Logger: logger, ChangeRetention: cfg.changeRetention,
	})
	if err != nil {
		return nil, err
	}
	c, err := s.Schedule(indexer.Schedules{
		Reconcile: cfg.reconcileSchedule, Retire: cfg.retireSchedule, Rebuild: cfg.rebuildSchedule,
		Prune: cfg.pruneSchedule,
	})
	if err != nil {
		return nil, err
	}
	if cfg.dataDir == "" {
		logger.Warn("no --data-dir: the index lives in memory and every start rebuilds it")
	}
	r := &runningSync{s: s, done: make(chan struct{})}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer close(r.done)
		defer c.Stop()
		defer signal.Stop(hup)
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case <-hup:
					logger.Info("SIGHUP: rebuilding the index from the database")
					s.Rebuild()
				}
			}
		}()
		if err := s.Run(ctx); err != nil {
			fail(err)
		}
	}()
	return r, nil
}

// wait returns once the Syncer has stopped (ctx done).
func (r *runningSync) wait() { <-r.done }

// status adapts the Syncer's state to the API's, which must not import
// indexer.
func (r *runningSync) status() api.Status {
	ss := r.s.Status()
	return api.Status{
		Mode: "database", Offers: ss.Offers, Connected: ss.Connected,
		LastSync: ss.LastSync, LagSeconds: ss.Lag.Seconds(),
		ChangesApplied: ss.ChangesApplied, LastError: ss.LastError,
		RebuildSeconds: ss.LastRebuild.Seconds(),
		Source:         ss.Source, InvalidRows: ss.Skips.Invalid, RowsSkipped: ss.Skips.Total,
		CatchingUp: ss.CatchingUp,
	}
}
