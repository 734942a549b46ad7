package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newAuthCanICommand(s streams) *cobra.Command {
	return &cobra.Command{
		Use:  "can-i",
		Args: positionalArgs(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error { return errors.New("auth cani: not written yet") },
	}
}
