package stageindex

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const goodLine = `{"id":"a-1","title":"Boulangerie","description":"Pain.","employer_name":"Le Fournil","sector":"hotellerie, RESTAURATION","tracks":["segpa","generale","segpa"],"latitude":48.5,"longitude":-2.7,"zipcode":"22000","city":"Saint-Brieuc","department":"2a","weeks":["2027-W05","2026-W53","2027-W05"],"max_candidates":2,"url":"https://example.org/a","published_at":"2026-09-01T10:00:00+02:00","x_metier":"boulangerie"}`

func TestParseOfferNormalises(t *testing.T) {
	o, err := ParseOffer([]byte(goodLine))
	if err != nil {
		t.Fatal(err)
	}
	if o.Sector != "Hôtellerie, restauration" {
		t.Errorf("sector %q", o.Sector)
	}
	if strings.Join(trackStrings(o.Tracks), ",") != "generale,segpa" {
		t.Errorf("tracks %v", o.Tracks)
	}
	if strings.Join(o.Weeks, ",") != "2026-W53,2027-W05" {
		t.Errorf("weeks %v", o.Weeks)
	}
	if o.Department != "2A" {
		t.Errorf("department %q", o.Department)
	}
	if want := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC); !o.PublishedAt.Equal(want) {
		t.Errorf("published_at %v", o.PublishedAt)
	}
}

func trackStrings(ts []Track) []string {
	var out []string
	for _, t := range ts {
		out = append(out, string(t))
	}
	return out
}

func TestParseOfferRejects(t *testing.T) {
	tests := []struct {
		name, replace, with, field string
	}{
		{"missing title", `"title":"Boulangerie",`, ``, "title"},
		{"empty id", `"id":"a-1"`, `"id":" "`, "id"},
		{"id with a slash", `"id":"a-1"`, `"id":"a/1"`, "id"},
		{"title too long", `"title":"Boulangerie"`, `"title":"` + strings.Repeat("é", 151) + `"`, "title"},
		{"latitude 91", `"latitude":48.5`, `"latitude":91`, "latitude"},
		{"longitude as text", `"longitude":-2.7`, `"longitude":"-2.7"`, "longitude"},
		{"no coordinates, not remote", `"latitude":48.5,"longitude":-2.7,`, ``, "latitude"},
		{"unknown track", `"tracks":["segpa","generale","segpa"]`, `"tracks":["lycee"]`, "tracks"},
		{"no track", `"tracks":["segpa","generale","segpa"]`, `"tracks":[]`, "tracks"},
		{"week 54", `"2027-W05","2026-W53"`, `"2026-W54"`, "weeks"},
		{"week 53 of 2025", `"2027-W05","2026-W53"`, `"2025-W53"`, "weeks"},
		{"malformed week", `"2027-W05","2026-W53"`, `"2027-05"`, "weeks"},
		{"unknown sector", `"hotellerie, RESTAURATION"`, `"Astronautique"`, "sector"},
		{"bad department", `"2a"`, `"20"`, "department"},
		{"bad zipcode", `"22000"`, `"2200"`, "zipcode"},
		{"zero candidates", `"max_candidates":2`, `"max_candidates":0`, "max_candidates"},
		{"relative url", `"https://example.org/a"`, `"/a"`, "url"},
		{"bad date", `"2026-09-01T10:00:00+02:00"`, `"01/09/2026"`, "published_at"},
		{"misspelt field", `"zipcode"`, `"zip_code"`, "zip_code"},
		// encoding/json would keep the last title and say nothing.
		{"key twice", `"title":"Boulangerie",`, `"title":"Boulangerie","title":"Autre",`, "title"},
		{"key twice in an extension", `"x_metier":"boulangerie"`, `"x_metier":{"a":1,"a":2}`, "x_metier"},
		// encoding/json would read U+FFFD in its place.
		{"invalid UTF-8 in a value", `"title":"Boulangerie"`, "\"title\":\"Boul\xe9ngerie\"", "title"},
		{"invalid UTF-8 in an extension", `"x_metier":"boulangerie"`, "\"x_metier\":\"\xff\"", "x_metier"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			line := strings.Replace(goodLine, tc.replace, tc.with, 1)
			if line == goodLine {
				t.Fatalf("replacement %q not found: the case tests nothing", tc.replace)
			}
			_, err := ParseOffer([]byte(line))
			var oe *OfferError
			if !errors.As(err, &oe) {
				t.Fatalf("err %v, want an *OfferError", err)
			}
			for _, f := range oe.Fields {
				if f.Field == tc.field {
					return
				}
			}
			t.Fatalf("no error on %s: %v", tc.field, err)
		})
	}
}

func TestParseOfferAcceptsRemoteWithoutCoordinates(t *testing.T) {
	line := strings.Replace(goodLine, `"latitude":48.5,"longitude":-2.7,`, `"remote":true,`, 1)
	o, err := ParseOffer([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if o.HasLocation() || !o.Remote {
		t.Fatalf("%+v", o)
	}
}

func TestParseOfferInvalidJSON(t *testing.T) {
	for _, in := range []string{`{"id":`, `[]`, `"x"`, ``} {
		if _, err := ParseOffer([]byte(in)); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestWeeks(t *testing.T) {
	tests := []struct {
		week    string
		monday  string
		wantErr bool
	}{
		{"2026-W01", "2025-12-29", false},
		{"2026-W53", "2026-12-28", false},
		{"2027-W01", "2027-01-04", false},
		{"2027-W53", "", true},
		{"2026-W00", "", true},
		{"2026W01", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.week, func(t *testing.T) {
			mon, err := ParseWeek(tc.week)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v", err)
			}
			if err == nil {
				if got := mon.Format("2006-01-02"); got != tc.monday {
					t.Fatalf("monday %s, want %s", got, tc.monday)
				}
				if FormatWeek(mon) != tc.week {
					t.Fatalf("FormatWeek round trip: %s", FormatWeek(mon))
				}
			}
		})
	}
}

func TestSearchable(t *testing.T) {
	pub := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	future := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		o    Offer
		want bool
	}{
		{"published, future week", Offer{PublishedAt: &pub, Weeks: []string{"2026-W50"}}, true},
		{"unpublished", Offer{Weeks: []string{"2026-W50"}}, false},
		{"published later", Offer{PublishedAt: &future, Weeks: []string{"2027-W05"}}, false},
		{"all weeks past", Offer{PublishedAt: &pub, Weeks: []string{"2026-W40", "2026-W47"}}, false},
		{"current week", Offer{PublishedAt: &pub, Weeks: []string{"2026-W48"}}, true},
		{"no weeks", Offer{PublishedAt: &pub}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.o.Searchable(now); got != tc.want {
				t.Fatalf("Searchable = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFold(t *testing.T) {
	tests := map[string]string{
		"Saint-Brieuc":             "saint brieuc",
		"  Côtes-d’Armor ":         "cotes d armor",
		"ŒUVRE":                    "oeuvre",
		"Hôtellerie, RESTAURATION": "hotellerie, restauration",
	}
	for in, want := range tests {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIndexable(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	later := now.Add(48 * time.Hour)
	o := Offer{PublishedAt: &later, Weeks: []string{"2027-W05"}}
	if o.Searchable(now) || !o.Indexable(now) {
		t.Fatalf("scheduled offer: searchable %v indexable %v; want false, true", o.Searchable(now), o.Indexable(now))
	}
	past := Offer{PublishedAt: &later, Weeks: []string{"2026-W40"}}
	if past.Indexable(now) {
		t.Fatal("offer with only past weeks is indexable")
	}
	if (&Offer{Weeks: []string{"2027-W05"}}).Indexable(now) {
		t.Fatal("unpublished offer is indexable")
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b  string
		limit int
		want  int
	}{
		{"veterinere", "veterinaire", 2, 2},
		{"vente", "verte", 2, 1},
		{"boulanger", "boulanger", 2, 0},
		{"carrefour", "informatique", 2, 3},
		{"", "abc", 5, 3},
		{"abc", "", 1, 2},
		// Longer than the stack buffers: the heap path.
		{strings.Repeat("ab", 40) + "x", strings.Repeat("ab", 40) + "y", 2, 1},
		{strings.Repeat("é", 30), strings.Repeat("e", 30), 100, 60},
	}
	for _, tc := range tests {
		if got := EditDistance(tc.a, tc.b, tc.limit); got != tc.want {
			t.Errorf("EditDistance(%q, %q, %d) = %d, want %d", tc.a, tc.b, tc.limit, got, tc.want)
		}
	}
}
