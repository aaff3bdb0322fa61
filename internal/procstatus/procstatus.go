// Package procstatus reads a process's memory figures from Linux's
// /proc/PID/status, as a user measuring a server would (VmRSS, VmHWM,
// RssAnon…): one reader for the benches and deploy/local.
package procstatus

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// KB returns the kB fields of /proc/PID/status by name ("VmRSS"); pid 0
// is the calling process.
func KB(pid int) (map[string]float64, error) {
	path := "/proc/self/status"
	if pid != 0 {
		path = fmt.Sprintf("/proc/%d/status", pid)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("procstatus: %w", err)
	}
	kb := map[string]float64{}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) == 3 && f[2] == "kB" {
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				return nil, fmt.Errorf("procstatus: %s: %w", f[0], err)
			}
			kb[strings.TrimSuffix(f[0], ":")] = v
		}
	}
	return kb, nil
}
