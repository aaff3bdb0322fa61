// Package demo embeds a sample of realistic offers (one in thirty of the
// shared benchmark corpus) so that `stageindex serve` without a database
// shows real results at once.
package demo

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"time"

	"github.com/stageindex/stageindex"
)

//go:embed offers.jsonl.gz
var offersGz []byte

// Offers returns the demo offers. Their weeks are moved forward by whole
// weeks, when needed, so that the first one starts next week: a demo must
// not go empty when the sample's school year is over.
func Offers(now time.Time) ([]stageindex.Offer, error) {
	zr, err := gzip.NewReader(bytes.NewReader(offersGz))
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	var out []stageindex.Offer
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var first time.Time
	for line := 1; sc.Scan(); line++ {
		o, err := stageindex.ParseOffer(sc.Bytes())
		if err != nil {
			return nil, fmt.Errorf("demo: line %d: %w", line, err)
		}
		for _, w := range o.Weeks {
			if mon, err := stageindex.ParseWeek(w); err == nil && (first.IsZero() || mon.Before(first)) {
				first = mon
			}
		}
		out = append(out, o)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	next := now.AddDate(0, 0, 7)
	if first.IsZero() || first.After(next) {
		return out, nil
	}
	shift := int(next.Sub(first).Hours()/24/7) + 1
	for i := range out {
		for j, w := range out[i].Weeks {
			mon, _ := stageindex.ParseWeek(w)
			out[i].Weeks[j] = stageindex.FormatWeek(mon.AddDate(0, 0, 7*shift))
		}
		if p := out[i].PublishedAt; p != nil && p.After(now) {
			t := now.Add(-24 * time.Hour)
			out[i].PublishedAt = &t
		}
	}
	return out, nil
}
