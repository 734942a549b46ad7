package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sdinspect/sdinspect/cluster"
)

type snapshotOptions struct {
	input inputOptions
	out   string
}

func newSnapshotCommand(s streams) *cobra.Command {
	o := &snapshotOptions{}
	cmd := &cobra.Command{
		Use:   "snapshot --config prometheus.yml [--job NAME]... -o FILE [connection flags]",
		Short: "Save exactly the Kubernetes objects the jobs' discovery reads, for --from",
		Long: `snapshot lists, from the API server, exactly what the jobs' kubernetes_sd_configs need
(the same requests Prometheus's informers make, with their namespaces and selectors) and
writes it as YAML documents, one object each, that --from reads back. What discovery never
reads (managedFields, most of status) and fields at their API default are left out, and objects
are sorted, so the same cluster gives the same bytes.`,
		Example: `  sdinspect snapshot --config prometheus.yml -o cluster.yaml
  sdinspect targets --config prometheus.yml --from cluster.yaml`,
		Args: positionalArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context(), s) },
	}
	o.input.bind(cmd.Flags())
	cmd.Flags().StringVarP(&o.out, "output", "o", "", `file to write ("-" for stdout)`)
	return cmd
}

func (o *snapshotOptions) run(ctx context.Context, s streams) error {
	switch {
	case o.out == "":
		return usagef("-o FILE is required")
	case len(o.input.from) > 0:
		return usagef("snapshot reads a live API server; --from does not apply")
	}
	if err := o.input.validate(); err != nil {
		return err
	}
	if err := checkOutputFile(o.out); err != nil {
		return err
	}
	jobs, err := o.input.loadJobs()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.input.timeout)
	defer cancel()
	conns, err := o.input.connect(ctx, s, jobs)
	if err != nil {
		return err
	}
	switch len(conns) {
	case 0:
		return fmt.Errorf("no job uses kubernetes_sd_configs: there is nothing to snapshot")
	case 1:
	default:
		var from []string
		for _, c := range conns {
			from = append(from, c.Source)
		}
		return fmt.Errorf("the jobs use %d API servers (%s); snapshot each with --job", len(conns), strings.Join(from, ", "))
	}
	snap, partial, err := o.input.list(ctx, s, conns[0])
	if err != nil {
		return err
	}
	if partial != nil {
		if !o.input.allowPartial {
			return fmt.Errorf("partial snapshot refused: %s (--allow-partial accepts it)", strings.Join(partial.Reasons, "; "))
		}
		for _, r := range partial.Reasons {
			s.note("partial snapshot: " + r)
		}
	}
	if o.out == "-" {
		return cluster.Write(s.out, snap)
	}
	// WriteFile's errors name the file.
	return cluster.WriteFile(o.out, snap)
}

// checkOutputFile refuses, before anything is listed, a -o that cannot be
// written: a directory, or a file in a directory that does not exist.
func checkOutputFile(path string) error {
	if path == "-" {
		return nil
	}
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		return fmt.Errorf("writing snapshot %q: is a directory; -o names the file to write", path)
	}
	dir := filepath.Dir(path)
	if info, err := os.Stat(dir); err != nil {
		return fmt.Errorf("writing snapshot %q: directory %q: %w", path, dir, pathError(err))
	} else if !info.IsDir() {
		return fmt.Errorf("writing snapshot %q: %q is not a directory", path, dir)
	}
	return nil
}

// pathError drops the operation and path of an *fs.PathError, which the
// message already names.
func pathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
