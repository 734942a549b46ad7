package testcluster

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"syscall"
)

// errSharedAPIServer refuses to stop the API server other tests use.
var errSharedAPIServer = errors.New("testcluster: the API server of a Shared cluster cannot be stopped; use Start for a cluster of your own")

// KillAPIServer kills kube-apiserver with SIGKILL, as a crashed or evicted
// API server dies: no graceful shutdown, every connection dropped at once.
// It returns once the process has exited and its port is closed; etcd and
// everything stored in it stay. RestartAPIServer brings it back on the
// same address. Only a cluster of Start's may be stopped, never a Shared
// one. It may be called from any goroutine.
func (c *Cluster) KillAPIServer() error {
	if c.shared {
		return errSharedAPIServer
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.apiserver
	if p == nil {
		return errors.New("testcluster: kube-apiserver is not running")
	}
	select {
	case <-p.done:
		return fmt.Errorf("testcluster: kube-apiserver had already exited (%v)", p.err)
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return fmt.Errorf("killing kube-apiserver: %w", err)
	}
	<-p.done
	return nil
}

// RestartAPIServer starts kube-apiserver again after KillAPIServer, on the
// same address with the same flags and certificates, and waits until it
// reports ready (about two seconds: etcd already holds everything). The
// new process logs to a file of its own, and the cluster's cleanup stops
// it. It may be called from any goroutine.
func (c *Cluster) RestartAPIServer(ctx context.Context) error {
	if c.shared {
		return errSharedAPIServer
	}
	c.mu.Lock()
	if p := c.apiserver; p != nil {
		select {
		case <-p.done:
		default:
			c.mu.Unlock()
			return errors.New("testcluster: kube-apiserver is still running; KillAPIServer first")
		}
	}
	c.restarts++
	logFile := filepath.Join(c.state, fmt.Sprintf("kube-apiserver.%d.log", c.restarts))
	c.mu.Unlock()
	if err := c.startAPIServer(ctx, logFile); err != nil {
		return fmt.Errorf("restarting kube-apiserver: %w", err)
	}
	return nil
}
