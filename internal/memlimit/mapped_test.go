package memlimit

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestReleaseMapsPicksTheSegmentMappings(t *testing.T) {
	maps := `7f0000000000-7f0000100000 r--s 00000000 08:01 11 /data/gen-1/shards/22/store/00000001.zap
7f0000100000-7f0000180000 r--s 00000000 08:01 12 /data/gen-1/shards/22/store/root.bolt
7f0000200000-7f0000300000 r--p 00000000 08:01 13 /data/gen-1/shards/29/store/00000002.zap
7f0000300000-7f0000400000 rw-s 00000000 08:01 14 /data/gen-1/shards/29/store/00000003.zap
7f0000400000-7f0000500000 r--s 00000000 08:01 15 /other/shards/22/store/00000004.zap
7f0000500000-7f0000580000 r--s 00000000 08:01 16 /data/gen-1/shards/2A/store/0000000a.zap
7f0000600000-7f0000601000 rw-p 00000000 00:00 0
garbage line
7f0000700000-7f0000800000 r--s 00000000 08:01 17 /data/a dir with spaces/x.zap
7f0000800000-7f0000900000 r--s 00000000 08:01 18 /data/gen-1/shards/35/store/00000005.zap (deleted)
`
	var got []string
	n, err := releaseMaps(strings.NewReader(maps), "/data/", ".zap", func(start, length uintptr) error {
		got = append(got, fmt.Sprintf("%x+%x", start, length))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"7f0000000000+100000", "7f0000500000+80000", "7f0000700000+100000", "7f0000800000+100000"}
	if strings.Join(got, " ") != strings.Join(want, " ") || n != 0x100000+0x80000+0x100000+0x100000 {
		t.Errorf("released %v (%d bytes), want %v", got, n, want)
	}
}

// A mapping unmapped between the read of maps and the release (a merge
// closing its segment) is skipped; the others are still released, and any
// other failure is returned.
func TestReleaseMapsSkipsWhatIsNoLongerMapped(t *testing.T) {
	maps := `7f0000000000-7f0000100000 r--s 00000000 08:01 11 /data/a.zap
7f0000100000-7f0000180000 r--s 00000000 08:01 12 /data/b.zap
7f0000200000-7f0000300000 r--s 00000000 08:01 13 /data/c.zap
`
	for _, tc := range []struct {
		name    string
		failure error
		want    int64
		wantErr bool
	}{
		{"unmapped meanwhile", unix.ENOMEM, 0x100000 + 0x100000, false},
		{"another failure", unix.EINVAL, 0x100000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := releaseMaps(strings.NewReader(maps), "/data/", ".zap", func(start, length uintptr) error {
				if start == 0x7f0000100000 {
					return tc.failure
				}
				return nil
			})
			if (err != nil) != tc.wantErr || n != tc.want {
				t.Errorf("released %x bytes, err %v; want %x, error %v", n, err, tc.want, tc.wantErr)
			}
		})
	}
}

// mappingRss is the resident size in kB of the mapping of path in
// /proc/self/smaps.
func mappingRss(t *testing.T, path string) int {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skip("no /proc/self/smaps")
	}
	defer f.Close()
	in, kb := false, -1
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if fs := strings.Fields(l); len(fs) >= 5 && strings.Contains(fs[0], "-") && !strings.HasSuffix(fs[0], ":") {
			// A mapping's first line; an anonymous one has no path.
			in = len(fs) >= 6 && strings.Join(fs[5:], " ") == path
			continue
		}
		if in && strings.HasPrefix(l, "Rss:") {
			kb, _ = strconv.Atoi(strings.Fields(l)[1])
		}
	}
	return kb
}

// mapRead writes data to path, maps the file and reads every page of it.
func mapRead(t *testing.T, path string, data []byte) []byte {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := unix.Mmap(int(f.Fd()), 0, len(data), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Munmap(m) })
	got, want := 0, 0
	for i := 0; i < len(data); i += 4096 {
		got += int(m[i])
		want += int(data[i])
	}
	if got != want {
		t.Fatalf("read %d from the mapping, want %d", got, want)
	}
	return m
}

// TestReleaseMappedEveryReleasesSoonWhileLoading checks that, until
// loaded is closed, the pages leave within about LoadingReleaseInterval
// rather than the (here hour-long) interval, and that afterwards the
// interval rules again.
func TestReleaseMappedEveryReleasesSoonWhileLoading(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "00000002.zap")
	m := mapRead(t, path, make([]byte, 8<<20))
	if kb := mappingRss(t, path); kb < 2048 {
		t.Fatalf("the mapping holds %d kB after reading it all, want most of 8 MB", kb)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	loaded := make(chan struct{})
	go ReleaseMappedEvery(ctx, dir, ".zap", time.Hour, loaded, nil)
	// resident waits up to d for the mapping to fall under 1 MB.
	resident := func(d time.Duration) int {
		deadline := time.Now().Add(d)
		for {
			kb := mappingRss(t, path)
			if kb < 1024 || time.Now().After(deadline) {
				return kb
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if kb := resident(10 * LoadingReleaseInterval); kb >= 1024 {
		t.Fatalf("%d kB still resident while loading, after %s", kb, 10*LoadingReleaseInterval)
	}
	close(loaded)
	time.Sleep(50 * time.Millisecond) // the release loop sees loaded first
	sum := 0
	for i := 0; i < len(m); i += 4096 {
		sum += int(m[i])
	}
	if kb := mappingRss(t, path); sum != 0 || kb < 2048 {
		t.Fatalf("read %d, %d kB resident after reading the mapping again", sum, kb)
	}
	if kb := resident(3 * LoadingReleaseInterval); kb < 1024 {
		t.Errorf("pages released again within %s once loaded (interval an hour)", 3*LoadingReleaseInterval)
	}
}

func TestReleaseMappedEmptiesTheResidentSet(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "00000001.zap")
	const size = 8 << 20
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i * 7)
	}
	m := mapRead(t, path, data)
	before := mappingRss(t, path)
	if before < size/1024/2 {
		t.Fatalf("the mapping holds %d kB after reading it all, want most of %d", before, size/1024)
	}
	n, err := ReleaseMapped(dir, ".zap")
	if err != nil {
		t.Fatal(err)
	}
	after := mappingRss(t, path)
	if n != size || after > before/8 {
		t.Errorf("released %d bytes; the mapping went from %d to %d kB resident", n, before, after)
	}
	// The file reads as before: the pages come back from the page cache.
	for i := 0; i < size; i += 4093 {
		if m[i] != data[i] {
			t.Fatalf("byte %d reads %d after the release, want %d", i, m[i], data[i])
		}
	}
}
