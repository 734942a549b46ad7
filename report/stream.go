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
// never holds every target's report: NewJSONStream with the report's head,
// then for each job BeginJob, Target for each of its targets, and EndJob
// with its summary; Close at the end. Errors stick: after the first, every
// call returns it.
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
	if before, _, ok := s.split(&head, "", `"jobs": `); ok {
		s.write(before)
	}
	return s
}

// split marshals v, indented by prefix, and cuts it around the empty array
// held by its field named key, which must be a member of v itself: before
// ends with the array's "[", after starts with its "]".
func (s *JSONStream) split(v any, prefix, key string) (before, after []byte, ok bool) {
	if s.err != nil {
		return nil, nil, false
	}
	b, err := json.MarshalIndent(v, prefix, "  ")
	if err != nil {
		s.err = err
		return nil, nil, false
	}
	member := []byte("\n" + prefix + "  " + key + "[]")
	i := bytes.Index(b, member)
	if i < 0 {
		s.err = fmt.Errorf("report: %T has no member %s", v, key)
		return nil, nil, false
	}
	i += len(member) - 1
	return b[:i], b[i:], true
}

func (s *JSONStream) write(b []byte) {
	if s.err == nil {
		_, s.err = s.w.Write(b)
	}
}

// BeginJob starts a job with j's fields before its targets, which are
// ignored, as the rest of j: EndJob writes that.
func (s *JSONStream) BeginJob(j *Job) error {
	if s.jobs > 0 {
		s.write([]byte(","))
	}
	s.write([]byte("\n" + jobIndent))
	s.jobs++
	s.targets = 0
	head := *j
	head.Targets = []Target{}
	if before, _, ok := s.split(&head, jobIndent, `"targets": `); ok {
		s.write(before)
	}
	return s.err
}

// Target writes one target of the current job.
func (s *JSONStream) Target(t *Target) error { return s.TargetSorted(t, nil) }

// TargetSorted writes one target of the current job, whose label sets are
// given by sorted, if not nil, instead of by t's maps.
func (s *JSONStream) TargetSorted(t *Target, sorted *SortedLabels) error {
	s.buf = AppendTarget(s.buf[:0], t, sorted)
	return s.Targets(1, s.buf)
}

// AppendTarget appends to b the bytes by which JSONStream writes t, with
// sorted as for TargetSorted, for callers that encode targets on other
// goroutines and write them in order with Targets.
func AppendTarget(b []byte, t *Target, sorted *SortedLabels) []byte {
	b = append(b, ",\n"+targetIndent...)
	return appendTarget(b, t, sorted, targetIndent)
}

// AppendTargetAt is AppendTarget for a target whose DuplicateOf is not
// known yet: it also returns the offset in the result at which
// AppendDuplicateOf's bytes are to be inserted if it turns out to have one.
// t.DuplicateOf must be nil.
func AppendTargetAt(b []byte, t *Target, sorted *SortedLabels) ([]byte, int) {
	b = append(b, ",\n"+targetIndent...)
	return appendTargetAt(b, t, sorted, targetIndent)
}

// AppendDuplicateOf appends the duplicateOf member that AppendTargetAt
// leaves out, to be inserted at the offset it returns.
func AppendDuplicateOf(b []byte, r *TargetRef) []byte {
	o := object{b: b, indent: targetIndent + "  ", n: 1}
	o.key("duplicateOf")
	return appendRef(o.b, r, o.indent)
}

// Targets writes n targets of the current job, encoded one after the other
// by AppendTarget, in parts: the parts one after the other are the targets.
func (s *JSONStream) Targets(n int, parts ...[]byte) error {
	if s.err != nil || n == 0 {
		return s.err
	}
	for i, b := range parts {
		if i == 0 && s.targets == 0 {
			b = b[1:] // the first target follows no other
		}
		s.write(b)
	}
	s.targets += n
	return s.err
}

// EndJob ends the current job with j's fields after its targets, which
// are ignored: its summary.
func (s *JSONStream) EndJob(j *Job) error {
	if s.targets > 0 {
		s.write([]byte("\n" + jobIndent + "  "))
	}
	tail := *j
	tail.Targets = []Target{}
	if _, after, ok := s.split(&tail, jobIndent, `"targets": `); ok {
		s.write(after)
	}
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
