package eval

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/geo"
)

// Corpus is the benchmark corpus with its ground truth.
type Corpus struct {
	Offers []stageindex.Offer
	// Family maps an offer id to its x_metier family.
	Family map[string]string
	// Raw holds the lines as read, for systems that import them (PostgreSQL).
	Raw [][]byte
}

// LoadCorpus reads a JSON-lines corpus, gzipped when path ends in .gz.
// Offers ParseOffer rejects, or without x_metier, are an error: the
// benchmark corpus has none, and a silent skip would skew recall.
func LoadCorpus(ctx context.Context, path string) (*Corpus, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("eval: corpus: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("eval: corpus: %w", err)
		}
		defer gz.Close()
		r = gz
	}
	return ReadCorpus(ctx, r)
}

// ReadCorpus reads JSON lines of offers carrying an x_metier field.
func ReadCorpus(ctx context.Context, r io.Reader) (*Corpus, error) {
	c := &Corpus{Family: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for n := 1; sc.Scan(); n++ {
		if n%10000 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		line := sc.Bytes()
		if len(strings.TrimSpace(string(line))) == 0 {
			continue
		}
		o, err := stageindex.ParseOffer(line)
		if err != nil {
			return nil, fmt.Errorf("eval: corpus line %d: %w", n, err)
		}
		// The ground truth: x_metier (the benchmark corpus's 50 families)
		// or x_rome (the ROME fiche of eval/rome's corpus).
		var x struct {
			Metier string `json:"x_metier"`
			Rome   string `json:"x_rome"`
		}
		if err := json.Unmarshal(line, &x); err != nil || x.Metier == "" && x.Rome == "" {
			return nil, fmt.Errorf("eval: corpus line %d: no x_metier nor x_rome", n)
		}
		if x.Metier == "" {
			x.Metier = x.Rome
		}
		if _, dup := c.Family[o.ID]; dup {
			return nil, fmt.Errorf("eval: corpus line %d: duplicate id %q", n, o.ID)
		}
		c.Offers = append(c.Offers, o)
		c.Family[o.ID] = x.Metier
		c.Raw = append(c.Raw, append([]byte(nil), line...))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("eval: corpus: %w", err)
	}
	return c, nil
}

// Labels returns the distinct families of the corpus, sorted.
func (c *Corpus) Labels() []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range c.Family {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}

// Area is the ground truth of one place: the offers a search there must
// find, and their number per family.
type Area struct {
	In     map[string]bool
	Counts map[string]int
}

// Area returns the offers a search around center (nil: anywhere) must find
// at now: searchable, not remote (searches exclude remote offers by
// default) and, with a center, located within radiusKm.
func (c *Corpus) Area(center *stageindex.LatLng, radiusKm float64, now time.Time) Area {
	a := Area{In: map[string]bool{}, Counts: map[string]int{}}
	for i := range c.Offers {
		o := &c.Offers[i]
		if o.Remote || !o.Searchable(now) {
			continue
		}
		if center != nil {
			if !o.HasLocation() || geo.HaversineKm(center.Lat, center.Lng, *o.Latitude, *o.Longitude) > radiusKm {
				continue
			}
		}
		a.In[o.ID] = true
		a.Counts[c.Family[o.ID]]++
	}
	return a
}

// Place is where a query is run; a nil Center means no place (all France).
type Place struct {
	Name   string
	Center *stageindex.LatLng
}

// LoadPlaces returns the first n distinct towns of a queries-1k.jsonl file,
// so that the evaluation runs around the places visitors really search from.
func LoadPlaces(path string, n int) ([]Place, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("eval: places: %w", err)
	}
	defer f.Close()
	var places []Place
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() && len(places) < n {
		var q struct {
			City     string   `json:"city"`
			Postcode string   `json:"postcode"`
			Lat      *float64 `json:"lat"`
			Lng      *float64 `json:"lng"`
		}
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			return nil, fmt.Errorf("eval: places: %w", err)
		}
		key := q.Postcode + " " + q.City
		if q.Lat == nil || q.Lng == nil || seen[key] {
			continue
		}
		seen[key] = true
		places = append(places, Place{Name: fmt.Sprintf("%s (%s)", q.City, q.Postcode), Center: &stageindex.LatLng{Lat: *q.Lat, Lng: *q.Lng}})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("eval: places: %w", err)
	}
	if len(places) < n {
		return nil, fmt.Errorf("eval: places: only %d distinct towns in %s, want %d", len(places), path, n)
	}
	return places, nil
}
