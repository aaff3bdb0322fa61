package memlimit

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// The index's segment files are memory-mapped (Bleve's zap format). Every
// page a build, a merge or a reopen reads stays in the process's resident
// set until the file is closed: at 100k offers, 87 MB of segment pages
// that searches never read again (the stored copies of the offers, read
// once at reopen), a fifth of the process. The kernel keeps them in its
// page cache either way; unmapping the pages (MADV_DONTNEED) only takes
// them out of the resident set, and lets the kernel reclaim them first
// under pressure. A search that needs one again takes a minor fault
// from the page cache.
//
// No library does this: Bleve owns the mappings and exposes none of
// them, so ReleaseMapped finds them in /proc/self/maps.

// ReleaseInterval is how often ReleaseMappedEvery runs: after a build, a
// reopen or a merge, the pages they read leave the resident set within
// this time, while pages the searches use are faulted back at most this
// often.
const ReleaseInterval = 10 * time.Second

// LoadingReleaseInterval is ReleaseMappedEvery's interval until the first
// index is loaded: no search needs the pages yet, and a 1M build's final
// merges or a reopen read up to 0.6 GB of segment pages in 10 s, on top
// of the heap's peak.
const LoadingReleaseInterval = time.Second

// ReleaseMapped takes out of the resident set the pages of the files
// under dir whose names end with suffix that the process has mapped,
// and returns how many bytes of mappings it released. It does nothing on
// systems without /proc/self/maps.
func ReleaseMapped(dir, suffix string) (int64, error) {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return 0, nil
	}
	defer f.Close()
	return releaseMaps(f, dir, suffix, func(start, length uintptr) error {
		_, _, errno := unix.Syscall(unix.SYS_MADVISE, start, length, unix.MADV_DONTNEED)
		if errno != 0 {
			return errno
		}
		return nil
	})
}

// releaseMaps reads maps in the /proc/PID/maps format and calls release
// with the range of every read-only shared mapping of a file under dir
// named with suffix. Only those: a writable or private mapping would lose
// what was written to it.
func releaseMaps(maps io.Reader, dir, suffix string, release func(start, length uintptr) error) (int64, error) {
	dir = filepath.Clean(dir) + string(filepath.Separator)
	var released int64
	sc := bufio.NewScanner(maps)
	for sc.Scan() {
		// start-end perms offset dev inode path
		f := strings.Fields(sc.Text())
		if len(f) < 6 || f[1] != "r--s" {
			continue
		}
		// A segment merged away may still be mapped, its file deleted.
		path := strings.TrimSuffix(strings.Join(f[5:], " "), " (deleted)")
		if !strings.HasPrefix(path, dir) || !strings.HasSuffix(path, suffix) {
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		if err := release(uintptr(start), uintptr(end-start)); err != nil {
			// ENOMEM: the range is no longer mapped. A merge closed the
			// segment between the read of maps and now (seen at the end of
			// a 1M build); nothing is left to release there.
			if errors.Is(err, unix.ENOMEM) {
				continue
			}
			return released, fmt.Errorf("memlimit: release %s: %w", path, err)
		}
		released += int64(end - start)
	}
	if err := sc.Err(); err != nil {
		return released, fmt.Errorf("memlimit: read maps: %w", err)
	}
	return released, nil
}

// ReleaseMappedEvery calls ReleaseMapped(dir, suffix) every interval
// until ctx ends, and every LoadingReleaseInterval before that until
// loaded is closed (nil: loaded already), reporting a failure to onErr.
// dir may be relative or reached through a symbolic link: /proc/self/maps
// names files by their absolute, resolved path.
func ReleaseMappedEvery(ctx context.Context, dir, suffix string, interval time.Duration, loaded <-chan struct{}, onErr func(error)) {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			dir = real
		}
	}
	every := interval
	if loaded != nil {
		every = min(interval, LoadingReleaseInterval)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-loaded:
			loaded = nil
			t.Reset(interval)
			continue
		case <-t.C:
		}
		if _, err := ReleaseMapped(dir, suffix); err != nil && onErr != nil {
			onErr(err)
		}
	}
}
