package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sdinspect/sdinspect/cluster"
	"github.com/sdinspect/sdinspect/internal/fakeapi"
)

// fakeClock returns a clock that moves by step each time it is read.
func fakeClock(step time.Duration) func() time.Time {
	t := time.Unix(0, 0)
	return func() time.Time {
		t = t.Add(step)
		return t
	}
}

// screen is what a terminal shows after printing out: a carriage return
// goes back to the start of the line, later characters overwrite earlier
// ones. Trailing blanks are dropped, and so are blank last lines.
func screen(out string) []string {
	var lines [][]rune
	line, col := []rune{}, 0
	for _, r := range out {
		switch r {
		case '\r':
			col = 0
		case '\n':
			lines = append(lines, line)
			line, col = []rune{}, 0
		default:
			if col < len(line) {
				line[col] = r
			} else {
				line = append(line, r)
			}
			col++
		}
	}
	lines = append(lines, line)
	var out2 []string
	for _, l := range lines {
		out2 = append(out2, strings.TrimRight(string(l), " "))
	}
	for len(out2) > 0 && out2[len(out2)-1] == "" {
		out2 = out2[:len(out2)-1]
	}
	return out2
}

func TestProgressLine(t *testing.T) {
	t.Parallel()
	text := func(s string) func() string { return func() string { return s } }
	tests := []struct {
		name string
		on   bool
		// at are the times of the updates, in ms since the first;
		// a negative one writes a note through the writer instead.
		at         []int
		clear      bool
		wantDraws  int
		wantScreen []string
	}{
		{name: "off draws nothing", on: false, at: []int{0, 100, 200, 300}, wantDraws: 0},
		{name: "a quick run draws nothing", on: true, at: []int{0, 10, 50, 99}, wantDraws: 0},
		{name: "at most every 100ms", on: true, at: []int{0, 50, 100, 150, 199, 200, 250, 400}, wantDraws: 3,
			wantScreen: []string{"update 8..."}},
		{name: "cleared at the end", on: true, at: []int{0, 100, 200}, clear: true, wantDraws: 2},
		{name: "a note clears the line first", on: true, at: []int{0, 100, -1, 150, 300}, wantDraws: 2,
			wantScreen: []string{"note", "update 5......"}},
		{name: "a note then the end leave the note alone", on: true, at: []int{0, 100, -1, 300}, clear: true, wantDraws: 2,
			wantScreen: []string{"note"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			ms := 0
			p := newProgressLine(&buf, tt.on, 80, func() time.Time { return time.UnixMilli(int64(ms)) })
			w := p.writer(&buf)
			for i, at := range tt.at {
				if at < 0 {
					fmt.Fprintln(w, "note")
					continue
				}
				ms = at
				// Lines get shorter, so a leftover of a longer one shows.
				p.update(text(fmt.Sprintf("update %d%s", i+1, strings.Repeat(".", 10-i))))
			}
			if tt.clear {
				p.clear()
			}
			if got := strings.Count(buf.String(), "update"); got != tt.wantDraws {
				t.Errorf("drew %d times, want %d: %q", got, tt.wantDraws, buf.String())
			}
			if diff := cmp.Diff(tt.wantScreen, screen(buf.String()), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("screen (-want +got):\n%s\nwritten: %q", diff, buf.String())
			}
		})
	}
}

func TestProgressLineDisabledAndNil(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	p := newProgressLine(&buf, true, 80, fakeClock(time.Second))
	p.update(func() string { return "first" })
	p.update(func() string { return "second" })
	p.disable() // -q after a line was drawn: it goes away, for good
	p.update(func() string { return "third" })
	if got := screen(buf.String()); len(got) != 0 || strings.Contains(buf.String(), "third") {
		t.Errorf("after disable: screen %q, written %q", got, buf.String())
	}
	var none *progressLine
	none.update(func() string { t.Error("a nil line formatted its text"); return "" })
	none.clear()
}

func TestProgressLineCutToWidth(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	// The last column stays free: some terminals wrap there.
	p := newProgressLine(&buf, true, 12, fakeClock(time.Second))
	p.update(func() string { return "" })
	p.update(func() string { return "listing: pods 1 · services 2" })
	if diff := cmp.Diff([]string{"listing: p…"}, screen(buf.String())); diff != "" {
		t.Errorf("screen (-want +got):\n%s", diff)
	}
}

func TestProgressListing(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	line := newProgressLine(&buf, true, 200, fakeClock(time.Second))
	a, b := &cluster.Conn{}, &cluster.Conn{}
	l := newListingProgress(line)
	pods := cluster.Request{Resource: "pods"}
	podsShop := cluster.Request{Resource: "pods", Namespace: "shop"}
	services := cluster.Request{Resource: "services"}
	endpointSlices := cluster.Request{Resource: "endpointslices"}
	steps := []struct {
		conn   *cluster.Conn
		r      cluster.Request
		listed int
		want   string
	}{
		{a, pods, 500, ""}, // the first update only starts the clock
		{a, pods, 1000, "listing: pods 1,000"},
		{a, services, 800, "listing: pods 1,000 · services 800"},
		{a, podsShop, 12, "listing: pods 1,012 · services 800"},
		{b, pods, 11500, "listing: pods 12,512 · services 800"},
		// a restarted request counts again from its first page
		{a, pods, 500, "listing: pods 12,012 · services 800"},
		// resources keep their places, whichever lists first
		{b, endpointSlices, 3, "listing: endpointslices 3 · pods 12,012 · services 800"},
	}
	for i, s := range steps {
		l.callback(s.conn)(s.r, s.listed)
		var got string
		if lines := screen(buf.String()); len(lines) > 0 {
			got = lines[len(lines)-1]
		}
		if got != s.want {
			t.Errorf("step %d: line %q, want %q", i, got, s.want)
		}
	}
}

func TestProgressThousands(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]string{0: "0", 12: "12", 999: "999", 1000: "1,000", 12500: "12,500", 150000: "150,000", 1234567: "1,234,567", -4500: "-4,500"} {
		t.Run(want, func(t *testing.T) {
			if got := thousands(n); got != want {
				t.Errorf("thousands(%d) = %q", n, got)
			}
		})
	}
}

// TestProgressLive lists the bundled example from an API server one object
// per page, with stderr taken for a terminal: the line shows listing and
// building, is gone at the end, and stdout is the JSON alone. With -q, or
// when stderr is no terminal, stderr gets no progress bytes at all.
func TestProgressLive(t *testing.T) {
	t.Parallel()
	snap, err := cluster.Read([]string{"../../testdata/examples/cluster.yaml"}, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		terminal bool
		extra    []string
		wantLine bool
	}{
		{name: "terminal", terminal: true, wantLine: true},
		{name: "terminal with -q", terminal: true, extra: []string{"-q"}},
		{name: "terminal with --quiet", terminal: true, extra: []string{"--quiet"}},
		{name: "no terminal", terminal: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := fakeapi.Start(snap)
			defer srv.Close()
			args := []string{"targets", "--config", "../../testdata/examples/prometheus.yml", "--server", srv.URL, "--chunk-size", "1", "-o", "json"}
			var stdout, stderr bytes.Buffer
			line := newProgressLine(&stderr, tt.terminal, 200, fakeClock(time.Second))
			code := runWith(context.Background(), append(args, tt.extra...), &stdout, line)
			if code != exitOK {
				t.Fatalf("exit %d; stderr:\n%q", code, stderr.String())
			}
			var doc map[string]any
			if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
				t.Errorf("stdout is not JSON: %v\n%q", err, stdout.String())
			}
			if strings.Contains(stdout.String(), "\r") {
				t.Errorf("stdout has a carriage return")
			}
			written := stderr.String()
			if !tt.wantLine {
				if strings.ContainsAny(written, "\r") || strings.Contains(written, "listing:") {
					t.Errorf("progress on stderr: %q", written)
				}
				return
			}
			// Every page is drawn (the clock moves a second per
			// read), so the last listing line has what was served.
			listed := fmt.Sprintf("\rlisting: endpointslices %d · nodes %d · pods %d · services %d\rbuilding targets: job 1/",
				srv.Listed("endpointslices"), srv.Listed("nodes"), srv.Listed("pods"), srv.Listed("services"))
			for _, want := range []string{listed, "\rbuilding targets: job 4/4 "} {
				if !strings.Contains(written, want) {
					t.Errorf("stderr lacks %q: %q", want, written)
				}
			}
			if got := screen(written); len(got) != 0 {
				t.Errorf("stderr leaves %q on screen; written %q", got, written)
			}
		})
	}
}

// TestProgressLiveNote has a note printed while the line shows: the note
// gets a line of its own, and nothing else is left on the screen.
func TestProgressLiveNote(t *testing.T) {
	t.Parallel()
	snap, err := cluster.Read([]string{"../../testdata/examples/cluster.yaml"}, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	srv := fakeapi.Start(snap)
	defer srv.Close()
	config := filepath.Join(t.TempDir(), "prometheus.yml")
	const text = `scrape_configs:
  - job_name: a
    kubernetes_sd_configs: [{role: pod}]
  - job_name: b
    kubernetes_sd_configs: [{role: pod, namespaces: {own_namespace: true}}]
`
	if err := os.WriteFile(config, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	line := newProgressLine(&stderr, true, 200, fakeClock(time.Second))
	code := runWith(context.Background(), []string{"targets", "--config", config, "--server", srv.URL, "-o", "json"}, &stdout, line)
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%q", code, stderr.String())
	}
	written := stderr.String()
	if !strings.Contains(written, "\rbuilding targets: job 2/2 b ") {
		t.Fatalf("the line for job b was not drawn before its note: %q", written)
	}
	want := []string{`sdinspect: note: job "b": kubernetes_sd_configs[0] sets namespaces.own_namespace, which only a pod can resolve; its own namespace is left out (give --own-namespace)`}
	if diff := cmp.Diff(want, screen(written)); diff != "" {
		t.Errorf("screen (-want +got):\n%s\nwritten: %q", diff, written)
	}
}
