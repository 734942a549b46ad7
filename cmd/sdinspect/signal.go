package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes of a run a signal stopped before it finished: 128 plus the
// signal's number, as a shell reports a process a signal killed.
const (
	exitInterrupted = 128 + int(syscall.SIGINT)  // 130
	exitTerminated  = 128 + int(syscall.SIGTERM) // 143
)

// signalCause is the cause of a context that a signal cancelled.
type signalCause struct{ sig os.Signal }

func (c signalCause) Error() string { return signalName(c.sig) + " received" }

// notifyContext returns a copy of parent that the first of sigs to arrive
// cancels, with a signalCause. That first signal also gives the signals
// back their default effect: a run that does not stop in time ends at the
// second. stop releases the signals; call it once the run is over.
func notifyContext(parent context.Context, sigs ...os.Signal) (ctx context.Context, stop context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sigs...)
	go func() {
		select {
		case s := <-ch:
			signal.Stop(ch)
			cancel(signalCause{sig: s})
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel(nil)
	}
}

// interruption reports whether a signal cancelled ctx and, if so, the exit
// code and the one-line message a run that it stopped ends with.
func interruption(ctx context.Context) (code int, msg string, ok bool) {
	var c signalCause
	if !errors.As(context.Cause(ctx), &c) {
		return 0, "", false
	}
	code = exitFailed
	if s, isSys := c.sig.(syscall.Signal); isSys {
		code = 128 + int(s)
	}
	verb := "interrupted"
	if c.sig == syscall.SIGTERM {
		verb = "terminated"
	}
	return code, fmt.Sprintf("%s by %s before finishing", verb, signalName(c.sig)), true
}

// signalName is the name a shell user knows a signal by.
func signalName(s os.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}
