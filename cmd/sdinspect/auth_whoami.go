package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newAuthWhoamiCommand(s streams) *cobra.Command {
	return &cobra.Command{
		Use:  "whoami",
		Args: positionalArgs(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error { return errors.New("auth whoami: not written yet") },
	}
}
