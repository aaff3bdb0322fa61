package search

import (
	"reflect"
	"testing"
)

// TestCodecRoundTrip: every offer of the test corpus, with its commune and
// fiches, decodes to what was encoded; every truncation of it is an error,
// never a panic or a wrong offer.
func TestCodecRoundTrip(t *testing.T) {
	thes, err := LoadThesaurus()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range corpus() {
		d := newDoc(&o, func(string, string) (string, bool) { return "22278", true }, thes)
		b := encodeDoc(d)
		for _, alias := range []bool{false, true} {
			got, insee, romes, err := decodeDoc(b, alias)
			if err != nil || !reflect.DeepEqual(got, o) || insee != d.insee || romes != d.romes {
				t.Fatalf("%s: round trip (alias %v) gave %+v %q %v %v", o.ID, alias, got, insee, romes, err)
			}
			for n := range len(b) {
				if _, _, _, err := decodeDoc(b[:n], alias); err == nil {
					t.Fatalf("%s: truncated to %d bytes, decoded without error", o.ID, n)
				}
			}
		}
	}
}

func FuzzDecodeDoc(f *testing.F) {
	o := corpus()[0]
	f.Add(encodeDoc(newDoc(&o, nil, nil)))
	f.Add([]byte{codecVersion, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeDoc(b, true) // must not panic
	})
}
