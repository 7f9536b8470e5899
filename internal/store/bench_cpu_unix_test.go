//go:build unix

package store_test

import (
	"syscall"
	"testing"
	"time"
)

// reportCPU, called just before a benchmark's loop, returns a function that
// reports the process's CPU time (user and system) per operation: on a
// machine shared with other work, wall time measures the load as much as
// the code. (PostgreSQL's own CPU time is not included.)
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
