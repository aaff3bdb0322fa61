package main

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/stageindex/stageindex/bench/querymix"

	"github.com/jackc/pgx/v5"
)

// query is one search of the mix (querymix: the format of the shared
// benchmark queries, ../shared/bench/queries-1k.jsonl).
type query = querymix.Query

// perPage is the page size of every replayed search, the benchmarks'.
const perPage = 30

// queriesFromOffers makes n queries from the offers in the database, for
// a corpus without a query file: around an offer, a word of its title (or
// none, one query in three), radii from 5 to 60 km. The same database
// gives the same queries (setseed).
func queriesFromOffers(ctx context.Context, conn *pgx.Conn, n int) ([]query, error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT setseed(0.16)`); err != nil {
		return nil, err
	}
	const q = `SELECT title, latitude, longitude FROM offers
		WHERE latitude IS NOT NULL AND published_at IS NOT NULL
		ORDER BY random() LIMIT $1`
	rows, err := tx.Query(ctx, q, n)
	if err != nil {
		return nil, fmt.Errorf("queries from offers: %w", err)
	}
	defer rows.Close()
	radii := []float64{5, 10, 10, 20, 30, 60}
	var out []query
	for i := 0; rows.Next(); i++ {
		var title string
		var lat, lng float64
		if err := rows.Scan(&title, &lat, &lng); err != nil {
			return nil, err
		}
		qq := querymix.Around("", lat, lng, radii[i%len(radii)])
		if i%3 != 0 {
			qq.Q = titleWord(title)
		}
		out = append(out, qq)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queries from offers: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("queries from offers: no located, published offer")
	}
	return out, nil
}

// titleWord is the longest word of a title, a crude but typical keyword.
func titleWord(title string) string {
	best := ""
	for _, w := range strings.FieldsFunc(title, func(r rune) bool {
		return !(r == '-' || r == '\'' || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') || r > 127)
	}) {
		if utf8.RuneCountInString(w) > utf8.RuneCountInString(best) {
			best = w
		}
	}
	return strings.ToLower(best)
}
