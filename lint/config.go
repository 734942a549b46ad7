package lint

import (
	"github.com/sdinspect/sdinspect/promconfig"
	"github.com/sdinspect/sdinspect/report"
)

// checkConfig returns the findings that need only the job's config.
func checkConfig(job *promconfig.Job) []report.Finding {
	return nil
}
