package redistest

import "syscall"

// sysProcAttr has the kernel kill redis-server if the test binary dies
// without running its cleanups (a panic, a -timeout abort, SIGKILL), so no
// server outlives its test run. Pdeathsig fires when the thread that forked
// the child exits; Go retires a thread only when a goroutine exits while
// locked to it (runtime.LockOSThread), which apishield's tests never do.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
