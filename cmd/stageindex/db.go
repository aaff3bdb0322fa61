package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/jackc/pgx/v5"

	"github.com/stageindex/stageindex/indexer/importer"
	"github.com/stageindex/stageindex/migrations"
)

func migrate(ctx context.Context, cfg config, logger *slog.Logger) error {
	if cfg.databaseURL == "" {
		return errors.New("migrate needs DATABASE_URL")
	}
	pcfg, err := migrations.PoolConfig(cfg.databaseURL, cfg.schema)
	if err != nil {
		return err
	}
	conn, err := pgx.ConnectConfig(ctx, pcfg.ConnConfig)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.Background())
	if err := migrations.Migrate(ctx, conn, cfg.schema); err != nil {
		return err
	}
	cur, _, err := migrations.Status(ctx, conn, cfg.schema)
	if err != nil {
		return err
	}
	logger.Info("database migrated", "schema", cfg.schema, "version", cur)
	return nil
}

// importFile prints the report as JSON on stdout and each rejected line on
// stderr. It exits 3 when some lines were rejected, so that scripts notice.
func importFile(ctx context.Context, cfg config, path string, logger *slog.Logger) (int, error) {
	if cfg.databaseURL == "" {
		return 2, errors.New("import needs DATABASE_URL")
	}
	pool, err := connectPool(ctx, cfg.databaseURL, cfg.schema)
	if err != nil {
		return 1, err
	}
	defer pool.Close()
	// Before reading a line: a database never migrated would otherwise
	// read the whole file only to fail on a missing table.
	if err := checkSchema(ctx, pool, cfg.schema); err != nil {
		return 1, err
	}
	in, err := importer.OpenInput(path)
	if err != nil {
		return 1, err
	}
	defer in.Close()
	rep, err := importer.New(pool).Import(ctx, in, importer.Options{})
	for _, r := range rep.Rejections {
		fmt.Fprintf(os.Stderr, "line %d: rejected %s: %s\n", r.Line, r.ID, r.Reason)
	}
	if rep.Rejected > len(rep.Rejections) {
		fmt.Fprintf(os.Stderr, "... and %d more rejected lines\n", rep.Rejected-len(rep.Rejections))
	}
	summary := rep
	summary.Rejections = nil
	out, _ := json.Marshal(summary)
	fmt.Println(string(out))
	logger.Info("import done", "read", rep.Read, "inserted", rep.Inserted, "updated", rep.Updated,
		"unchanged", rep.Unchanged, "rejected", rep.Rejected, "seconds", rep.Elapsed.Seconds())
	if err != nil {
		return 1, err
	}
	if rep.Rejected > 0 {
		return 3, nil
	}
	return 0, nil
}
