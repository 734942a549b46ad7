//go:build !linux

package testcluster

import "os/exec"

// setParentDeathSignal does nothing where the kernel has no parent-death
// signal; processes left by a test binary killed by its timeout must be
// stopped by hand there.
func setParentDeathSignal(*exec.Cmd) {}
