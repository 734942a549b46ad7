package testcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// errPortTaken marks a server that could not listen because another process
// took its port between freePorts and the server's start.
var errPortTaken = errors.New("port already in use")

// process is a server started by the harness, logging to a file.
type process struct {
	name    string
	cmd     *exec.Cmd
	logFile string
	// done is closed once the process has exited and err is set.
	done chan struct{}
	err  error
}

func startProcess(bin, logFile string, args ...string) (*process, error) {
	name := filepath.Base(bin)
	f, err := os.Create(logFile)
	if err != nil {
		return nil, fmt.Errorf("creating the %s log: %w", name, err)
	}
	defer f.Close() // the child holds its own descriptor
	cmd := exec.Command(bin, args...)
	cmd.Stdout = f
	cmd.Stderr = f
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, logFile: logFile, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// waitHTTP polls url with client until it answers 200, p exits, or timeout
// passes. The error carries the tail of p's log.
func (p *process) waitHTTP(ctx context.Context, timeout time.Duration, client *http.Client, url string) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	last := "no answer yet"
	for {
		if code, err := get(ctx, client, url); err != nil {
			last = err.Error()
		} else if code == http.StatusOK {
			return nil
		} else {
			last = fmt.Sprintf("HTTP %d", code)
		}
		select {
		case <-p.done:
			err := fmt.Errorf("%s exited before %s answered (%v); the end of its log:\n%s", p.name, url, p.err, p.logTail(30))
			if strings.Contains(p.logTail(100), "address already in use") {
				err = fmt.Errorf("%w: %w", errPortTaken, err)
			}
			return err
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer 200 on %s within %v (last: %s); the end of its log:\n%s", p.name, url, timeout, last, p.logTail(30))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func get(ctx context.Context, client *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// stop sends SIGTERM and waits up to grace for the exit, then kills. The
// exit status is not an error: a server stopped by a signal reports one.
func (p *process) stop(grace time.Duration) error {
	select {
	case <-p.done:
		return nil
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stopping %s: %w", p.name, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(grace):
	}
	p.cmd.Process.Kill()
	<-p.done
	return fmt.Errorf("stopping %s: still running %v after SIGTERM, killed; the end of its log:\n%s", p.name, grace, p.logTail(30))
}

// logTail returns the last n lines of the log that are not known noise.
func (p *process) logTail(n int) string {
	b, err := os.ReadFile(p.logFile)
	if err != nil {
		return fmt.Sprintf("(reading %q: %v)", p.logFile, err)
	}
	var lines []string
	for line := range strings.SplitSeq(strings.TrimRight(string(b), "\n"), "\n") {
		if !logNoise(line) {
			lines = append(lines, line)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// freePorts returns n distinct loopback TCP ports that were free a moment
// ago. Another process may take one before the server binds it; waitHTTP
// reports that as errPortTaken, and start tries new ports.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
