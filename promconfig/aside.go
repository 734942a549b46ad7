package promconfig

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/prometheus/prometheus/discovery"
	"gopkg.in/yaml.v3"
)

// sdKeySuffix ends the key of every service discovery section of a scrape config.
const sdKeySuffix = "_sd_configs"

// prometheusSDNames are the kinds of service discovery that Prometheus
// v0.316.0 builds in (discovery/install), sorted: the "<name>_sd_configs"
// keys a real prometheus.yml may contain.
func prometheusSDNames() []string {
	return []string{
		"aws", "azure", "consul", "digitalocean", "dns", "docker", "dockerswarm",
		"ec2", "ecs", "elasticache", "eureka", "file", "gce", "hetzner", "http",
		"ionos", "kubernetes", "kuma", "lightsail", "linode", "marathon", "msk",
		"nerve", "nomad", "oci", "openstack", "outscale", "ovhcloud", "puppetdb",
		"rds", "scaleway", "serverset", "stackit", "triton", "uyuni", "vultr",
	}
}

// setAsideKey reports whether a scrape config key holds a kind of service
// discovery that Prometheus knows but this binary does not register (see
// register.go): its sections cannot reach Prometheus's strict decoder, so
// they are set aside before loading. A key that no Prometheus knows is left
// in place, for Prometheus to reject with its own message.
func setAsideKey(key string, registered []string) bool {
	name, ok := strings.CutSuffix(key, sdKeySuffix)
	return ok && slices.Contains(prometheusSDNames(), name) && !slices.Contains(registered, name)
}

// asideSection is a service discovery key set aside from a job, with the
// number of sections under it.
type asideSection struct {
	key   string
	count int
}

// setAside blanks out, in a copy of data, every set-aside service discovery
// key of every job together with its value, replacing each byte but line
// breaks with a space so that every remaining line and column is where it
// was and Prometheus's messages keep pointing at the user's text. It returns
// data itself when nothing is set aside, and the sections set aside per
// job_name. The blanked text is parsed again and must mean exactly the
// original minus those sections; anything else is refused.
func setAside(file string, data []byte, root *yaml.Node) ([]byte, map[string][]asideSection, error) {
	top := body(root)
	if top == nil || top.Kind != yaml.MappingNode {
		return data, nil, nil
	}
	registered := discovery.RegisteredConfigNames()
	var (
		out   []byte
		aside = map[string][]asideSection{}
		lines = lineStarts(data)
		// first is the first key set aside, which errors about the
		// whole text name.
		first *yaml.Node
	)
	for ri := 0; ri+1 < len(top.Content); ri += 2 {
		if top.Content[ri].Value != "scrape_configs" || top.Content[ri+1].Kind != yaml.SequenceNode {
			continue
		}
		jobs := top.Content[ri+1]
		for ji, job := range jobs.Content {
			if job.Kind != yaml.MappingNode {
				continue // an alias is handled where its anchor is written
			}
			for ki := 0; ki+1 < len(job.Content); ki += 2 {
				key := job.Content[ki]
				if key.Kind != yaml.ScalarNode || !setAsideKey(key.Value, registered) {
					continue
				}
				if out == nil {
					out = bytes.Clone(data)
					first = key
				}
				at := Position{File: file, Line: key.Line}
				if top.Style&yaml.FlowStyle != 0 || jobs.Style&yaml.FlowStyle != 0 || job.Style&yaml.FlowStyle != 0 {
					return nil, nil, fmt.Errorf("%s: cannot set aside %s from a flow-style ({...}) job; write the job in block style", at, key.Value)
				}
				start, ok := lines.offset(data, key.Line, key.Column)
				if !ok || !onlyIndent(data[lines.start(key.Line):start], ki == 0) {
					return nil, nil, fmt.Errorf("%s: cannot set aside %s: unsupported YAML layout", at, key.Value)
				}
				end, ok := pairEnd(data, lines, top, ri, jobs, ji, ki)
				if !ok {
					return nil, nil, fmt.Errorf("%s: cannot set aside %s: unsupported YAML layout", at, key.Value)
				}
				blank(out[start:end])
				name := jobName(job)
				aside[name] = append(aside[name], asideSection{key: key.Value, count: len(resolve(job.Content[ki+1]).Content)})
			}
		}
	}
	if out == nil {
		return data, nil, nil
	}
	var want any
	if yaml.Unmarshal(data, &want) != nil {
		// yaml.v3 cannot say what the file means (duplicate keys, say), so
		// nothing can be checked: hand Prometheus the file as written, for
		// its own verdict.
		return data, nil, nil
	}
	if err := checkSetAside(want, out, registered); err != nil {
		return nil, nil, fmt.Errorf("%s: cannot set aside %s: %w", Position{File: file, Line: first.Line}, first.Value, err)
	}
	return out, aside, nil
}

// pairEnd returns the offset where the key/value pair ki of job ji ends: at
// the next key of the job, else at the line of the next job's "-", else at the
// line of the next top-level key, else at the end of the file.
func pairEnd(data []byte, lines lineIndex, top *yaml.Node, ri int, jobs *yaml.Node, ji, ki int) (int, bool) {
	job := jobs.Content[ji]
	if ki+2 < len(job.Content) {
		next := job.Content[ki+2]
		end, ok := lines.offset(data, next.Line, next.Column)
		return end, ok && onlyIndent(data[lines.start(next.Line):end], false)
	}
	if ji+1 < len(jobs.Content) {
		// The next job's "-" may sit on a line of its own above its content.
		for l := jobs.Content[ji+1].Line; l > job.Line; l-- {
			dash, ok := lines.offset(data, l, jobs.Column)
			if ok && dash < len(data) && data[dash] == '-' && onlyIndent(data[lines.start(l):dash], false) {
				return lines.start(l), true
			}
		}
		return 0, false
	}
	if ri+2 < len(top.Content) {
		next := top.Content[ri+2]
		end, ok := lines.offset(data, next.Line, next.Column)
		return lines.start(next.Line), ok && onlyIndent(data[lines.start(next.Line):end], false)
	}
	return len(data), true
}

// onlyIndent reports whether b, the text before a key on its line, is only
// indentation, or, for a job's first key, indentation around the job's "-".
func onlyIndent(b []byte, dashAllowed bool) bool {
	s := strings.TrimLeft(string(b), " ")
	if dashAllowed && strings.HasPrefix(s, "-") {
		s = strings.TrimLeft(s[1:], " ")
	}
	return s == ""
}

// blank replaces every byte but line breaks with a space.
func blank(b []byte) {
	for i, c := range b {
		if c != '\n' && c != '\r' {
			b[i] = ' '
		}
	}
}

// jobName returns a job mapping's job_name, or "" when it has none.
func jobName(job *yaml.Node) string {
	_, v := lookup(job, "job_name")
	if v = resolve(v); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// checkSetAside parses the blanked text again and compares what it means
// with want, what the original means, minus every set-aside section.
func checkSetAside(want any, blanked []byte, registered []string) error {
	var got any
	if err := yaml.Unmarshal(blanked, &got); err != nil {
		return fmt.Errorf("the text left would not parse (%w); unsupported YAML layout", flat(err))
	}
	if top, ok := want.(map[string]any); ok {
		if jobs, ok := top["scrape_configs"].([]any); ok {
			for _, j := range jobs {
				if m, ok := j.(map[string]any); ok {
					for k := range m {
						if setAsideKey(k, registered) {
							delete(m, k)
						}
					}
				}
			}
		}
	}
	if !reflect.DeepEqual(want, got) {
		return errors.New("the rest of the file would change meaning; unsupported YAML layout")
	}
	return nil
}

// lineIndex holds the offset at which each line starts.
type lineIndex []int

func lineStarts(data []byte) lineIndex {
	idx := lineIndex{0}
	for i, c := range data {
		if c == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

// start returns the offset of the start of a 1-based line.
func (l lineIndex) start(line int) int {
	if line < 1 {
		return 0
	}
	if line > len(l) {
		return l[len(l)-1]
	}
	return l[line-1]
}

// offset converts a yaml.v3 position (1-based line, 1-based column counted
// in characters) to a byte offset, reporting false when it is not in data.
func (l lineIndex) offset(data []byte, line, column int) (int, bool) {
	if line < 1 || line > len(l) || column < 1 {
		return 0, false
	}
	off := l[line-1]
	for range column - 1 {
		if off >= len(data) || data[off] == '\n' {
			return 0, false
		}
		_, size := utf8.DecodeRune(data[off:])
		off += size
	}
	return off, true
}
