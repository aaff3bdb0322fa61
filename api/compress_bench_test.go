package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/valyala/fasthttp"
)

// BenchmarkCompress30Hits measures what compressing a 30-hit page costs,
// at the levels the server uses (BestSpeed) and the libraries' defaults,
// and reports the bytes sent (docs/api.md).
func BenchmarkCompress30Hits(b *testing.B) {
	s := newTestServerF(b)
	for _, page := range []struct{ name, query string }{
		{"keywords", "/api/v1/offers?q=vente&remote=include&per_page=30"},
		{"place", "/api/v1/offers?where=Bretagne&per_page=30"},
	} {
		resp, err := s.App().Test(httptestRequest(page.query), -1)
		if err != nil {
			b.Fatal(err)
		}
		body := readAll(resp)
		if len(body) < 10<<10 {
			b.Fatalf("%s: a %d-byte page is no 30-hit page", page.name, len(body))
		}
		for _, c := range []struct {
			name string
			fn   func(dst, src []byte) []byte
		}{
			{"br-bestspeed", func(d, s []byte) []byte {
				return fasthttp.AppendBrotliBytesLevel(d, s, fasthttp.CompressBrotliBestSpeed)
			}},
			{"br-default", func(d, s []byte) []byte {
				return fasthttp.AppendBrotliBytesLevel(d, s, fasthttp.CompressBrotliDefaultCompression)
			}},
			{"gzip-bestspeed", func(d, s []byte) []byte { return fasthttp.AppendGzipBytesLevel(d, s, fasthttp.CompressBestSpeed) }},
			{"gzip-default", func(d, s []byte) []byte {
				return fasthttp.AppendGzipBytesLevel(d, s, fasthttp.CompressDefaultCompression)
			}},
		} {
			b.Run(page.name+"/"+c.name, func(b *testing.B) {
				var out []byte
				b.SetBytes(int64(len(body)))
				for b.Loop() {
					out = c.fn(out[:0], body)
				}
				b.ReportMetric(float64(len(body)), "bytes-in")
				b.ReportMetric(float64(len(out)), "bytes-out")
			})
		}
	}
}

func httptestRequest(target string) *http.Request { return httptest.NewRequest("GET", target, nil) }

func readAll(resp *http.Response) []byte {
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return b
}
