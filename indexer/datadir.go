package indexer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The data directory holds index generations and a pointer to the one in
// use:
//
//	DATA/CURRENT            "index-<id>\n", replaced atomically (rename)
//	DATA/index-<id>/search/ the search index (search.Config.Dir)
//	DATA/index-<id>/sync.json  the cursor the index is synced to
//
// A build writes a new generation beside the serving one and only then
// points CURRENT at it, so a crash at any moment leaves either the old or
// the new generation current, never a half-built one. Directories
// CURRENT does not name are leftovers, removed at start and after a swap.
const (
	currentFile = "CURRENT"
	genPrefix   = "index-"
	metaFile    = "sync.json"
	searchDir   = "search"
)

// meta is the content of sync.json.
type meta struct {
	Cursor    Cursor    `json:"cursor"`
	WrittenAt time.Time `json:"written_at"`
	// Identity is the database and source the index was built from; an
	// index without one (built before it was recorded) is rebuilt.
	Identity *Identity `json:"identity,omitempty"`
}

// errNoIndex reports a data directory without a usable index.
var errNoIndex = errors.New("indexer: no index in the data directory")

// currentGen returns the directory of the current generation.
func currentGen(dataDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, currentFile))
	if errors.Is(err, os.ErrNotExist) {
		return "", errNoIndex
	}
	if err != nil {
		return "", fmt.Errorf("indexer: data dir: %w", err)
	}
	name := strings.TrimSpace(string(b))
	if !strings.HasPrefix(name, genPrefix) || strings.ContainsAny(name, `/\`) {
		return "", fmt.Errorf("indexer: data dir: %s holds %q, not an index name: %w", currentFile, name, errNoIndex)
	}
	return filepath.Join(dataDir, name), nil
}

// newGen creates an empty generation directory; its name sorts by time.
func newGen(dataDir string) (string, error) {
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return "", fmt.Errorf("indexer: data dir: %w", err)
	}
	dir, err := os.MkdirTemp(dataDir, genPrefix+time.Now().UTC().Format("20060102T150405")+"-")
	if err != nil {
		return "", fmt.Errorf("indexer: data dir: %w", err)
	}
	return dir, nil
}

// readMeta reads the cursor of generation gen.
func readMeta(gen string) (meta, error) {
	var m meta
	b, err := os.ReadFile(filepath.Join(gen, metaFile))
	if err != nil {
		return m, fmt.Errorf("indexer: read %s: %w", metaFile, errors.Join(err, errNoIndex))
	}
	if err := json.Unmarshal(b, &m); err != nil || m.Cursor.XMin == 0 {
		return m, fmt.Errorf("indexer: %s is corrupt: %w", filepath.Join(gen, metaFile), errNoIndex)
	}
	return m, nil
}

// writeMeta replaces gen's sync.json atomically and durably.
func writeMeta(gen string, m meta) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("indexer: write meta: %w", err)
	}
	return writeAtomic(filepath.Join(gen, metaFile), append(b, '\n'))
}

// commitGen points CURRENT at gen.
func commitGen(dataDir, gen string) error {
	return writeAtomic(filepath.Join(dataDir, currentFile), []byte(filepath.Base(gen)+"\n"))
}

// writeAtomic writes path through a synced temp file renamed over it, then
// syncs the directory so that the rename itself survives a crash.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return fmt.Errorf("indexer: write %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("indexer: write %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// removeStale deletes the generations other than keep ("" keeps none) and
// leftover temp files.
func removeStale(dataDir, keep string) error {
	entries, err := os.ReadDir(dataDir)
	if err != nil {
		return fmt.Errorf("indexer: data dir: %w", err)
	}
	var errs []error
	for _, e := range entries {
		name := e.Name()
		stale := strings.HasPrefix(name, genPrefix) && name != filepath.Base(keep)
		stale = stale || strings.HasPrefix(name, "."+currentFile+".tmp-")
		if stale {
			if err := os.RemoveAll(filepath.Join(dataDir, name)); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("indexer: data dir: %w", err)
	}
	return nil
}
