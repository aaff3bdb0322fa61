package geo

import (
	"sync"
	"testing"
)

// testGazetteer is the embedded gazetteer, loaded once for the package:
// loading takes 0.7 s under the race detector, nineteen tests use it, and
// a Gazetteer is never written after LoadGazetteer (its accessors return
// copies). BenchmarkLoadGazetteer and the geo_test tests load their own.
var testGazetteer = sync.OnceValues(LoadGazetteer)

// loadTest loads the embedded gazetteer or fails the test.
func loadTest(tb testing.TB) *Gazetteer {
	tb.Helper()
	g, err := testGazetteer()
	if err != nil {
		tb.Fatalf("LoadGazetteer: %v", err)
	}
	return g
}
