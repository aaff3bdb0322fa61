package geo

import "testing"

// loadTest loads the embedded gazetteer or fails the test.
func loadTest(tb testing.TB) *Gazetteer {
	tb.Helper()
	g, err := LoadGazetteer()
	if err != nil {
		tb.Fatalf("LoadGazetteer: %v", err)
	}
	return g
}
