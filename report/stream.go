package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// JSONStream writes a Report in JSON one target at a time, byte for byte as
// Write does with the whole Report, so that a run over a large cluster
// never holds every target's report: NewJSONStream with the report's head, then for
// each job BeginJob, Target for each of its targets, and EndJob; Close at
// the end. Errors stick: after the first, every call returns it.
type JSONStream struct {
	w       *bufio.Writer
	jobs    int // jobs begun
	targets int // targets of the current job written
	buf     []byte
	err     error
}

// Indentation of a job and of a target in the document, as writeJSON's
// encoder indents them.
const (
	jobIndent    = "    "
	targetIndent = "        "
)

// NewJSONStream starts a report on w with r's fields but its jobs, which
// are ignored.
func NewJSONStream(w io.Writer, r *Report) *JSONStream {
	s := &JSONStream{w: bufio.NewWriterSize(w, 64<<10)}
	head := *r
	head.Jobs = []Job{}
	s.writeOpen(&head, "", `"jobs": `)
	return s
}

// writeOpen writes v, indented by prefix, up to the empty array that its
// last field, named by key, holds: the array is written by the caller.
func (s *JSONStream) writeOpen(v any, prefix, key string) {
	if s.err != nil {
		return
	}
	b, err := json.MarshalIndent(v, prefix, "  ")
	if err != nil {
		s.err = err
		return
	}
	tail := []byte(key + "[]\n" + prefix + "}")
	if !bytes.HasSuffix(b, tail) {
		s.err = fmt.Errorf("report: %T does not end with %s", v, key)
		return
	}
	s.write(b[:len(b)-len(tail)+len(key)])
	s.write([]byte("["))
}

func (s *JSONStream) write(b []byte) {
	if s.err == nil {
		_, s.err = s.w.Write(b)
	}
}

// BeginJob starts a job with j's fields but its targets, which are ignored.
func (s *JSONStream) BeginJob(j *Job) error {
	if s.jobs > 0 {
		s.write([]byte(","))
	}
	s.write([]byte("\n" + jobIndent))
	s.jobs++
	s.targets = 0
	head := *j
	head.Targets = []Target{}
	s.writeOpen(&head, jobIndent, `"targets": `)
	return s.err
}

// Target writes one target of the current job.
func (s *JSONStream) Target(t *Target) error { return s.TargetSorted(t, nil) }

// TargetSorted writes one target of the current job, whose label sets are
// given by sorted, if not nil, instead of by t's maps.
func (s *JSONStream) TargetSorted(t *Target, sorted *SortedLabels) error {
	if s.err != nil {
		return s.err
	}
	if s.targets > 0 {
		s.buf = append(s.buf[:0], ',')
	} else {
		s.buf = s.buf[:0]
	}
	s.buf = append(s.buf, "\n"+targetIndent...)
	s.buf = appendTarget(s.buf, t, sorted, targetIndent)
	s.write(s.buf)
	s.targets++
	return s.err
}

// EndJob ends the current job.
func (s *JSONStream) EndJob() error {
	if s.targets > 0 {
		s.write([]byte("\n" + jobIndent + "  "))
	}
	s.write([]byte("]\n" + jobIndent + "}"))
	return s.err
}

// Close ends the report and flushes it.
func (s *JSONStream) Close() error {
	if s.jobs > 0 {
		s.write([]byte("\n  "))
	}
	s.write([]byte("]\n}\n"))
	if s.err == nil {
		s.err = s.w.Flush()
	}
	return s.err
}
