// Command romecorpus builds eval/rome/offers.jsonl.gz, the evaluation
// corpus over ROME's breadth (docs/relevance.md): every offer text of
// eval/rome/texts.jsonl — written blind by helpers, 16 per job family, for
// 161 ROME fiches — placed four times, three near the evaluation's towns
// and one anywhere in France, on the real addresses of the benchmark
// corpus, with tracks, weeks and dates drawn from a fixed seed. The output
// is deterministic; commit it.
//
//	go run ./eval/cmd/romecorpus
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"time"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/eval"
	"github.com/stageindex/stageindex/geo"
)

type text struct {
	Rome                string `json:"x_rome"`
	Title               string `json:"title"`
	Description         string `json:"description"`
	EmployerName        string `json:"employer_name"`
	EmployerDescription string `json:"employer_description"`
	Sector              string `json:"sector"`
	IsPublic            bool   `json:"is_public"`
}

type address struct {
	zip, city, dept string
	lat, lng        float64
}

func main() {
	textsPath := flag.String("texts", "eval/rome/texts.jsonl", "offer texts")
	addrPath := flag.String("addresses", "../shared/bench/offers-100k.jsonl.gz", "corpus whose addresses are reused")
	placesPath := flag.String("places", "../shared/bench/queries-1k.jsonl", "visitor searches whose first towns are the evaluation's places")
	out := flag.String("out", "eval/rome/offers.jsonl.gz", "output")
	flag.Parse()
	if err := run(*textsPath, *addrPath, *placesPath, *out); err != nil {
		fmt.Fprintln(os.Stderr, "romecorpus:", err)
		os.Exit(1)
	}
}

func run(textsPath, addrPath, placesPath, out string) error {
	texts, err := readTexts(textsPath)
	if err != nil {
		return err
	}
	addrs, err := readAddresses(addrPath)
	if err != nil {
		return err
	}
	places, err := eval.LoadPlaces(placesPath, 10)
	if err != nil {
		return err
	}
	// The addresses within 25 km of each evaluation town.
	near := make([][]address, len(places))
	for i, p := range places {
		for _, a := range addrs {
			if geo.HaversineKm(p.Center.Lat, p.Center.Lng, a.lat, a.lng) <= 25 {
				near[i] = append(near[i], a)
			}
		}
		if len(near[i]) == 0 {
			return fmt.Errorf("no address near %s", p.Name)
		}
	}
	rng := rand.New(rand.NewPCG(2026, 11))
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	zw := gzip.NewWriter(f)
	w := bufio.NewWriter(zw)
	n := 0
	for i, t := range texts {
		for k := range 4 {
			var a address
			if k < 3 {
				town := near[rng.IntN(len(near))]
				a = town[rng.IntN(len(town))]
			} else {
				a = addrs[rng.IntN(len(addrs))]
			}
			o := offer(rng, fmt.Sprintf("rome-%04d-%d", i, k), t, a)
			if _, err := stageindex.ParseOffer(mustJSON(o)); err != nil {
				return fmt.Errorf("text %d (%s): %w", i+1, t.Rome, err)
			}
			line := map[string]any{}
			json.Unmarshal(mustJSON(o), &line)
			line["x_rome"] = t.Rome
			w.Write(mustJSON(line))
			w.WriteByte('\n')
			n++
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "romecorpus: %d offers from %d texts\n", n, len(texts))
	return f.Close()
}

func offer(rng *rand.Rand, id string, t text, a address) stageindex.Offer {
	lat, lng := a.lat, a.lng
	pub := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(80*24)) * time.Hour)
	tracks := []stageindex.Track{stageindex.TrackGenerale}
	if rng.IntN(5) == 0 {
		tracks = append(tracks, stageindex.TrackSEGPA)
	}
	if rng.IntN(8) == 0 {
		tracks = append(tracks, stageindex.TrackPrepaMetiers)
	}
	first := 2 + rng.IntN(20)
	weeks := []string{}
	for w := range 1 + rng.IntN(3) {
		weeks = append(weeks, fmt.Sprintf("2027-W%02d", first+2*w))
	}
	return stageindex.Offer{ID: id, Title: t.Title, Description: t.Description, EmployerName: t.EmployerName,
		EmployerDescription: t.EmployerDescription, Sector: t.Sector, Tracks: tracks, IsPublic: t.IsPublic,
		Zipcode: a.zip, City: a.city, Department: a.dept, Latitude: &lat, Longitude: &lng,
		Weeks: weeks, MaxCandidates: 1 + rng.IntN(3), PublishedAt: &pub}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func readTexts(path string) ([]text, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []text
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		var t text
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&t); err != nil || t.Rome == "" {
			return nil, fmt.Errorf("%s line %d: %v", path, n, err)
		}
		out = append(out, t)
	}
	return out, sc.Err()
}

func readAddresses(path string) ([]address, error) {
	c, err := eval.LoadCorpus(context.Background(), path)
	if err != nil {
		return nil, err
	}
	seen := map[address]bool{}
	var out []address
	for _, o := range c.Offers {
		if !o.HasLocation() || o.Zipcode == "" || o.Department == "" || o.Remote {
			continue
		}
		a := address{o.Zipcode, o.City, o.Department, *o.Latitude, *o.Longitude}
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(x, y address) int {
		if c := cmp.Compare(x.zip+x.city, y.zip+y.city); c != 0 {
			return c
		}
		return cmp.Compare(x.lat, y.lat)
	})
	return out, nil
}
