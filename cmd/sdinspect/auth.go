package main

import (
	"github.com/spf13/cobra"

	"github.com/sdinspect/sdinspect/cluster"
)

func newAuthCommand(s streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "auth",
		Short: "Diagnose access to the API server: identity, missing permissions, least-privilege RBAC, client certificates",
		Long: `auth answers the questions behind "Prometheus discovers nothing": who does the API
server think I am (whoami), which of the permissions the jobs need are missing (can-i),
which RBAC would grant exactly those (rbac), and how to get a client certificate for a
user and groups (csr).`,
		Args: positionalArgs(cobra.NoArgs),
	}
	cmd.AddCommand(newAuthWhoamiCommand(s), newAuthCanICommand(s), newAuthRBACCommand(s), newAuthCSRCommand(s))
	return cmd
}

// checkImpersonation refuses --as-group or --as-uid without --as before
// anything connects: the API server impersonates groups and a UID only
// together with a user, and client-go's own refusal names no flag.
func checkImpersonation(f *cluster.ConnFlags) error {
	ai := f.Overrides.AuthInfo
	if ai.Impersonate == "" && (len(ai.ImpersonateGroups) > 0 || ai.ImpersonateUID != "") {
		return usagef("--as-group and --as-uid need --as: Kubernetes impersonates groups and a UID only together with a user")
	}
	return nil
}
