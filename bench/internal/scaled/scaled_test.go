package scaled

import (
	"bufio"
	"bytes"
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stageindex/stageindex"
)

func TestJitter(t *testing.T) {
	line := []byte(`{"id": "a-1", "title": "Boulangerie", "description": "Pain", "employer_name": "Dupain", "tracks": ["generale"], "latitude": 48.85, "longitude": 2.35, "zipcode": "75001", "city": "Paris", "weeks": ["2027-W05"], "published_at": "2026-09-01T08:00:00Z", "x_metier": "boulanger"}`)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		out, err := Jitter(line, 3, rng)
		if err != nil {
			t.Fatal(err)
		}
		o, err := stageindex.ParseOffer(out)
		if err != nil {
			t.Fatalf("jittered line does not parse: %v\n%s", err, out)
		}
		if o.ID != "a-1-j3" || o.Title != "Boulangerie" || o.PublishedAt == nil {
			t.Fatalf("jittered offer %+v", o)
		}
		dNorth, dEast := (*o.Latitude-48.85)*111.2, (*o.Longitude-2.35)*111.2*0.6578
		if dNorth < -2.01 || dNorth > 2.01 || dEast < -2.01 || dEast > 2.01 {
			t.Fatalf("moved %.2f km north, %.2f km east", dNorth, dEast)
		}
	}
	if _, err := Jitter([]byte(`{"id": ""}`), 1, rng); err == nil {
		t.Error("invalid offer jittered")
	}
}

func TestWriteCorpusScale(t *testing.T) {
	path := "../../../internal/demo/offers.jsonl.gz"
	cases := []struct {
		name  string
		scale int
	}{
		{"fewer than the file", 3},
		{"copies", 0}, // set below to 2.5 times the file
	}
	var base int
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			scale := tc.scale
			if scale == 0 {
				var buf bytes.Buffer
				if err := Write(context.Background(), &buf, path, 0); err != nil {
					t.Fatal(err)
				}
				base = bytes.Count(buf.Bytes(), []byte("\n"))
				scale = base*2 + base/2
			}
			var buf bytes.Buffer
			if err := Write(context.Background(), &buf, path, scale); err != nil {
				t.Fatal(err)
			}
			ids := map[string]bool{}
			sc := bufio.NewScanner(&buf)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				o, err := stageindex.ParseOffer(sc.Bytes())
				if err != nil {
					t.Fatal(err)
				}
				if ids[o.ID] {
					t.Fatalf("id %s twice", o.ID)
				}
				ids[o.ID] = true
			}
			if len(ids) != scale {
				t.Errorf("%d offers, want %d", len(ids), scale)
			}
		})
	}
}
