package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// memory is the process's memory at one point, in MB.
type memory struct {
	RSS       float64 `json:"rss_mb"`        // VmRSS: resident now
	HWM       float64 `json:"hwm_mb"`        // VmHWM: peak resident since the last resetPeak
	HeapInuse float64 `json:"heap_inuse_mb"` // Go heap spans in use
	Sys       float64 `json:"go_sys_mb"`     // everything the Go runtime got from the OS
}

// measureMemory runs a GC first, so that garbage does not count, and reads
// /proc/self/status and the Go runtime's statistics.
func measureMemory() (memory, error) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m := memory{HeapInuse: float64(ms.HeapInuse) / (1 << 20), Sys: float64(ms.Sys) / (1 << 20)}
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return m, fmt.Errorf("bench: memory: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		if err != nil {
			return m, fmt.Errorf("bench: memory: %s: %w", k, err)
		}
		if k == "VmRSS" {
			m.RSS = kb / 1024
		} else {
			m.HWM = kb / 1024
		}
	}
	if err := sc.Err(); err != nil {
		return m, fmt.Errorf("bench: memory: %w", err)
	}
	return m, nil
}

// resetPeak resets VmHWM to the current RSS (Linux ≥ 4.0), so that the
// next measureMemory shows the peak of what ran in between, not of the
// import that came before.
func resetPeak() error {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return fmt.Errorf("bench: reset peak memory: %w", err)
	}
	return nil
}
