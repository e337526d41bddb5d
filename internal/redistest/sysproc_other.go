//go:build !linux

package redistest

import "syscall"

// sysProcAttr has nothing portable to add outside Linux; cleanups stop the
// servers.
func sysProcAttr() *syscall.SysProcAttr { return nil }
