package search

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
)

// TestAdmitNoise holds the one slot of noise and checks who waits for it:
// a string of unknown words waits (and gives up with its context, having
// done nothing), a pupil's search, typos, brands and towns included, goes
// through at once.
func TestAdmitNoise(t *testing.T) {
	ix := newTestIndex(t)
	ix.noisy <- struct{}{} // a noise search is running
	defer func() { <-ix.noisy }()
	cases := []struct {
		q     string
		waits bool
	}{
		{"boulanger", false},
		{"veterinere a saint-brieuc", false},                 // a typo and a town
		{"boulangerie patisserie artisanale quimper", false}, // two words the thesaurus may not know
		{"chef de chantié", false},
		{"xkcdqwerty zzpfoobar qqlmnbvc", true},
		{"jhgfdsaq poiuytre mlkjhgfd wxcvbnaz azertyui qsdfghjk", true},
		{"Boulangerie wxcvbnaz azertyui qsdfghjk", true},
	}
	for _, tc := range cases {
		t.Run(tc.q, func(t *testing.T) {
			// A search that waits gives up at 200 ms; one that must not wait
			// has 30 s, so that a slow search under -race on a loaded
			// machine is not taken for a wait (it would wait forever: the
			// slot is held until the end of the cases).
			timeout := 30 * time.Second
			if tc.waits {
				timeout = 200 * time.Millisecond
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			_, err := ix.Search(ctx, stageindex.SearchRequest{Query: tc.q})
			if waited := errors.Is(err, context.DeadlineExceeded); waited != tc.waits {
				t.Errorf("waited for the noise slot: %v (err %v), want %v", waited, err, tc.waits)
			}
			if !tc.waits && err != nil {
				t.Errorf("search: %v", err)
			}
		})
	}
	// The slot free, noise is searched like anything else.
	<-ix.noisy
	defer func() { ix.noisy <- struct{}{} }()
	if _, err := ix.Search(context.Background(), stageindex.SearchRequest{Query: "xkcdqwerty zzpfoobar qqlmnbvc"}); err != nil {
		t.Errorf("noise with the slot free: %v", err)
	}
}
