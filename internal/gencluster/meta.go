package gencluster

import (
	"sort"
	"strings"
)

// labelChoices are label keys, each with the values it may take. Some keys
// sanitize to the same label name ("team.name", "team-name", "team_name");
// at most one of them goes on an object.
func labelChoices() [][]string {
	return [][]string{
		{"app.kubernetes.io/name", "web", "api", "db"},
		{"app.kubernetes.io/part-of", "shop", "platform"},
		{"app.kubernetes.io/managed-by", "Helm", "kustomize"},
		{"helm.sh/chart", "shop-1.2.3"},
		{"tier", "frontend", "backend", ""},
		{"env", "prod", "staging"},
		{"version", "v1", "v2.0.1"},
		{"team.name", "sre"},
		{"team-name", "payments"},
		{"team_name", "search"},
		{"example.com/owner", "alice", "bob"},
		{"k8s.example.io/TitleCase", "Yes"},
		{"9lives", "cat"},
		{"empty", ""},
	}
}

// annotationChoices are annotation keys with values, including non-ASCII
// keys and values (keys are sanitized per rune) and long JSON.
func annotationChoices() [][]string {
	return [][]string{
		{"prometheus.io/scrape", "true", "false"},
		{"prometheus.io/port", "8080", "9090"},
		{"prometheus.io/path", "/metrics", "/-/metrics"},
		{"prometheus.io/scheme", "https"},
		{"kubectl.kubernetes.io/last-applied-configuration", `{"apiVersion":"v1","kind":"Thing","metadata":{"name":"x"}}`},
		{"deployment.kubernetes.io/revision", "3"},
		{"description", "héllo wörld, 日本語", "multi\nline"},
		{"ünïcode.example/ключ", "värde"},
		{"note-1", "one"},
		{"note.1", "one dot"},
		{"empty", ""},
	}
}

// sanitize is Prometheus's label name sanitizing: each rune that is not an
// ASCII letter, digit or underscore becomes an underscore.
func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// addKV sets k=v in m unless another key of m sanitizes to the same name.
// It reports whether it did.
func addKV(m map[string]string, k, v string) bool {
	if _, ok := m[k]; ok {
		m[k] = v
		return true
	}
	s := sanitize(k)
	for existing := range m {
		if sanitize(existing) == s {
			return false
		}
	}
	m[k] = v
	return true
}

// kvs returns base plus up to n random entries from choices, or nil when
// the result would be empty and the coin says to leave the map unset.
func (g *gen) kvs(base map[string]string, choices [][]string, n int) map[string]string {
	m := map[string]string{}
	for _, k := range sortedKeys(base) {
		addKV(m, k, base[k])
	}
	for i := g.intn(n + 1); i > 0; i-- {
		c := choices[g.intn(len(choices))]
		addKV(m, c[0], c[1+g.intn(len(c)-1)])
	}
	if len(m) == 0 && g.chance(0.5) {
		return nil
	}
	return m
}

func (g *gen) labels(base map[string]string) map[string]string {
	return g.kvs(base, labelChoices(), 4)
}

func (g *gen) annotations() map[string]string {
	return g.kvs(nil, annotationChoices(), 3)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
