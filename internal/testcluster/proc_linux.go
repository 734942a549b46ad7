package testcluster

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal makes the kernel kill cmd when the test binary dies,
// for instance when go test's -timeout panics it before any cleanup runs:
// otherwise a 300 MB kube-apiserver would outlive every test run.
func setParentDeathSignal(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
