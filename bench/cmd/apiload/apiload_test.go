package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPeak(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		at   []time.Duration
		want int
	}{
		{nil, 0},
		{[]time.Duration{0}, 1},
		{[]time.Duration{0, 500 * ms, 999 * ms, 1000 * ms}, 3},
		{[]time.Duration{0, 2000 * ms, 2100 * ms, 2200 * ms, 3500 * ms}, 3},
	}
	for _, tc := range tests {
		var calls []call
		for _, a := range tc.at {
			calls = append(calls, call{at: a})
		}
		if got := peak(calls, time.Second); got != tc.want {
			t.Errorf("peak(%v) = %d, want %d", tc.at, got, tc.want)
		}
	}
}

func TestReadQueries(t *testing.T) {
	f := filepath.Join(t.TempDir(), "q.jsonl")
	os.WriteFile(f, []byte(`{"q": "hôtel", "lat": 47.67, "lng": -2.57, "radius_km": 10, "track": null}
{"q": "", "lat": 48.85, "lng": 2.35, "radius_km": 60, "track": "segpa"}
`), 0o644)
	paths, err := readQueries(f)
	if err != nil || len(paths) != 2 {
		t.Fatalf("%v %v", paths, err)
	}
	if !strings.Contains(paths[0], "q=h%C3%B4tel") || !strings.Contains(paths[0], "lng=-2.57") || !strings.Contains(paths[1], "track=segpa") || strings.Contains(paths[1], "q=") {
		t.Errorf("paths %v", paths)
	}
}
