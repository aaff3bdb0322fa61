package stageindex

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestSearchRequestValidate(t *testing.T) {
	center := &LatLng{Lat: 48.5, Lng: -2.7}
	tests := []struct {
		name  string
		req   SearchRequest
		codes []string // "param:code" of each error, in order; none: valid
	}{
		{"zero value", SearchRequest{}, nil},
		{"full", SearchRequest{Query: "boulanger", Center: center, RadiusKm: 60, Tracks: []Track{TrackSEGPA},
			Sectors: []string{"banque et assurance"}, Weeks: []string{"2027-w05"}, Departments: []string{"2a"},
			Remote: RemoteInclude, Sort: SortDistance, Page: 2, PerPage: 100}, nil},
		{"query too long", SearchRequest{Query: strings.Repeat("é", 201)}, []string{"q:too_long"}},
		{"query invalid utf-8", SearchRequest{Query: "a\xff"}, []string{"q:invalid_utf8"}},
		{"lat out of range", SearchRequest{Center: &LatLng{Lat: 91}}, []string{"lat:out_of_range"}},
		{"radius", SearchRequest{RadiusKm: 61}, []string{"radius_km:out_of_range"}},
		{"negative radius", SearchRequest{RadiusKm: -1}, []string{"radius_km:out_of_range"}},
		{"track", SearchRequest{Tracks: []Track{"lycee"}}, []string{"track:not_one_of"}},
		{"sector", SearchRequest{Sectors: []string{"astronautique"}}, []string{"sector:unknown_sector"}},
		{"week", SearchRequest{Weeks: []string{"2027-W53"}}, []string{"week:invalid_week"}},
		{"department", SearchRequest{Departments: []string{"20"}}, []string{"department:invalid_department"}},
		{"too many", SearchRequest{Departments: slices.Repeat([]string{"22"}, 51)}, []string{"department:too_many_values"}},
		{"scope", SearchRequest{Scope: []string{"22", "xx"}}, []string{"where:invalid_department"}},
		{"area sorted by distance", SearchRequest{Scope: []string{"29"}, Sort: SortDistance}, []string{"sort:needs_place"}},
		{"remote", SearchRequest{Remote: "sometimes"}, []string{"remote:not_one_of"}},
		{"sort", SearchRequest{Sort: "price"}, []string{"sort:not_one_of"}},
		{"distance without place", SearchRequest{Sort: SortDistance}, []string{"sort:needs_place"}},
		{"per_page", SearchRequest{PerPage: 101}, []string{"per_page:out_of_range"}},
		{"too deep", SearchRequest{Page: 101, PerPage: 100}, []string{"page:too_deep"}},
		{"several", SearchRequest{RadiusKm: 99, Tracks: []Track{"x"}, PerPage: -1}, []string{"radius_km:out_of_range", "track:not_one_of", "per_page:out_of_range"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.req.Validate()
			var got []string
			var e *Error
			if errors.As(err, &e) {
				if e.Code != EINVALID {
					t.Errorf("code %s", e.Code)
				}
				for _, p := range e.Params {
					got = append(got, p.Param+":"+string(p.Code))
				}
			} else if err != nil {
				t.Fatalf("not an *Error: %v", err)
			}
			if !slices.Equal(got, tc.codes) {
				t.Errorf("errors %v, want %v", got, tc.codes)
			}
		})
	}
}

func TestSearchRequestValidateNormalises(t *testing.T) {
	r := SearchRequest{Query: "a\tb", Sectors: []string{"BANQUE ET ASSURANCE"}, Weeks: []string{"2027-w05"}, Departments: []string{"2b"}}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if r.Query != "a b" || r.Sectors[0] != "Banque et assurance" || r.Weeks[0] != "2027-W05" || r.Departments[0] != "2B" ||
		r.Remote != RemoteExclude || r.Page != 1 || r.PerPage != DefaultPerPage {
		t.Errorf("normalised to %+v", r)
	}
}
