package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newAuthCSRCommand(s streams) *cobra.Command {
	return &cobra.Command{
		Use:  "csr",
		Args: positionalArgs(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error { return errors.New("auth csr: not written yet") },
	}
}
