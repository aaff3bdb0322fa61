package importer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/indexer/internal/offerdb"
)

// maxLineBytes bounds one input line: a description is at most 20,000
// characters, so a longer line is garbage, and reading it whole could
// exhaust memory (a binary file has no newlines).
const maxLineBytes = 1 << 20

// OpenInput opens an interchange file for Import: path "-" is standard
// input; gzip data is recognised by its magic bytes, whatever the name.
func OpenInput(path string) (io.ReadCloser, error) {
	var f io.ReadCloser
	if path == "-" {
		f = io.NopCloser(os.Stdin)
	} else {
		file, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("importer: open input: %w", err)
		}
		f = file
	}
	br := bufio.NewReaderSize(f, 256<<10)
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		f.Close()
		return nil, fmt.Errorf("importer: open input %s: %w", path, err)
	}
	if !bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		return readCloser{br, f.Close}, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("importer: open input %s: gzip: %w", path, err)
	}
	return readCloser{zr, func() error {
		// A truncated gzip shows up as a read error before this; Close
		// reports nothing more worth failing for, so only the file matters.
		zr.Close()
		return f.Close()
	}}, nil
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }

// parsed is one valid line on its way to the staging table.
type parsed struct {
	line  int
	offer stageindex.Offer
}

// parseResult is what parseInput found besides the valid offers.
type parseResult struct {
	read       int // non-blank lines
	rejected   int // lines refused
	rejections []Rejection
	lines      []int // line numbers sent to out, ascending
}

// parseInput reads JSON lines from r, sends each valid offer to out and
// records each bad line in res. It returns on EOF, on a read error, or
// when ctx is cancelled.
func parseInput(ctx context.Context, r io.Reader, maxRejections int, out chan<- parsed, res *parseResult) error {
	br := bufio.NewReaderSize(r, 256<<10)
	reject := func(line int, raw []byte, reason string) {
		res.rejected++
		if len(res.rejections) < maxRejections {
			res.rejections = append(res.rejections, Rejection{Line: line, ID: probeID(raw), Reason: reason})
		}
	}
	for n := 1; ; n++ {
		raw, tooLong, err := readLine(br)
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("line %d: %w", n, err)
		}
		if n == 1 {
			raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf")) // UTF-8 BOM
		}
		switch {
		case tooLong:
			res.read++
			reject(n, nil, fmt.Sprintf("line is longer than %d bytes", maxLineBytes))
		case len(bytes.TrimSpace(raw)) == 0:
			// blank lines separate nothing but are common at file ends
		default:
			res.read++
			o, perr := stageindex.ParseOffer(raw)
			if perr == nil && offerdb.HasNUL(&o) {
				perr = errors.New("contains a NUL character (\\u0000), which PostgreSQL cannot store")
			}
			if perr != nil {
				reject(n, raw, perr.Error())
				break
			}
			select {
			case out <- parsed{line: n, offer: o}:
				res.lines = append(res.lines, n)
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
	}
}

// readLine returns the next line without its line ending, or tooLong when
// it exceeds maxLineBytes (the rest of that line is skipped). err is io.EOF
// with the last line.
func readLine(br *bufio.Reader) (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(chunk) > maxLineBytes+2 {
				tooLong, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if len(buf) == 0 && errors.Is(err, io.EOF) && !tooLong {
			return nil, false, io.EOF
		}
		buf = bytes.TrimSuffix(bytes.TrimSuffix(buf, []byte("\n")), []byte("\r"))
		return buf, tooLong, err
	}
}

// probeID returns the id field of a rejected line if it has a readable one,
// so that a rejection names the offer as well as the line.
func probeID(raw []byte) string {
	var p struct {
		ID any `json:"id"`
	}
	if json.Unmarshal(raw, &p) != nil {
		return ""
	}
	if s, ok := p.ID.(string); ok {
		return strings.TrimSpace(s)
	}
	return ""
}
