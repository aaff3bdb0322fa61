package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/stageindex/stageindex/geo"
	"github.com/stageindex/stageindex/indexer"
	"github.com/stageindex/stageindex/search"
)

// verify prints, as JSON on stdout, how the index of --data-dir differs
// from the database, and exits 4 when it does (0 when equal).
func verify(ctx context.Context, cfg config) (int, error) {
	if cfg.databaseURL == "" || cfg.dataDir == "" {
		return 2, errors.New("verify needs DATABASE_URL and --data-dir")
	}
	unlock, err := indexer.LockDataDir(cfg.dataDir)
	if err != nil {
		return 1, err
	}
	defer unlock()
	pool, err := connectPool(ctx, cfg.databaseURL, cfg.schema)
	if err != nil {
		return 1, err
	}
	defer pool.Close()
	if err := checkSchema(ctx, pool, cfg.schema); err != nil {
		return 1, err
	}
	st := indexer.NewStore(pool)
	if cfg.source != "" {
		if st, err = indexer.NewViewStore(pool, cfg.source, nil); err != nil {
			return 1, err
		}
	}
	gaz, err := geo.LoadGazetteer()
	if err != nil {
		return 1, err
	}
	rep, err := indexer.VerifyDataDir(ctx, st, search.Config{CommuneOf: gaz.CommuneOf}, cfg.dataDir)
	if err != nil {
		return 1, err
	}
	out, _ := json.MarshalIndent(rep, "", "  ")
	fmt.Fprintln(os.Stdout, string(out))
	if !rep.OK() {
		return 4, nil
	}
	return 0, nil
}
