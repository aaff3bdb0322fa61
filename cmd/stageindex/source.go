package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/stageindex/stageindex/indexer/source"
	"github.com/stageindex/stageindex/migrations"
)

// sourceCommand runs source install (or uninstall) and prints what it did
// on stdout, the SQL too with --dry-run.
func sourceCommand(ctx context.Context, cfg config, install bool, logger *slog.Logger) (int, error) {
	verb := map[bool]string{true: "install", false: "uninstall"}[install]
	if cfg.databaseURL == "" {
		return 2, fmt.Errorf("source %s needs DATABASE_URL", verb)
	}
	if cfg.view == "" {
		return 2, fmt.Errorf("source %s needs --view SCHEMA.VIEW (or STAGEINDEX_SOURCE)", verb)
	}
	if install && len(cfg.watches) == 0 {
		return 2, errors.New("source install needs a --watch TABLE=ID_SQL for every table the view reads")
	}
	pcfg, err := migrations.PoolConfig(cfg.databaseURL, cfg.schema)
	if err != nil {
		return 2, err
	}
	conn, err := pgx.ConnectConfig(ctx, pcfg.ConnConfig)
	if err != nil {
		return 1, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := migrations.Check(ctx, conn, cfg.schema); err != nil {
		return 1, err
	}
	opt := source.Options{Schema: cfg.schema, DryRun: cfg.dryRun}
	var rep source.Report
	if install {
		rep, err = source.Install(ctx, conn, source.Spec{View: cfg.view, Watches: cfg.watches}, opt)
	} else {
		rep, err = source.Uninstall(ctx, conn, cfg.view, opt)
	}
	if err != nil {
		return 1, err
	}
	for _, w := range rep.Warnings {
		logger.Warn("source "+verb, "view", rep.View, "warning", w)
	}
	var b strings.Builder
	switch {
	case cfg.dryRun && rep.Changed:
		fmt.Fprintf(&b, "dry run: %s would run, for %s:\n\n%s;\n", verb, rep.View, strings.Join(rep.SQL, ";\n\n"))
	case !rep.Changed && install:
		fmt.Fprintf(&b, "change capture for %s is already installed as asked: nothing changed\n", rep.View)
	case !rep.Changed:
		views, _ := source.Installed(ctx, conn, opt)
		fmt.Fprintf(&b, "nothing is installed for %s (installed: %s): nothing changed\n", rep.View, orNone(views))
	case install:
		fmt.Fprintf(&b, "installed change capture for %s:\n", rep.View)
	default:
		fmt.Fprintf(&b, "removed change capture for %s:\n", rep.View)
	}
	if !cfg.dryRun || !rep.Changed {
		for _, t := range rep.Tables {
			fmt.Fprintf(&b, "  %s  ids %s", t.Name, t.IDSQL)
			if install {
				fmt.Fprintf(&b, "  (an update is recorded when it changes %s)", orNone(t.Compared))
			}
			fmt.Fprintf(&b, "  triggers %s, function %s\n", strings.Join(t.Triggers, ", "), t.Function)
		}
	}
	fmt.Print(b.String())
	logger.Info("source "+verb+" done", "view", rep.View, "changed", rep.Changed, "tables", len(rep.Tables), "dry_run", cfg.dryRun)
	return 0, nil
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}
