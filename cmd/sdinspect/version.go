package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// The Prometheus release whose semantics sdinspect reproduces, and its Go
// module version. A test holds promModuleVersion equal to go.mod.
const (
	promVersion       = "3.16.0"
	promModuleVersion = "v0.316.0"
)

func newVersionCommand(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print sdinspect's version and the Prometheus version it reproduces",
		Args:  positionalArgs(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintf(s.out, "sdinspect %s\nprometheus %s (github.com/prometheus/prometheus %s)\n", ownVersion(), promVersion, promModuleVersion)
			return err
		},
	}
}

// ownVersion is the module version `go install ...@version` stamps, or
// "(devel)" for a build from a checkout.
func ownVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
