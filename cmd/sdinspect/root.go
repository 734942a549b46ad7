package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/sdinspect/sdinspect/report"
)

// Exit codes, documented in the README and in --help.
const (
	exitOK       = 0 // clean
	exitFailed   = 1 // could not complete: bad config or input, unreachable API, partial result
	exitUsage    = 2 // bad flags or arguments
	exitFindings = 3 // findings at or above --fail-on
)

const exitHelp = `Exit status:
  0  clean
  1  could not complete (bad config or input, unreachable or unauthorized API, partial result)
  2  usage error (bad flags or arguments)
  3  the result fails the run: check findings at or above --fail-on, failed test
     expectations, diff differences with --exit-code, permissions auth can-i finds denied
  130  interrupted by SIGINT (Ctrl-C) before finishing; a file being written keeps its old content
  143  terminated by SIGTERM before finishing; likewise`

// usageError marks an error as the user's invocation being wrong (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// findingsError ends a run that printed its whole result but found
// something that fails it: findings at or above --fail-on, a failed
// expectation, a difference with --exit-code (exit 3).
type findingsError struct{ msg string }

func (e findingsError) Error() string { return e.msg }

// note tells the user, on stderr, about something that does not stop the run.
func (s streams) note(msg string) { fmt.Fprintf(s.errOut, "sdinspect: note: %s\n", msg) }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// streams are where a command writes: its result to out, everything else to errOut.
type streams struct {
	out, errOut io.Writer
	log         *slog.Logger
	// style dresses text output: colour only when stdout is a terminal.
	style report.Style
	// progress is the line live runs redraw on stderr; errOut and log
	// clear it before they write.
	progress *progressLine
}

// run executes sdinspect with args and returns the exit code. It is the
// single place that prints errors.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	on := isTerminal(stderr)
	return runWith(ctx, args, stdout, newProgressLine(stderr, on, terminalWidth(stderr), time.Now))
}

// runWith is run with the progress line drawn on stderr, which tests give
// as if stderr were a terminal.
func runWith(ctx context.Context, args []string, stdout io.Writer, progress *progressLine) int {
	defer progress.clear()
	stderr := progress.writer(progress.w)
	level := new(slog.LevelVar)
	level.Set(slog.LevelWarn)
	s := streams{
		out:      progress.writer(stdout),
		errOut:   stderr,
		log:      slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
		style:    report.Style{Color: isTerminal(stdout) && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"},
		progress: progress,
	}
	root := newRootCommand(s)
	var verbose, quiet bool
	root.PersistentFlags().BoolVarP(&verbose, "verbose", "v", false, "log what sdinspect connects to and lists on stderr (credentials are never logged)")
	root.PersistentFlags().BoolVarP(&quiet, "quiet", "q", false, "no progress line on stderr while listing from an API server (notes and errors still print)")
	root.PersistentPreRun = func(*cobra.Command, []string) {
		if verbose {
			level.Set(slog.LevelDebug)
		}
		if quiet {
			progress.disable()
		}
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	if code, msg, ok := interruption(ctx); ok {
		fmt.Fprintf(stderr, "sdinspect: %s\n", msg)
		return code
	}
	fmt.Fprintf(stderr, "sdinspect: %v\n", err)
	var u usageError
	var f findingsError
	if errors.As(err, &f) {
		return exitFindings
	}
	// cobra reports an unknown subcommand with a plain error.
	if errors.As(err, &u) || strings.HasPrefix(err.Error(), "unknown command ") {
		return exitUsage
	}
	return exitFailed
}

func newRootCommand(s streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "sdinspect",
		Short: "Show what Prometheus Kubernetes service discovery and relabeling do with a scrape config",
		Long: `sdinspect shows which targets Prometheus's Kubernetes service discovery finds for a
scrape config, which labels they carry, which targets relabel_configs keeps or drops,
and which rule dropped them, exactly as Prometheus ` + promVersion + ` would.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.SetUsageTemplate(root.UsageTemplate() + "\n" + exitHelp + "\n")
	root.AddCommand(newTargetsCommand(s), newExplainCommand(s), newSnapshotCommand(s), newCheckCommand(s), newTestCommand(s), newDiffCommand(s), newAuthCommand(s), newVersionCommand(s))
	return root
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// positionalArgs wraps cobra's argument validators so that a wrong count is
// a usage error.
func positionalArgs(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := v(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}
