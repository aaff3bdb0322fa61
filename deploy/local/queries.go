package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// query is one search of the mix, in the format of the shared benchmark
// queries (../shared/bench/queries-1k.jsonl): what a pupil typed, where,
// how far, which track.
type query struct {
	Q        string  `json:"q"`
	Lat      float64 `json:"lat"`
	Lng      float64 `json:"lng"`
	RadiusKm float64 `json:"radius_km"`
	Track    *string `json:"track"`
}

// path is the query as a request to the public API, 30 hits a page (as
// the benchmarks do).
func (q query) path() string {
	v := url.Values{}
	if q.Q != "" {
		v.Set("q", q.Q)
	}
	v.Set("lat", strconv.FormatFloat(q.Lat, 'f', -1, 64))
	v.Set("lng", strconv.FormatFloat(q.Lng, 'f', -1, 64))
	v.Set("radius_km", strconv.FormatFloat(q.RadiusKm, 'f', -1, 64))
	if q.Track != nil {
		v.Set("track", *q.Track)
	}
	v.Set("per_page", "30")
	return "/api/v1/offers?" + v.Encode()
}

// readQueries reads a query mix, one JSON object per line.
func readQueries(path string) ([]query, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseQueries(f)
}

func parseQueries(r io.Reader) ([]query, error) {
	var qs []query
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var q query
		if err := json.Unmarshal([]byte(line), &q); err != nil {
			return nil, fmt.Errorf("queries: line %d: %w", n, err)
		}
		if q.RadiusKm <= 0 || q.RadiusKm > 60 || q.Lat < -90 || q.Lat > 90 || q.Lng < -180 || q.Lng > 180 {
			return nil, fmt.Errorf("queries: line %d: coordinates or radius out of range", n)
		}
		qs = append(qs, q)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	if len(qs) == 0 {
		return nil, fmt.Errorf("queries: none in the file")
	}
	return qs, nil
}

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
		qq := query{Lat: lat, Lng: lng, RadiusKm: radii[i%len(radii)]}
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
