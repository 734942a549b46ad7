package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/sdinspect/sdinspect/cluster"
)

// progressEvery is how often the progress line is redrawn at most: often
// enough to look alive, rarely enough that a fast list of many small pages
// does not spend its time writing to the terminal.
const progressEvery = 100 * time.Millisecond

// progressLine is the one line a long live run rewrites in place on a
// terminal's stderr. It draws nothing unless on; every other write to
// stderr goes through writer, which clears the line first, so notes, logs
// and errors never share a line with it. Its methods are safe for
// concurrent use and do nothing on a nil progressLine.
type progressLine struct {
	mu    sync.Mutex
	w     io.Writer
	on    bool
	now   func() time.Time
	width int // columns of the terminal; a longer line is cut, as a wrapped one could not be rewritten

	started time.Time // first update; zero before
	drawn   time.Time // last draw
	shown   int       // columns the line on screen takes; 0 when none is
}

// newProgressLine returns a line drawn on w when on, no more often than
// progressEvery by now's clock, and never before progressEvery has passed
// since the first update, so that quick runs show nothing.
func newProgressLine(w io.Writer, on bool, width int, now func() time.Time) *progressLine {
	return &progressLine{w: w, on: on, width: width, now: now}
}

// terminalWidth returns the columns of the terminal w is, or 80.
func terminalWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			return cols
		}
	}
	return 80
}

// disable turns the line off for good (-q), clearing it if shown.
func (p *progressLine) disable() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearLocked()
	p.on = false
}

// update redraws the line with text() if it is due; text is only called
// then, so callers may format freely.
func (p *progressLine) update(text func() string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.on {
		return
	}
	now := p.now()
	if p.started.IsZero() {
		p.started, p.drawn = now, now
		return
	}
	if now.Sub(p.drawn) < progressEvery {
		return
	}
	p.drawn = now
	line := fit(text(), p.width-1) // the last column would wrap on some terminals
	n := utf8.RuneCountInString(line)
	pad := max(p.shown-n, 0)
	p.shown = n
	fmt.Fprintf(p.w, "\r%s%s", line, strings.Repeat(" ", pad))
}

// clear erases the line if it is shown.
func (p *progressLine) clear() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearLocked()
}

func (p *progressLine) clearLocked() {
	if p.shown == 0 {
		return
	}
	fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.shown))
	p.shown = 0
}

// writer returns w, to which every write first clears the line.
func (p *progressLine) writer(w io.Writer) io.Writer { return clearingWriter{p: p, w: w} }

type clearingWriter struct {
	p *progressLine
	w io.Writer
}

func (c clearingWriter) Write(b []byte) (int, error) {
	// Held through the write, so no line is drawn in the middle of it.
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	c.p.clearLocked()
	return c.w.Write(b)
}

// fit cuts s to at most n runes, marking the cut.
func fit(s string, n int) string {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// listingProgress adds up, per resource, the objects listed so far by
// every request to every API server, for the progress line.
type listingProgress struct {
	line *progressLine

	mu     sync.Mutex
	order  []string // resources listed, sorted, so that they keep their places
	perRes map[string]int
	perReq map[listedKey]int
}

// listedKey names one request to one API server.
type listedKey struct {
	conn                                              *cluster.Conn
	resource, namespace, labelSelector, fieldSelector string
}

func newListingProgress(line *progressLine) *listingProgress {
	return &listingProgress{line: line, perRes: map[string]int{}, perReq: map[listedKey]int{}}
}

// callback returns the cluster.ListOptions.Progress of connection conn.
func (l *listingProgress) callback(conn *cluster.Conn) func(cluster.Request, int) {
	return func(r cluster.Request, listed int) {
		k := listedKey{conn, r.Resource, r.Namespace, r.LabelSelector, r.FieldSelector}
		l.mu.Lock()
		defer l.mu.Unlock()
		if i, found := slices.BinarySearch(l.order, r.Resource); !found {
			l.order = slices.Insert(l.order, i, r.Resource)
		}
		// A request that starts over (its continue token expired)
		// reports fewer objects than before: the difference counts.
		l.perRes[r.Resource] += listed - l.perReq[k]
		l.perReq[k] = listed
		l.line.update(l.textLocked)
	}
}

// textLocked is the line: "listing: endpointslices 1,200 · pods 12,500".
func (l *listingProgress) textLocked() string {
	parts := make([]string, len(l.order))
	for i, res := range l.order {
		parts[i] = res + " " + thousands(l.perRes[res])
	}
	return "listing: " + strings.Join(parts, " · ")
}

// thousands formats n with commas between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
