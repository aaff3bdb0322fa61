package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/geo"
	"github.com/stageindex/stageindex/search"
)

// slowSearcher is the real index whose searches wait for their context to
// end, and report how it ended: a stand-in for a costly query.
type slowSearcher struct {
	*search.Live
	ended chan error
}

func (s slowSearcher) Search(ctx context.Context, _ stageindex.SearchRequest) (*stageindex.SearchResult, error) {
	<-ctx.Done()
	s.ended <- context.Cause(ctx)
	return nil, ctx.Err()
}

func serveSlow(t *testing.T, timeout time.Duration) (string, chan error) {
	t.Helper()
	gaz, err := geo.LoadGazetteer()
	if err != nil {
		t.Fatal(err)
	}
	ix, err := search.New(search.Config{})
	if err != nil {
		t.Fatal(err)
	}
	live := &search.Live{}
	live.Swap(ix)
	ended := make(chan error, 1)
	s := New(Options{Searcher: slowSearcher{live, ended}, Places: gaz, Logger: discardLogger(), SearchTimeout: timeout,
		Limits: Limits{Rate: -1}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.App().Listener(ln)
	t.Cleanup(func() { s.App().Shutdown(); ix.Close() })
	return ln.Addr().String(), ended
}

// TestSearchStopsWhenTheClientLeaves: a client that sends a search and
// closes its connection stops the search at once, long before its budget.
func TestSearchStopsWhenTheClientLeaves(t *testing.T) {
	addr, ended := serveSlow(t, time.Minute)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "GET /api/v1/offers?q=boulanger HTTP/1.1\r\nHost: x\r\n\r\n")
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	conn.Close()
	select {
	case cause := <-ended:
		if cause != errClientGone {
			t.Errorf("the search ended with %v, want errClientGone", cause)
		}
		t.Logf("stopped %v after the client left", time.Since(start))
	case <-time.After(5 * time.Second):
		t.Fatal("the search still runs 5 s after its client left")
	}
}

// TestSearchBudget: a search over its budget is a 503 the client may
// retry, never a hang.
func TestSearchBudget(t *testing.T) {
	addr, ended := serveSlow(t, 50*time.Millisecond)
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/offers?q=boulanger", nil)
	req.Header.Set("Accept-Language", "fr")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("status %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// Not "the service is starting": the pupil is told what to do.
	var p map[string]any
	json.Unmarshal(body, &p)
	if p["title"] != "Recherche trop longue" || p["detail"] != "La recherche a pris trop de temps : essayez avec moins de mots." {
		t.Errorf("problem %s; want the too-long title and detail in French", body)
	}
	if cause := <-ended; cause != context.DeadlineExceeded {
		t.Errorf("ended with %v, want the deadline", cause)
	}
}
