package main

import (
	"fmt"
	"os"
	"runtime"

	"github.com/stageindex/stageindex/internal/procstatus"
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
	kb, err := procstatus.KB(0)
	if err != nil {
		return m, fmt.Errorf("bench: memory: %w", err)
	}
	m.RSS, m.HWM = kb["VmRSS"]/1024, kb["VmHWM"]/1024
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
