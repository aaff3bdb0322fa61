package api

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/klauspost/compress/flate"

	"github.com/stageindex/stageindex/internal/lru"
)

// pagesBudget bounds the kept pages: a page of 20–30 hits is 2.5–4 KB
// compressed, so ~2,000 searches fit (the 1k query mix of the capacity
// runs takes 3.7 MB).
const pagesBudget = 6 << 20

// page is a search answer kept compressed, as it was sent, so that the
// same search again within the minute and the index generation costs a
// copy instead of building, encoding and compressing the page: those were
// 190 of a search's 270 µs of CPU in a 1M `serve` even when the search
// core had the answer (BenchmarkServeSearch; docs/performance.md). The
// widget's default search around a partner's town, a pupil's reloads and
// pages passed back and forth are the same requests again.
//
// Its took_ms changes with each request, so a page is kept in two parts
// around that value, and each answer is spliced as one gzip member: the
// JSON up to took_ms and the value in a stored deflate block, then the
// rest as the deflate blocks compressed once (a fresh stream's blocks may
// follow any byte-aligned block: they only refer back to themselves),
// then the CRC-32 of it all, got from the rest's by linearity. Written by
// hand: neither fasthttp nor klauspost/compress can send a compressed body
// with one field changed.
type page struct {
	head  []byte // the JSON up to took_ms's value: `{"total":…,"took_ms":`
	rest  []byte // the JSON after took_ms's value, as deflate blocks ending the stream
	crc   uint32 // CRC-32 (IEEE) of the rest, uncompressed
	zeros uint32 // CRC-32 of as many zero bytes as the rest holds
	n     int    // length of the rest, uncompressed
	etag  []byte
}

func pageSize(k string, p *page) int {
	return 160 + len(k) + cap(p.head) + cap(p.rest) + cap(p.etag)
}

// pageCache holds the kept pages and the compressors that make them.
type pageCache struct {
	pages *lru.Cache[string, *page]
	zw    sync.Pool // *flate.Writer
}

func newPageCache(budget int) *pageCache {
	return &pageCache{pages: lru.New(budget, pageSize)}
}

// pageKey is everything a search's answer depends on: the index
// generation, the minute (as for the search core's answers), the
// departments a partner key allows, and the query string.
func pageKey(gen uint64, now time.Time, allowed []string, query []byte) string {
	var b strings.Builder
	b.Grow(48 + len(query))
	b.WriteString(strconv.FormatUint(gen, 36))
	b.WriteByte('|')
	b.WriteString(strconv.FormatInt(now.Unix()/60, 36))
	b.WriteByte('|')
	if allowed == nil {
		b.WriteByte('-')
	} else {
		b.WriteString(strings.Join(allowed, ","))
	}
	b.WriteByte('|')
	b.Write(query)
	return b.String()
}

// make compresses body, an encoded search result, into a page; false when
// body has no took_ms where a result has it.
func (pc *pageCache) make(body, etag []byte) (*page, bool) {
	span := tookSpan(body)
	if span == nil {
		return nil, false
	}
	// span is `,"took_ms":0.8`; its value ends where the rest starts.
	headEnd := span[0] + len(`,"took_ms":`)
	rest := body[span[1]:]
	var z bytes.Buffer
	z.Grow(len(rest)/4 + 64)
	zw, _ := pc.zw.Get().(*flate.Writer)
	if zw == nil {
		zw, _ = flate.NewWriter(&z, flate.BestSpeed)
	} else {
		zw.Reset(&z)
	}
	_, err := zw.Write(rest)
	if err == nil {
		err = zw.Close()
	}
	pc.zw.Put(zw)
	if err != nil {
		return nil, false
	}
	return &page{
		head: bytes.Clone(body[:headEnd]), rest: bytes.Clone(z.Bytes()),
		crc: crc32.ChecksumIEEE(rest), zeros: crcZeros(0, len(rest)), n: len(rest),
		etag: bytes.Clone(etag),
	}, true
}

// gzipHeader is a gzip member's header: deflate, no name, no time, OS
// unknown (RFC 1952).
var gzipHeader = [10]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255}

// send writes p as the gzip-encoded body of c's response, took being
// this request's time.
func (p *page) send(c *fiber.Ctx, took float64) error {
	var mid [64]byte
	m := append(mid[:0], p.head...)
	m, err := appendFloat(m, took)
	if err != nil {
		return err
	}
	resp := c.Response()
	resp.ResetBody()
	resp.AppendBody(gzipHeader[:])
	// A stored block, not the last: BFINAL 0, BTYPE 00, then LEN and its
	// complement, byte-aligned.
	var hdr [5]byte
	binary.LittleEndian.PutUint16(hdr[1:], uint16(len(m)))
	binary.LittleEndian.PutUint16(hdr[3:], ^uint16(len(m)))
	resp.AppendBody(hdr[:])
	resp.AppendBody(m)
	resp.AppendBody(p.rest)
	// CRC(m‖rest) = CRC(rest) ⊕ CRC(zeros) ⊕ CRC continued from CRC(m)
	// over as many zeros: the CRC is affine in the value it starts from.
	var tr [8]byte
	binary.LittleEndian.PutUint32(tr[:], crcZeros(crc32.ChecksumIEEE(m), p.n)^p.zeros^p.crc)
	binary.LittleEndian.PutUint32(tr[4:], uint32(len(m)+p.n))
	resp.AppendBody(tr[:])
	resp.Header.SetContentType(fiber.MIMEApplicationJSON)
	resp.Header.SetContentEncoding("gzip")
	return nil
}

// zeroBlock is read only: crcZeros feeds it to the CRC.
var zeroBlock [4 << 10]byte

// crcZeros continues crc over n zero bytes.
func crcZeros(crc uint32, n int) uint32 {
	for n > 0 {
		k := min(n, len(zeroBlock))
		crc = crc32.Update(crc, crc32.IEEETable, zeroBlock[:k])
		n -= k
	}
	return crc
}
