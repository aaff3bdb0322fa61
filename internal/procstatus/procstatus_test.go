package procstatus

import (
	"os"
	"testing"
)

// TestKB reads this process's figures: the resident set is never zero,
// and never above its peak; a process that does not exist is an error.
func TestKB(t *testing.T) {
	for _, pid := range []int{0, os.Getpid()} {
		kb, err := KB(pid)
		if err != nil {
			t.Fatal(err)
		}
		if kb["VmRSS"] <= 0 || kb["VmRSS"] > kb["VmHWM"] {
			t.Errorf("pid %d: VmRSS %v kB, VmHWM %v kB", pid, kb["VmRSS"], kb["VmHWM"])
		}
	}
	if _, err := KB(1 << 30); err == nil {
		t.Error("no error for a process that does not exist")
	}
}
