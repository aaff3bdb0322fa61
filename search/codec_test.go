package search

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/geo"
	"github.com/uber/h3-go/v4"
)

// codecCases are offers of every shape a record must keep: the test
// corpus, a demo offer (a body that compresses), empty and long fields,
// text outside Latin-1, unknown sectors, tracks and week strings.
func codecCases(t testing.TB) []stageindex.Offer {
	offers := corpus()
	d := demoOffers(t)
	lat := 48.5
	offers = append(offers, d[0], d[1],
		stageindex.Offer{},
		stageindex.Offer{ID: "only-id"},
		stageindex.Offer{ID: "long", Title: strings.Repeat("Boulangerie ", 400), Description: strings.Repeat("Pétrir la pâte, façonner les baguettes. ", 2000),
			EmployerName: strings.Repeat("É", 300), EmployerDescription: strings.Repeat("x", 70000), URL: "https://example.org/" + strings.Repeat("a", 5000)},
		stageindex.Offer{ID: "unicode-😀", Title: "日本語のタイトル — Ωμέγα", Description: "Ça dépend : « guillemets » et œuvre 🧑‍🍳", EmployerName: "Ünïcödé",
			Street: "1 rue de l'Église", Zipcode: "97400", City: "Saint-Denis", Department: "974", Sector: "pas un secteur connu",
			Tracks: []stageindex.Track{"inconnue", stageindex.TrackSEGPA}, Weeks: []string{"2027-W05", "1999-W01", "pas une semaine", "2027-W99"},
			MaxCandidates: -3, Latitude: &lat, HandicapAccessible: true, Remote: true},
	)
	return offers
}

// TestCodecRoundTrip: every case, with its commune and fiches, decodes to
// what was encoded, with and without aliasing; decodeHead gives the same
// offer without the body's fields, and the point's fine H3 cell; every truncation is an error, never a
// panic or a wrong offer.
func TestCodecRoundTrip(t *testing.T) {
	thes, err := LoadThesaurus()
	if err != nil {
		t.Fatal(err)
	}
	compressed := 0
	for _, o := range codecCases(t) {
		d := newDoc(&o, func(string, string) (string, bool) { return "22278", true }, thes)
		b := encodeDoc(d)
		_, _, _, body, err := decodeHead(b, true, nil)
		if err != nil {
			t.Fatalf("%q: header: %v", o.ID, err)
		}
		if body[0] == bodyS2 {
			compressed++
		}
		for _, alias := range []bool{false, true} {
			got, insee, romes, err := decodeDoc(b, alias)
			if err != nil || !reflect.DeepEqual(got, o) || insee != d.insee || romes != d.romes {
				t.Fatalf("%q: round trip (alias %v) gave %+v %q %v %v", o.ID, alias, got, insee, romes, err)
			}
			reuse := new(decodeReuse)
			head, insee, romes, _, err := decodeHead(b, alias, reuse)
			var wantFine h3.Cell
			if o.HasLocation() {
				if f, _, err := geo.Cells(*o.Latitude, *o.Longitude); err == nil {
					wantFine = f
				}
			}
			if reuse.fine != wantFine {
				t.Fatalf("%q: stored fine cell %v, want %v", o.ID, reuse.fine, wantFine)
			}
			want := o
			want.Description, want.EmployerName, want.EmployerDescription, want.Street, want.Zipcode, want.City, want.MaxCandidates, want.URL = "", "", "", "", "", "", 0, ""
			if len(want.Tracks) == 0 {
				want.Tracks = head.Tracks // reused memory: empty, not nil
			}
			if err != nil || !reflect.DeepEqual(head, want) || insee != d.insee || romes != d.romes {
				t.Fatalf("%q: header (alias %v) gave %+v %q %v %v", o.ID, alias, head, insee, romes, err)
			}
			if decodeTitle(b) != o.Title {
				t.Fatalf("%q: decodeTitle gave %q", o.ID, decodeTitle(b))
			}
			if len(b) > 20000 {
				continue // its truncations, as the others' below
			}
			for n := range len(b) {
				if _, _, _, err := decodeDoc(b[:n], alias); err == nil {
					t.Fatalf("%q: truncated to %d bytes, decoded without error", o.ID, n)
				}
			}
		}
	}
	if compressed < 3 {
		t.Fatalf("%d records have a compressed body, want the demo offers' and the long one", compressed)
	}
}

// TestCodecDecodedOwnsBody: a decompressed body's strings stay what they
// were whatever becomes of the record (they point into a buffer of their
// own), and decoding without alias copies the header too.
func TestCodecDecodedOwnsBody(t *testing.T) {
	o := codecCases(t)[len(corpus())]
	b := encodeDoc(newDoc(&o, nil, nil))
	got, _, _, err := decodeDoc(b, true)
	if err != nil {
		t.Fatal(err)
	}
	own, _, _, err := decodeDoc(b, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = 0
	}
	if got.Description != o.Description || own.Title != o.Title || own.Description != o.Description {
		t.Fatalf("decoded strings changed with the record: %q / %q", got.Description, own.Title)
	}
}

// TestWeekNames: the week names a record's week codes decode to are
// weekName's, and every week of 2001-2100 is a code.
func TestWeekNames(t *testing.T) {
	names := weekNames()
	for c, n := range names {
		if n != weekName(uint16(c)) {
			t.Fatalf("code %d: %q, weekName says %q", c, n, weekName(uint16(c)))
		}
		if got, ok := weekCodeOf(n); !ok || int(got) != c {
			t.Fatalf("%q: weekCodeOf gives %d %v, want %d", n, got, ok, c)
		}
	}
	if last := names[len(names)-1]; last < "2100-W52" {
		t.Fatalf("the last week named is %s", last)
	}
}

// TestCodecCompact: the benchmark corpus' kind of offer takes well under
// version 1's size (its fields as they are, 600 bytes for these two).
func TestCodecCompact(t *testing.T) {
	thes, err := LoadThesaurus()
	if err != nil {
		t.Fatal(err)
	}
	d := demoOffers(t)
	plain, enc := 0, 0
	for i := range d[:500] {
		o := &d[i]
		plain += len(o.ID) + len(o.Title) + len(o.Description) + len(o.EmployerName) + len(o.EmployerDescription) + len(o.Sector) +
			len(o.Street) + len(o.Zipcode) + len(o.City) + len(o.Department) + len(o.URL) + 9*len(o.Weeks) + 9*len(o.Tracks) + 16 + 9 + 18
		enc += len(encodeDoc(newDoc(o, nil, thes)))
	}
	if ratio := float64(enc) / float64(plain); ratio > 0.8 || math.IsNaN(ratio) {
		t.Fatalf("records take %.2f of their fields' size, want 0.8 or less", ratio)
	}
}

func FuzzDecodeDoc(f *testing.F) {
	for _, o := range codecCases(f)[len(corpus()):] {
		f.Add(encodeDoc(newDoc(&o, nil, nil)))
	}
	f.Add([]byte{codecVersion, 0xff, 0xff, 0xff})
	f.Add([]byte{codecVersion, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, bodyS2, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeDoc(b, true) // must not panic
		decodeDoc(b, false)
		decodeHead(b, true, new(decodeReuse))
		decodeTitle(b)
	})
}

// TestCodecBodiesShareBlocks: offers decoded one after the other into a
// page's blocks (decodeDocIn) each keep their own body, whatever is
// decoded after them.
func TestCodecBodiesShareBlocks(t *testing.T) {
	cases := codecCases(t)
	var recs [][]byte
	for i := range cases {
		recs = append(recs, encodeDoc(newDoc(&cases[i], nil, nil)))
	}
	var bodies []byte
	got := make([]stageindex.Offer, len(recs))
	for i, b := range recs {
		var err error
		if got[i], _, _, err = decodeDocIn(b, true, &bodies, nil); err != nil {
			t.Fatal(err)
		}
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], cases[i]) {
			t.Fatalf("%q: decoded beside the others as %+v", cases[i].ID, got[i])
		}
	}
	// Carving (a page's hits): each offer is whole when decoded, and its
	// lists stay its own whatever is decoded after it, appends included.
	r := &decodeReuse{carve: true}
	bodies = nil
	for i, b := range recs {
		var err error
		if got[i], _, _, err = decodeDocIn(b, true, &bodies, r); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got[i], cases[i]) {
			t.Fatalf("%q: carved as %+v", cases[i].ID, got[i])
		}
		if i > 0 {
			_ = append(got[i-1].Tracks, "x")
			_ = append(got[i-1].Weeks, "x")
		}
	}
	for i := range got {
		if !reflect.DeepEqual(got[i].Tracks, cases[i].Tracks) || !reflect.DeepEqual(got[i].Weeks, cases[i].Weeks) {
			t.Fatalf("%q: carved lists became %v %v", cases[i].ID, got[i].Tracks, got[i].Weeks)
		}
	}
}
