package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/url"
	"path/filepath"
	"strings"
)

// SARIFSchema is the $schema of sdinspect's SARIF: the OASIS SARIF 2.1.0
// schema with its errata, which GitHub code scanning accepts.
const SARIFSchema = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

// sarifFingerprint names sdinspect's partial fingerprint, versioned so
// that a change in what it hashes does not merge unrelated alerts.
const sarifFingerprint = "sdinspectFinding/v1"

// The SARIF objects sdinspect writes; field order is the output's key
// order.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool              sarifTool              `json:"tool"`
		AutomationDetails sarifAutomationDetails `json:"automationDetails"`
		Results           []sarifResult          `json:"results"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		Version        string      `json:"version,omitempty"`
		InformationURI string      `json:"informationUri"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifAutomationDetails struct {
		ID string `json:"id"`
	}
	sarifRule struct {
		ID                   string       `json:"id"`
		Name                 string       `json:"name,omitempty"`
		ShortDescription     sarifMessage `json:"shortDescription"`
		FullDescription      sarifMessage `json:"fullDescription"`
		DefaultConfiguration sarifConfig  `json:"defaultConfiguration"`
		Help                 sarifMessage `json:"help"`
		HelpURI              string       `json:"helpUri"`
	}
	sarifConfig struct {
		Level string `json:"level"`
	}
	sarifMessage struct {
		Text string `json:"text"`
	}
	sarifResult struct {
		RuleID              string            `json:"ruleId"`
		RuleIndex           int               `json:"ruleIndex"`
		Level               string            `json:"level"`
		Message             sarifMessage      `json:"message"`
		Locations           []sarifLocation   `json:"locations,omitempty"`
		PartialFingerprints map[string]string `json:"partialFingerprints"`
	}
	sarifLocation struct {
		PhysicalLocation sarifPhysicalLocation `json:"physicalLocation"`
	}
	sarifPhysicalLocation struct {
		ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
		Region           *sarifRegion          `json:"region,omitempty"`
	}
	sarifArtifactLocation struct {
		URI       string `json:"uri"`
		URIBaseID string `json:"uriBaseId,omitempty"`
	}
	sarifRegion struct {
		StartLine int `json:"startLine"`
	}
)

// writeSARIF writes a SARIF 2.1.0 log with one run: every case that has a
// finding is a result; cases that passed with nothing to say are not.
// Absolute paths under wd are made relative to it.
func writeSARIF(w io.Writer, ci *CI, wd string) error {
	rules, index := sarifRules(ci)
	results := []sarifResult{}
	for _, c := range ci.Cases {
		if c.Finding == nil {
			continue
		}
		results = append(results, sarifResultOf(c.Finding, c.Key, index[c.Finding.ID], wd))
	}
	log := sarifLog{
		Schema:  SARIFSchema,
		Version: "2.1.0",
		Runs: []sarifRun{{
			Tool: sarifTool{Driver: sarifDriver{
				Name: "sdinspect", Version: ci.Version,
				InformationURI: "https://github.com/sdinspect/sdinspect",
				Rules:          rules,
			}},
			// GitHub keeps one set of alerts per category: check and diff
			// uploads must not close each other's alerts.
			AutomationDetails: sarifAutomationDetails{ID: sarifCategory(ci)},
			Results:           results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(log)
}

// sarifCategory is the run's automation ID, "sdinspect/check/": a
// category, then an empty run ID, as GitHub reads it.
func sarifCategory(ci *CI) string {
	if ci.Command == "" {
		return "sdinspect/"
	}
	return "sdinspect/" + ci.Command + "/"
}

// sarifRules is the rule table: ci.Rules in their order, then any ID a
// finding uses that ci.Rules lacks, so that every result has a ruleIndex.
func sarifRules(ci *CI) ([]sarifRule, map[string]int) {
	rules := []sarifRule{}
	index := map[string]int{}
	add := func(r RuleInfo) {
		if _, ok := index[r.ID]; ok {
			return
		}
		index[r.ID] = len(rules)
		rules = append(rules, sarifRuleOf(r))
	}
	for _, r := range ci.Rules {
		add(r)
	}
	for _, c := range ci.Cases {
		if f := c.Finding; f != nil {
			add(RuleInfo{ID: f.ID, Name: f.Name, Severity: f.Severity})
		}
	}
	return rules, index
}

func sarifRuleOf(r RuleInfo) sarifRule {
	desc := r.Description
	if desc == "" {
		desc = strings.TrimSpace(r.ID + " " + r.Name)
	}
	short, _, _ := strings.Cut(desc, "\n")
	return sarifRule{
		ID:                   r.ID,
		Name:                 r.Name,
		ShortDescription:     sarifMessage{Text: short},
		FullDescription:      sarifMessage{Text: desc},
		DefaultConfiguration: sarifConfig{Level: sarifLevel(r.Severity)},
		Help:                 sarifMessage{Text: desc},
		HelpURI:              "https://github.com/sdinspect/sdinspect#checking-configs-in-ci",
	}
}

func sarifResultOf(f *Finding, key string, ruleIndex int, wd string) sarifResult {
	text := jobMessage(f)
	if f.Suggestion != "" {
		text += "\n" + f.Suggestion
	}
	r := sarifResult{
		RuleID:              f.ID,
		RuleIndex:           ruleIndex,
		Level:               sarifLevel(f.Severity),
		Message:             sarifMessage{Text: text},
		PartialFingerprints: map[string]string{sarifFingerprint: fingerprint(f, key)},
	}
	if f.File != "" {
		loc := sarifLocation{PhysicalLocation: sarifPhysicalLocation{ArtifactLocation: artifactLocation(f.File, wd)}}
		if f.Line > 0 {
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: f.Line}
		}
		r.Locations = []sarifLocation{loc}
	}
	return r
}

// sarifLevel maps a severity to a SARIF level; SARIF's default level,
// warning, stands for anything unknown.
func sarifLevel(s Severity) string {
	switch s {
	case Error:
		return "error"
	case Info:
		return "note"
	}
	return "warning"
}

// fingerprint identifies a finding across runs for GitHub's deduplication:
// its ID, job, file and key (its message when it has none), not its line,
// so that the alert survives lines moving above it.
func fingerprint(f *Finding, key string) string {
	if key == "" {
		key = f.Message
	}
	h := sha256.New()
	for _, s := range []string{f.ID, f.Job, filepath.ToSlash(f.File), key} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// artifactLocation turns a file name into a SARIF artifact location: a
// relative path stays relative to the checkout (%SRCROOT%, which GitHub
// resolves to the repository root); an absolute one under wd is made
// relative to wd; any other absolute path becomes a file:// URI.
func artifactLocation(file, wd string) sarifArtifactLocation {
	p := file
	if filepath.IsAbs(p) {
		rel, err := filepath.Rel(wd, p)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			abs := filepath.ToSlash(p)
			if !strings.HasPrefix(abs, "/") {
				abs = "/" + abs // a Windows drive: file:///C:/...
			}
			return sarifArtifactLocation{URI: (&url.URL{Scheme: "file", Path: abs}).String()}
		}
		p = rel
	}
	return sarifArtifactLocation{URI: (&url.URL{Path: filepath.ToSlash(p)}).String(), URIBaseID: "%SRCROOT%"}
}
