package promconfig_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/sdinspect/sdinspect/promconfig"
)

// FuzzLoad holds Load and its position index to their contract on any
// prometheus.yml:
//
//   - an error is one line, starting with `loading config "PATH": `, and a
//     file:line it names is a line of that file;
//   - a loaded config has a position per job and per relabel rule, each a
//     line of the file it names: a job on a line holding a job_name key, a
//     rule on a line where a mapping (the rule) or its first key starts,
//     whose text holds that key when it is written plain;
//   - loading the same file twice gives the same positions.
func FuzzLoad(f *testing.F) {
	for _, root := range []string{"testdata", filepath.Join("..", "testdata")} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.Contains(path, string(filepath.Separator)+"fuzz"+string(filepath.Separator)) {
				return err
			}
			if ext := filepath.Ext(path); ext != ".yml" && ext != ".yaml" {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if bytes.Contains(data, []byte("scrape_configs")) || bytes.Contains(data, []byte("relabel_configs")) {
				f.Add(data)
			}
			return nil
		})
		if err != nil {
			f.Fatal(err)
		}
	}
	f.Add([]byte("scrape_configs:\n- &j\n  job_name: a\n  relabel_configs: [{action: keep, source_labels: [x]}]\n- <<: *j\n  job_name: b\n"))
	f.Add([]byte("scrape_configs:\r- job_name: a\r  relabel_configs:\r  - {\r    target_label: x}\r"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if mayReachOut(data) {
			return
		}
		path := filepath.Join(t.TempDir(), "prometheus.yml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := promconfig.Load(path)
		if err != nil {
			msg := err.Error()
			if strings.ContainsAny(msg, "\r\n") || !strings.HasPrefix(msg, `loading config "`+path+`": `) {
				t.Fatalf("error not one line naming the file: %q", msg)
			}
			checkNamedLines(t, msg, path, data)
			return
		}
		idx := map[string]*lineIndex{path: indexLines(t, data)}
		for _, j := range c.Jobs {
			if j.Pos.File != path {
				// A scrape_config_files file the fuzzer's globs found.
				if _, ok := idx[j.Pos.File]; !ok {
					b, err := os.ReadFile(j.Pos.File)
					if err != nil {
						t.Fatalf("job %q at %s: %v", j.Scrape.JobName, j.Pos, err)
					}
					idx[j.Pos.File] = indexLines(t, b)
				}
			}
			x := idx[j.Pos.File]
			if !x.holdsKey(j.Pos.Line, "job_name") {
				t.Errorf("job %q at %s: not a line holding job_name: %q", j.Scrape.JobName, j.Pos, x.text(j.Pos.Line))
			}
			if len(j.Rules) != len(j.Scrape.RelabelConfigs) {
				t.Fatalf("job %q: %d positions for %d rules", j.Scrape.JobName, len(j.Rules), len(j.Scrape.RelabelConfigs))
			}
			for i, p := range j.Rules {
				rx, ok := idx[p.File]
				if !ok {
					t.Fatalf("job %q rule %d at %s: a file the job is not in", j.Scrape.JobName, i, p)
				}
				if !rx.holdsMapping(p.Line) {
					t.Errorf("job %q rule %d at %s: no rule starts on that line: %q", j.Scrape.JobName, i, p, rx.text(p.Line))
				}
			}
		}
		again, err := promconfig.Load(path)
		if err != nil {
			t.Fatalf("second load: %v", err)
		}
		if diff := cmp.Diff(positions(c), positions(again)); diff != "" {
			t.Errorf("second load places jobs differently (-first +second):\n%s", diff)
		}
	})
}

// mayReachOut reports whether a config may name a file outside its own
// directory: Load reads the files of scrape_config_files and
// file_sd_configs, and a glob such as /proc/*/* could read a file that
// blocks. Such inputs are skipped: any value (as yaml.v3 decodes it) that
// is absolute or goes up, a binary value, an escaped slash or dot; and, in a
// file yaml.v3 cannot parse, any slash, backslash, tag or "..".
func mayReachOut(data []byte) bool {
	for _, esc := range []string{`\x2f`, `\x2F`, `\u002f`, `\u002F`, `\U0000002f`, `\U0000002F`, `\/`, `\x2e`, `\x2E`, `\u002e`, `\u002E`, `\U0000002e`, `\U0000002E`} {
		if bytes.Contains(data, []byte(esc)) {
			return true
		}
	}
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil {
		return bytes.ContainsAny(data, `/\!`) || bytes.Contains(data, []byte(".."))
	}
	var outside func(n *yaml.Node) bool
	outside = func(n *yaml.Node) bool {
		if n == nil || n.Kind == yaml.AliasNode {
			return false
		}
		if n.Kind == yaml.ScalarNode && (n.Tag == "!!binary" || strings.HasPrefix(n.Value, "/") ||
			strings.Contains(n.Value, "..") || strings.Contains(n.Value, `\`)) {
			return true
		}
		for _, c := range n.Content {
			if outside(c) {
				return true
			}
		}
		return false
	}
	return outside(&root)
}

// positions lists where c's jobs and rules are written.
func positions(c *promconfig.Config) []string {
	var out []string
	for _, j := range c.Jobs {
		out = append(out, j.Scrape.JobName+" "+j.Pos.String())
		for _, p := range j.Rules {
			out = append(out, "  "+p.String())
		}
	}
	return out
}

// fileLine finds "FILE:LINE:" in a message.
var fileLine = regexp.MustCompile(`(?:^|[\s"(])(/[^\s"]*?):(\d+):`)

// checkNamedLines checks that every file:line of path that msg names is a
// line of data.
func checkNamedLines(t *testing.T, msg, path string, data []byte) {
	t.Helper()
	lines := len(splitLines(data))
	for _, m := range fileLine.FindAllStringSubmatch(msg, -1) {
		if m[1] != path {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		if n < 1 || n > lines {
			t.Errorf("error names line %d of a %d-line file: %s", n, lines, msg)
		}
	}
}

// lineIndex knows, for a YAML file, which lines hold which mapping keys and
// where mappings start, with yaml.v3's line numbers.
type lineIndex struct {
	lines [][]byte
	// keys maps a key to the lines it is written on; plain, written
	// without quotes or escapes.
	keys, plain map[string]map[int]bool
	// starts holds the lines a mapping starts on: its first key's line,
	// or the line of a flow mapping's "{"; plainKeys the plain first keys
	// starting there.
	starts    map[int]bool
	plainKeys map[int][]string
}

func indexLines(t *testing.T, data []byte) *lineIndex {
	t.Helper()
	x := &lineIndex{lines: splitLines(data), keys: map[string]map[int]bool{}, plain: map[string]map[int]bool{}, starts: map[int]bool{}, plainKeys: map[int][]string{}}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		t.Fatalf("Load accepted a file yaml.v3 cannot parse: %v", err)
	}
	x.walk(&root)
	return x
}

func (x *lineIndex) walk(n *yaml.Node) {
	if n == nil || n.Kind == yaml.AliasNode {
		return
	}
	if n.Kind == yaml.MappingNode {
		x.starts[n.Line] = true
		if len(n.Content) > 0 {
			k := n.Content[0]
			x.starts[k.Line] = true
			if k.Kind == yaml.ScalarNode && k.Style == 0 {
				x.plainKeys[k.Line] = append(x.plainKeys[k.Line], k.Value)
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			mark(x.keys, k.Value, k.Line)
			if k.Kind == yaml.ScalarNode && k.Style == 0 {
				mark(x.plain, k.Value, k.Line)
			}
		}
	}
	for _, c := range n.Content {
		x.walk(c)
	}
}

func mark(m map[string]map[int]bool, key string, line int) {
	if m[key] == nil {
		m[key] = map[int]bool{}
	}
	m[key][line] = true
}

// text returns line n, or "" if the file has no such line.
func (x *lineIndex) text(n int) string {
	if n < 1 || n > len(x.lines) {
		return ""
	}
	return string(x.lines[n-1])
}

func (x *lineIndex) inFile(n int) bool { return n >= 1 && n <= len(x.lines) }

// holdsKey reports whether key is written on line n, and in its text if
// written plain (a quoted or escaped key may be spelt otherwise).
func (x *lineIndex) holdsKey(n int, key string) bool {
	return x.inFile(n) && x.keys[key][n] && (!x.plain[key][n] || strings.Contains(x.text(n), key))
}

// holdsMapping reports whether a mapping starts on line n, and every plain
// first key starting there is in its text.
func (x *lineIndex) holdsMapping(n int) bool {
	if !x.inFile(n) || !x.starts[n] {
		return false
	}
	for _, k := range x.plainKeys[n] {
		if !strings.Contains(x.text(n), k) {
			return false
		}
	}
	return true
}

// splitLines splits data at the line breaks YAML knows: "\r\n", "\r",
// "\n", and NEL, LS and PS, which yaml.v3 counts too.
func splitLines(data []byte) [][]byte {
	var out [][]byte
	start := 0
	for i := 0; i < len(data); {
		n := 0
		switch {
		case data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n':
			n = 2
		case data[i] == '\r' || data[i] == '\n':
			n = 1
		case bytes.HasPrefix(data[i:], []byte("\u0085")):
			n = 2
		case bytes.HasPrefix(data[i:], []byte("\u2028")), bytes.HasPrefix(data[i:], []byte("\u2029")):
			n = 3
		}
		if n == 0 {
			i++
			continue
		}
		out = append(out, data[start:i])
		i += n
		start = i
	}
	return append(out, data[start:])
}
