package demo

import (
	"testing"
	"time"
)

func TestOffersStayInTheFuture(t *testing.T) {
	tests := []struct {
		name string
		now  time.Time
	}{
		{"during the sample's year", time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)},
		{"years later", time.Date(2031, 6, 1, 12, 0, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			offers, err := Offers(tc.now)
			if err != nil {
				t.Fatal(err)
			}
			if len(offers) < 2000 {
				t.Fatalf("only %d demo offers", len(offers))
			}
			searchable := 0
			for i := range offers {
				if offers[i].Searchable(tc.now) {
					searchable++
				}
			}
			if searchable < len(offers)*9/10 {
				t.Fatalf("%d of %d demo offers searchable at %v", searchable, len(offers), tc.now)
			}
		})
	}
}
