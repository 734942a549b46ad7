package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newAuthRBACCommand(s streams) *cobra.Command {
	return &cobra.Command{
		Use:  "rbac",
		Args: positionalArgs(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error { return errors.New("auth rbac: not written yet") },
	}
}
