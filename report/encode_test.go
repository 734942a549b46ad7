package report

import (
	"encoding/json"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// randomText draws strings from pieces that encoding/json treats each in
// its own way: plain text, quotes and backslashes, control characters,
// HTML characters, multi-byte runes, U+2028/U+2029 and invalid UTF-8.
func randomText(r *rand.Rand) string {
	pieces := []string{"", "a", "web-0", `"`, `\`, "\n", "\r", "\t", "\b", "\f", "\x00", "\x1f", "\x7f",
		"<", ">", "&", "ü", "日本", "\u2028", "\u2029", "\xff", "\xc3", "\xe2\x80", "\U0001F600", "/", " "}
	var s string
	for range r.IntN(6) {
		s += pieces[r.IntN(len(pieces))]
	}
	return s
}

func randomLabels(r *rand.Rand) map[string]string {
	switch r.IntN(5) {
	case 0:
		return nil
	case 1:
		return map[string]string{}
	}
	m := map[string]string{}
	for range r.IntN(8) {
		m[randomText(r)] = randomText(r)
	}
	return m
}

func randomRule(r *rand.Rand) Rule {
	return Rule{Index: r.IntN(40) - 1, Action: randomText(r), File: randomText(r), Line: r.IntN(3) * r.IntN(1000)}
}

func randomTarget(r *rand.Rand) Target {
	t := Target{Source: randomText(r), Index: r.IntN(1 << 20), State: randomText(r),
		DiscoveredLabels: randomLabels(r), Labels: randomLabels(r), PublicLabels: randomLabels(r),
		ScrapeURL: randomText(r), Error: randomText(r)}
	if r.IntN(2) == 0 {
		t.DuplicateOf = &TargetRef{Source: randomText(r), Index: r.IntN(100)}
	}
	if r.IntN(2) == 0 {
		rule := randomRule(r)
		t.DroppedBy = &rule
	}
	switch r.IntN(3) {
	case 0:
		t.Trace = []Step{}
	case 1:
		for range 1 + r.IntN(4) {
			s := Step{Rule: randomRule(r), Result: randomText(r), Labels: randomLabels(r)}
			if r.IntN(3) == 0 {
				s.Changes = []Change{}
			}
			for range r.IntN(3) {
				s.Changes = append(s.Changes, Change{Label: randomText(r), Before: randomText(r), After: randomText(r)})
			}
			t.Trace = append(t.Trace, s)
		}
	}
	return t
}

func pairsOf(m map[string]string) []Label {
	var out []Label
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, Label{k, m[k]})
	}
	return out
}

// TestAppendTargetMatchesEncodingJSON holds the hand-written encoder to
// encoding/json on random targets: every field present and absent, nil
// and empty maps and slices, and text of every kind JSON escapes.
func TestAppendTargetMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(6, 7))
	for i := range 3000 {
		tg := randomTarget(r)
		prefix := []string{"", "  ", "        "}[i%3]
		want, err := json.MarshalIndent(&tg, prefix, "  ")
		if err != nil {
			t.Fatal(err)
		}
		if got := appendTarget(nil, &tg, nil, prefix); string(got) != string(want) {
			t.Fatalf("target %d differs from encoding/json (-want +got):\n%s", i, cmp.Diff(string(want), string(got)))
		}
		// The same label sets as sorted pairs, where the maps are not nil
		// (pairs cannot say null).
		if tg.DiscoveredLabels == nil || tg.Labels == nil {
			continue
		}
		sorted := &SortedLabels{Discovered: pairsOf(tg.DiscoveredLabels), Labels: pairsOf(tg.Labels), Public: pairsOf(tg.PublicLabels)}
		noMaps := tg
		noMaps.DiscoveredLabels, noMaps.Labels, noMaps.PublicLabels = nil, nil, nil
		if got := appendTarget(nil, &noMaps, sorted, prefix); string(got) != string(want) {
			t.Fatalf("target %d from sorted pairs differs from encoding/json (-want +got):\n%s", i, cmp.Diff(string(want), string(got)))
		}
	}
}

// TestDuplicateOfSpliced: a target written by AppendTargetAt without its
// duplicateOf, with AppendDuplicateOf's bytes inserted at the offset it
// returns, is what AppendTarget writes with it, wherever the members
// around it are present or absent.
func TestDuplicateOfSpliced(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(8, 9))
	spliced := 0
	for i := range 3000 {
		tg := randomTarget(r)
		want := AppendTarget([]byte("x"), &tg, nil)
		ref := tg.DuplicateOf
		tg.DuplicateOf = nil
		got, at := AppendTargetAt([]byte("x"), &tg, nil)
		if ref != nil {
			got = append(got[:at:at], append(AppendDuplicateOf(nil, ref), got[at:]...)...)
			spliced++
		}
		if string(got) != string(want) {
			t.Fatalf("target %d (-AppendTarget +spliced):\n%s", i, cmp.Diff(string(want), string(got)))
		}
	}
	if spliced == 0 {
		t.Fatal("no target with duplicateOf: the splice is not exercised")
	}
}

// FuzzAppendString holds string quoting to encoding/json's on any bytes.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "<a&b>", "\u2028\xff\x00\"\\", "日本\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendString(nil, s); string(got) != string(want) {
			t.Errorf("appendString(%q) = %s, encoding/json: %s", s, got, want)
		}
	})
}

// TestAppendStringWords puts every byte that is not copied as it is at
// every position of two 8-byte words, where plainWords looks at a word at
// a time, and holds the quoting to encoding/json's.
func TestAppendStringWords(t *testing.T) {
	t.Parallel()
	special := []string{"\x00", "\x1f", "\"", "\\", "<", ">", "&", "\x7f", "é", "\xff", "\u2028"}
	for _, c := range special {
		for i := range 17 {
			s := strings.Repeat("a", i) + c + strings.Repeat("b", 16-i)
			want, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			if got := appendString(nil, s); string(got) != string(want) {
				t.Errorf("appendString(%q) = %s, encoding/json: %s", s, got, want)
			}
		}
	}
}

// TestSeenMatchesEncodingJSON holds targets written with Seen, most of
// whose label sets are the set before with a label added, removed or
// changed (as a pod's containers share most of theirs), to encoding/json,
// at indents that change now and then. The targets are appended to one
// buffer, which is emptied now and then, after Seen forgets.
func TestSeenMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(8, 9))
	like := func(m map[string]string) map[string]string {
		out := maps.Clone(m)
		if out == nil {
			out = map[string]string{}
		}
		for range r.IntN(3) {
			k := randomText(r)
			switch r.IntN(3) {
			case 0:
				out[k] = randomText(r)
			case 1:
				for k := range out {
					delete(out, k)
					break
				}
			default:
				for k := range out {
					out[k] = randomText(r)
					break
				}
			}
		}
		return out
	}
	seen := &Seen{}
	var last Target
	var buf []byte
	for i := range 5000 {
		tg := randomTarget(r)
		if i > 0 && r.IntN(5) != 0 {
			tg.DiscoveredLabels, tg.Labels, tg.PublicLabels = like(last.DiscoveredLabels), like(last.Labels), like(last.PublicLabels)
		}
		if tg.DiscoveredLabels == nil || tg.Labels == nil { // pairs cannot say null
			continue
		}
		prefix := "  "
		if r.IntN(20) == 0 {
			prefix = []string{"", "        "}[r.IntN(2)]
		}
		want, err := json.MarshalIndent(&tg, prefix, "  ")
		if err != nil {
			t.Fatal(err)
		}
		sorted := &SortedLabels{Discovered: pairsOf(tg.DiscoveredLabels), Labels: pairsOf(tg.Labels), Public: pairsOf(tg.PublicLabels), Seen: seen}
		noMaps := tg
		noMaps.DiscoveredLabels, noMaps.Labels, noMaps.PublicLabels = nil, nil, nil
		start := len(buf)
		buf = appendTarget(append(buf, 'x'), &noMaps, sorted, prefix)
		if got := buf[start+1:]; string(got) != string(want) {
			t.Fatalf("target %d differs from encoding/json (-want +got):\n%s", i, cmp.Diff(string(want), string(got)))
		}
		if r.IntN(10) == 0 {
			seen.Forget()
			buf = buf[:0]
		}
		last = tg
	}
}
