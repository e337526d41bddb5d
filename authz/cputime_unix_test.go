//go:build unix

package authz_test

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time the process has used. The benchmarks report
// it per operation beside ns/op, because on a shared machine wall time
// includes the time other processes held the CPU.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
