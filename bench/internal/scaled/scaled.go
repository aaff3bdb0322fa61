// Package scaled streams the benchmark corpus at any scale: the file as it
// is, its first lines, or jittered copies of it up to a million offers and
// more, generated while they are read. stagebench and buildab share it.
package scaled

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/indexer/importer"
)

// jitterKm bounds how far a generated copy of an offer moves, north-south
// and east-west.
const jitterKm = 2.0

// Open streams the corpus at path as interchange lines. scale 0 gives
// the file as it is; a smaller scale keeps its first lines; a larger one
// appends copies of the whole file, copy c with ids suffixed -jc and
// coordinates moved by up to ±2 km, until scale lines are written. The
// copies are generated while the importer reads, so a million offers never
// sit in this process's memory.
func Open(ctx context.Context, path string, scale int) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(Write(ctx, pw, path, scale))
	}()
	return pr
}

// Write writes the corpus at path at scale to w (see Open).
func Write(ctx context.Context, w io.Writer, path string, scale int) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	written := 0
	for c := 0; ; c++ {
		n, err := writeCopy(ctx, bw, path, c, scale, &written)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("corpus %s: no usable line", path)
		}
		if scale <= 0 || written >= scale {
			return bw.Flush()
		}
	}
}

// writeCopy writes copy c of the corpus (c 0 is the file itself) and
// returns how many lines it wrote, stopping once written reaches scale.
func writeCopy(ctx context.Context, w *bufio.Writer, path string, c, scale int, written *int) (int, error) {
	in, err := importer.OpenInput(path)
	if err != nil {
		return 0, fmt.Errorf("corpus: %w", err)
	}
	defer in.Close()
	rng := rand.New(rand.NewPCG(42, uint64(c)))
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 256<<10), 1<<20)
	n := 0
	for sc.Scan() {
		if scale > 0 && *written >= scale {
			break
		}
		if n%10000 == 0 && ctx.Err() != nil {
			return n, ctx.Err()
		}
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if c > 0 {
			if line, err = Jitter(line, c, rng); err != nil {
				continue // the original line is rejected by the importer too
			}
		}
		w.Write(line)
		if err := w.WriteByte('\n'); err != nil {
			return n, fmt.Errorf("corpus: %w", err)
		}
		n++
		*written++
	}
	if err := sc.Err(); err != nil {
		return n, fmt.Errorf("corpus %s: %w", path, err)
	}
	return n, nil
}

// Jitter returns copy c of an offer line: id suffixed -jc, coordinates
// moved by up to jitterKm each way (clamped to valid ranges).
func Jitter(line []byte, c int, rng *rand.Rand) ([]byte, error) {
	o, err := stageindex.ParseOffer(line)
	if err != nil {
		return nil, err
	}
	o.ID = fmt.Sprintf("%s-j%d", o.ID, c)
	if o.HasLocation() {
		lat := *o.Latitude + (rng.Float64()*2-1)*jitterKm/111.2
		cos := math.Max(math.Cos(*o.Latitude*math.Pi/180), 0.01)
		lng := *o.Longitude + (rng.Float64()*2-1)*jitterKm/(111.2*cos)
		lat, lng = math.Max(-90, math.Min(90, lat)), math.Max(-180, math.Min(180, lng))
		o.Latitude, o.Longitude = &lat, &lng
	}
	return json.Marshal(o)
}
