package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/stageindex/stageindex/keys"
	"github.com/stageindex/stageindex/migrations"
)

// keysCommand runs stageindex keys create|list|revoke. create prints what
// it made, then the key alone on the last line of stdout: the only time
// it is shown (only its hash is stored).
func keysCommand(ctx context.Context, args []string, out io.Writer) (int, error) {
	const usage = `usage:
  stageindex keys create --name NAME [--rate N] [--burst N] [--departments 22,29] [--expires DATE]
  stageindex keys list
  stageindex keys revoke NAME

Partner keys are sent as Authorization: Bearer KEY; a key has its own rate
limit instead of its address's and, with --departments, only ever sees the
offers of those départements. serve reads them again every --keys-refresh.`
	if len(args) == 0 {
		return 2, errors.New(usage)
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("keys "+sub, flag.ContinueOnError)
	fs.SetOutput(os.Stdout)
	fs.Usage = func() { fmt.Fprintln(fs.Output(), usage+"\n\nflags:"); fs.PrintDefaults() }
	dbURL := fs.String("database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL (DATABASE_URL)")
	schema := fs.String("schema", envOr("STAGEINDEX_SCHEMA", migrations.DefaultSchema), "PostgreSQL schema of stageindex's own tables (STAGEINDEX_SCHEMA)")
	var name, departments, expires string
	var rate float64
	var burst int
	switch sub {
	case "create":
		fs.StringVar(&name, "name", "", "the partner's name: letters, digits, '.', '_', '-' (required)")
		fs.Float64Var(&rate, "rate", 100, "requests per second the key may make, sustained")
		fs.IntVar(&burst, "burst", 0, "requests the key may make at once (default twice the rate)")
		fs.StringVar(&departments, "departments", "", "comma-separated département codes the key may see (default all)")
		fs.StringVar(&expires, "expires", "", "last day the key works (2027-06-30, UTC) or an RFC 3339 time (default never)")
	case "list", "revoke":
	case "help", "-h", "--help":
		fmt.Fprintln(out, usage)
		return 0, nil
	default:
		return 2, fmt.Errorf("unknown keys command %q\n%s", sub, usage)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, nil
		}
		return 2, err
	}
	if *dbURL == "" {
		return 2, errors.New("keys needs DATABASE_URL: demo mode has no partner keys")
	}
	var n keys.New
	switch sub {
	case "create":
		if name == "" || fs.NArg() > 0 {
			return 2, errors.New("usage: stageindex keys create --name NAME [--rate N] [--burst N] [--departments 22,29] [--expires DATE]")
		}
		n = keys.New{Name: name, Rate: rate, Burst: burst}
		if departments != "" {
			n.Departments = strings.Split(departments, ",")
		}
		if expires != "" {
			t, err := keys.ParseDate(expires)
			if err != nil {
				return 2, err
			}
			n.ExpiresAt = t
		}
	case "revoke":
		if fs.NArg() != 1 {
			return 2, errors.New("usage: stageindex keys revoke NAME")
		}
	case "list":
		if fs.NArg() != 0 {
			return 2, errors.New("usage: stageindex keys list")
		}
	}
	pool, err := connectPool(ctx, *dbURL, *schema)
	if err != nil {
		return 1, err
	}
	defer pool.Close()
	if err := checkSchema(ctx, pool, *schema); err != nil {
		return 1, err
	}
	store := keys.NewStore(pool)
	switch sub {
	case "create":
		key, k, err := store.Create(ctx, n)
		if err != nil {
			return 1, err
		}
		scope := "every département"
		if k.Departments != nil {
			scope = "départements " + strings.Join(k.Departments, ", ")
		}
		fmt.Fprintf(out, "created key %q: %g requests/s, burst %d, %s, expires %s\n", k.Name, k.Rate, k.Burst, scope, expiry(k.ExpiresAt))
		fmt.Fprintln(out, "the key is shown once, now; only its hash is stored:")
		fmt.Fprintln(out, key)
	case "revoke":
		if err := store.Revoke(ctx, fs.Arg(0)); err != nil {
			return 1, err
		}
		fmt.Fprintf(out, "revoked key %q: refused by every server within its --keys-refresh\n", fs.Arg(0))
	case "list":
		ks, err := store.List(ctx)
		if err != nil {
			return 1, err
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tRATE\tBURST\tDEPARTMENTS\tCREATED\tEXPIRES\tSTATUS")
		now := time.Now()
		for _, k := range ks {
			status := "active"
			switch {
			case !k.RevokedAt.IsZero():
				status = "revoked " + k.RevokedAt.UTC().Format("2006-01-02")
			case !k.Active(now):
				status = "expired"
			}
			depts := "all"
			if k.Departments != nil {
				depts = strings.Join(k.Departments, ",")
			}
			fmt.Fprintf(tw, "%s\t%g\t%d\t%s\t%s\t%s\t%s\n", k.Name, k.Rate, k.Burst, depts, k.CreatedAt.UTC().Format("2006-01-02"), expiry(k.ExpiresAt), status)
		}
		if err := tw.Flush(); err != nil {
			return 1, err
		}
	}
	return 0, nil
}

func expiry(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}
