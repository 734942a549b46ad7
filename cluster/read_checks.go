package cluster

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/sdinspect/sdinspect/internal/yamlnode"
)

// nothingRead returns the error of a Read whose files held objects, but
// none of a kind it keeps: a ConfigMap list, say, or manifests of
// Deployments. Such input is the wrong file more often than a cluster
// without a pod, and an empty result would hide that.
func (r *reader) nothingRead(paths []string) error {
	if len(r.skippedKinds) == 0 || len(r.seen) > 0 {
		return nil
	}
	keys := slices.SortedFunc(maps.Keys(r.skippedKinds), func(a, b skipKey) int {
		return strings.Compare(a.kind+" "+a.apiVersion, b.kind+" "+b.apiVersion)
	})
	counts := make([]string, len(keys))
	for i, k := range keys {
		counts[i] = fmt.Sprintf("%s of kind %s (%s)", plural(r.skippedKinds[k], "object", "objects"), k.kind, k.apiVersion)
	}
	why := "sdinspect reads only " + keptKinds
	if len(keys) == 1 {
		why = whyNotRead(keys[0].apiVersion, keys[0].kind)
	}
	quoted := make([]string, len(paths))
	for i, p := range paths {
		quoted[i] = fmt.Sprintf("%q", p)
	}
	return fmt.Errorf("reading snapshot %s: no object of a kind sdinspect reads, only %s: %s",
		strings.Join(quoted, ", "), strings.Join(counts, ", "), why)
}

// checkLabels refuses labels the API server refuses: a key that is not a
// qualified name, a value longer than 63 characters or not of the allowed
// characters. Discovery turns labels into target labels, so a snapshot
// holding such an object would give targets no cluster can have.
func checkLabels(labels map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			return fmt.Errorf("label key %s: %s", shortQuote(k), strings.Join(errs, "; "))
		}
		v := labels[k]
		if len(v) > validation.LabelValueMaxLength {
			return fmt.Errorf("label %s: the value has %d bytes; the API server allows at most %d", shortQuote(k), len(v), validation.LabelValueMaxLength)
		}
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			return fmt.Errorf("label %s: value %s: %s", shortQuote(k), shortQuote(v), strings.Join(errs, "; "))
		}
	}
	return nil
}

// shortQuote quotes s for a message, cut to 64 bytes.
func shortQuote(s string) string {
	const max = 64
	if len(s) <= max {
		return fmt.Sprintf("%q", s)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%q… (%d bytes)", s[:cut], len(s))
}

// binaryLine returns the line of the first NUL byte of head, the start of
// a file, if it has one. Neither YAML nor JSON text holds a NUL byte;
// binary files, and text in UTF-16, do.
func binaryLine(head []byte) (int, bool) {
	i := bytes.IndexByte(head, 0)
	if i < 0 {
		return 0, false
	}
	return bytes.Count(head[:i], []byte("\n")) + 1, true
}

// readerProblemPos returns where in doc, a YAML document starting on line
// first, the YAML reader found what err reports: a byte that is not UTF-8
// or a character YAML does not allow. go-yaml reports those without a line.
func readerProblemPos(err error, doc []byte, first int) (position, bool) {
	if !yamlnode.IsReaderError(yamlErrorText(err)) {
		return position{}, false
	}
	line, column, ok := yamlnode.BadCharacter(doc)
	if !ok {
		return position{}, false
	}
	return position{line: first + line - 1, column: column}, true
}
