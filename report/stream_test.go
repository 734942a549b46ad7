package report_test

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sdinspect/sdinspect/report"
)

// TestJSONStreamSameAsWrite: a report streamed target by target is byte for
// byte what Write gives for the whole report, for reports with no jobs, a
// job without targets, partial results and text that JSON escapes.
func TestJSONStreamSameAsWrite(t *testing.T) {
	t.Parallel()
	escaped := sample()
	escaped.Jobs[0].Targets[0].DiscoveredLabels["__meta_x"] = "<a & b> \"q\" \u2028 ü"
	escaped.Jobs[0].NotRun = []string{"consul_sd_configs[0]"}
	twoJobs := sample()
	twoJobs.Partial, twoJobs.PartialReasons = true, []string{`User "u" cannot list pods in namespace "a"`}
	twoJobs.Jobs = append(twoJobs.Jobs, report.Job{Job: "empty", Partial: true, Targets: []report.Target{}}, sample().Jobs[0])
	for name, r := range map[string]*report.Report{
		"no jobs":          {APIVersion: report.APIVersion, Jobs: []report.Job{}},
		"one job":          sample(),
		"escaped text":     escaped,
		"two jobs partial": twoJobs,
		"only empty job":   {APIVersion: report.APIVersion, Jobs: []report.Job{{Job: "e", Targets: []report.Target{}}}},
	} {
		var want bytes.Buffer
		if err := report.Write(&want, report.JSON, r); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		s := report.NewJSONStream(&got, r)
		for i := range r.Jobs {
			if err := s.BeginJob(&r.Jobs[i]); err != nil {
				t.Fatal(err)
			}
			for k := range r.Jobs[i].Targets {
				if err := s.Target(&r.Jobs[i].Targets[k]); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.EndJob(); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want.String(), got.String()); diff != "" {
			t.Errorf("%s: streamed JSON differs from Write (-want +got):\n%s", name, diff)
		}
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errDisk }

var errDisk = bytes.ErrTooLarge

// TestJSONStreamWriteError: a failed write is returned, by Close at the
// latest.
func TestJSONStreamWriteError(t *testing.T) {
	t.Parallel()
	r := sample()
	s := report.NewJSONStream(failingWriter{}, r)
	_ = s.BeginJob(&r.Jobs[0])
	_ = s.EndJob()
	if err := s.Close(); err != errDisk {
		t.Errorf("Close: %v, want %v", err, errDisk)
	}
}
