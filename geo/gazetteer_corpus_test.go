package geo

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"os"
	"testing"
)

// benchOffers is the shared benchmark corpus, absent outside the team's
// machines.
const benchOffers = "../../shared/bench/offers-100k.jsonl.gz"

// TestCommuneOfCorpus maps every (zipcode, city) pair of the benchmark
// corpus to an INSEE code and requires 99% of them to succeed, and the
// commune found to be in the offer's department.
func TestCommuneOfCorpus(t *testing.T) {
	f, err := os.Open(benchOffers)
	if err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	g := loadTest(t)
	type addr struct{ Zipcode, City, Department string }
	pairs := map[addr]int{}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		var a addr
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatal(err)
		}
		pairs[a]++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	var okPairs, okOffers, offers, wrongDept int
	var misses []addr
	for a, n := range pairs {
		offers += n
		insee, ok := g.CommuneOf(a.Zipcode, a.City)
		if !ok {
			misses = append(misses, a)
			continue
		}
		if p, _ := g.Commune(insee); a.Department != "" && p.Department != a.Department {
			wrongDept++
			if wrongDept <= 5 {
				t.Logf("department mismatch: %+v → %s %s (%s)", a, insee, p.Name, p.Department)
			}
		}
		okPairs++
		okOffers += n
	}
	share := float64(okPairs) / float64(len(pairs))
	t.Logf("CommuneOf: %d/%d pairs (%.2f%%), %d/%d offers, %d department mismatches",
		okPairs, len(pairs), 100*share, okOffers, offers, wrongDept)
	for i, m := range misses {
		if i == 10 {
			break
		}
		t.Logf("unmapped: %+v", m)
	}
	if share < 0.99 {
		t.Errorf("CommuneOf mapped %.2f%% of the corpus pairs, want ≥ 99%%", 100*share)
	}
	if wrongDept > len(pairs)/1000 {
		t.Errorf("%d pairs mapped outside their department", wrongDept)
	}
}
