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
		for _, batch := range []int{1, 2} {
			var got bytes.Buffer
			s := report.NewJSONStream(&got, r)
			for i := range r.Jobs {
				// The summary is only known once the targets are: BeginJob
				// must not need it.
				head := r.Jobs[i]
				head.Summary = report.Summary{}
				if err := s.BeginJob(&head); err != nil {
					t.Fatal(err)
				}
				ts := r.Jobs[i].Targets
				for k := 0; k < len(ts); k += batch {
					if batch == 1 {
						if err := s.Target(&ts[k]); err != nil {
							t.Fatal(err)
						}
						continue
					}
					// Targets encoded elsewhere, written batch by batch.
					var b []byte
					n := 0
					for ; n < batch && k+n < len(ts); n++ {
						b = report.AppendTarget(b, &ts[k+n], nil)
					}
					// In two parts, cut within the first target.
					if err := s.Targets(n, b[:2], b[2:]); err != nil {
						t.Fatal(err)
					}
				}
				if err := s.EndJob(&r.Jobs[i]); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want.String(), got.String()); diff != "" {
				t.Errorf("%s, %d target(s) at a time: streamed JSON differs from Write (-want +got):\n%s", name, batch, diff)
			}
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
	_ = s.EndJob(&r.Jobs[0])
	if err := s.Close(); err != errDisk {
		t.Errorf("Close: %v, want %v", err, errDisk)
	}
}
