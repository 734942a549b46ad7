package main

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// gitlabCheck is a keyword check of a .gitlab-ci.yml, written from GitLab's
// CI/CD YAML syntax reference (https://docs.gitlab.com/ci/yaml/, with
// https://docs.gitlab.com/ci/yaml/artifacts_reports/ for the report
// types). It is not GitLab's CI JSON schema, which no Go module on the
// module proxy ships, and not GitLab's own linter: it checks that every key
// is a keyword the reference lists where it stands (top level, job,
// default, artifacts, artifacts:reports, rules), that the values whose
// shape a job gets wrong have that shape (script, when, stage, image,
// artifacts), and that every job has something to run (script, trigger or
// run, itself or through extends). Keys starting with "." are hidden jobs
// and templates, which GitLab does not run, and are not checked; nor are
// the keys a job takes from them through extends. Problems come back
// joined, by key.
func gitlabCheck(doc map[string]any) error {
	var errs []error
	stages := []string{".pre", "build", "test", "deploy", ".post"}
	if s, ok := doc["stages"]; ok {
		list, ok := stringList(s)
		if !ok {
			return fmt.Errorf("stages: %v is not a list of strings", s)
		}
		stages = append([]string{".pre", ".post"}, list...)
	}
	for _, k := range slices.Sorted(maps.Keys(doc)) {
		v := doc[k]
		switch {
		case strings.HasPrefix(k, "."):
		case k == "default":
			errs = append(errs, gitlabKeys("default", v, gitlabDefaultKeywords())...)
			if m, ok := v.(map[string]any); ok {
				errs = append(errs, gitlabValues("default", m)...)
			}
		case k == "image", k == "before_script", k == "after_script":
			// Deprecated at the top level, still accepted.
			errs = append(errs, gitlabValues("", map[string]any{k: v})...)
		case slices.Contains(gitlabGlobalKeywords(), k):
		default:
			errs = append(errs, gitlabCheckJob(doc, k, stages)...)
		}
	}
	return errors.Join(errs...)
}

// The keywords and values, as the reference lists them.

// gitlabGlobalKeywords are the global and header keywords, and the
// keywords deprecated at the top level in favour of default.
func gitlabGlobalKeywords() []string {
	return []string{
		"default", "include", "stages", "variables", "workflow", "spec",
		"image", "services", "cache", "before_script", "after_script",
	}
}

// gitlabJobKeywords are the job keywords, with only and except, which the
// reference lists as deprecated but GitLab still accepts.
func gitlabJobKeywords() []string {
	return []string{
		"after_script", "allow_failure", "artifacts", "before_script", "cache", "coverage",
		"dast_configuration", "dependencies", "environment", "extends", "hooks", "identity",
		"id_tokens", "image", "inherit", "interruptible", "manual_confirmation", "needs", "pages",
		"parallel", "release", "resource_group", "retry", "rules", "run", "script", "secrets",
		"services", "stage", "tags", "timeout", "trigger", "variables", "when",
		"only", "except",
	}
}

func gitlabDefaultKeywords() []string {
	return []string{
		"after_script", "artifacts", "before_script", "cache", "hooks", "id_tokens", "image",
		"interruptible", "retry", "services", "tags", "timeout",
	}
}

func gitlabArtifactsKeywords() []string {
	return []string{
		"paths", "exclude", "expire_in", "expose_as", "name", "public", "access", "reports",
		"untracked", "when",
	}
}

func gitlabReportTypes() []string {
	return []string{
		"accessibility", "annotations", "api_fuzzing", "browser_performance", "coverage_report",
		"codequality", "container_scanning", "coverage_fuzzing", "cyclonedx", "dast",
		"dependency_scanning", "dotenv", "junit", "load_performance", "metrics", "requirements",
		"repository_xray", "sast", "secret_detection", "terraform",
	}
}

func gitlabRulesKeywords() []string {
	return []string{
		"if", "changes", "exists", "when", "allow_failure", "needs", "variables",
		"interruptible", "start_in",
	}
}

// gitlabWhen are the values of when, for a job and in rules.
func gitlabWhen() []string {
	return []string{"on_success", "on_failure", "always", "manual", "delayed", "never"}
}

// gitlabCheckJob checks job name: its keywords, their values, its stage, and
// that it has something to run.
func gitlabCheckJob(doc map[string]any, name string, stages []string) []error {
	job, ok := doc[name].(map[string]any)
	if !ok {
		return []error{fmt.Errorf("%s: a job is a map of keywords, not %T (or %q is no global keyword)", name, doc[name], name)}
	}
	errs := gitlabKeys(name, job, gitlabJobKeywords())
	errs = append(errs, gitlabValues(name, job)...)
	stage, ok := "test", true // a job without stage is in test
	if s, set := job["stage"]; set {
		stage, ok = s.(string)
	}
	if !ok {
		errs = append(errs, fmt.Errorf("%s: stage %v is not a string", name, job["stage"]))
	} else if !slices.Contains(stages, stage) {
		errs = append(errs, fmt.Errorf("%s: stage %q is not in stages %q", name, stage, stages))
	}
	if w, ok := job["when"]; ok && !slices.Contains(gitlabWhen(), fmt.Sprint(w)) {
		errs = append(errs, fmt.Errorf("%s: when %q is not one of %q", name, w, gitlabWhen()))
	}
	if err := gitlabRunnable(doc, name, 0); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// gitlabRunnable says whether job name, merged with what it extends, has
// script, trigger or run. An extends naming no job of doc passes only when
// doc includes other files, which may define it.
func gitlabRunnable(doc map[string]any, name string, depth int) error {
	job, _ := doc[name].(map[string]any)
	for _, k := range []string{"script", "trigger", "run"} {
		if _, ok := job[k]; ok {
			return nil
		}
	}
	// GitLab allows 11 levels of extends; more is a loop here.
	if depth > 11 {
		return fmt.Errorf("%s: extends nests too deep", name)
	}
	parents, _ := stringList(job["extends"])
	if p, ok := job["extends"].(string); ok {
		parents = []string{p}
	}
	for _, p := range parents {
		if _, ok := doc[p]; !ok {
			if _, ok := doc["include"]; ok {
				return nil
			}
			return fmt.Errorf("%s: extends %q, which is not defined", name, p)
		}
		if gitlabRunnable(doc, p, depth+1) == nil {
			return nil
		}
	}
	return fmt.Errorf("%s: a job needs script, trigger or run", name)
}

// gitlabValues checks the values of the keywords in m whose shape matters.
func gitlabValues(where string, m map[string]any) []error {
	var errs []error
	at := func(k string) string { return strings.TrimPrefix(where+":"+k, ":") }
	for _, k := range []string{"script", "before_script", "after_script"} {
		if v, ok := m[k]; ok && !isScript(v) {
			errs = append(errs, fmt.Errorf("%s: %v is neither a string nor a list of strings", at(k), v))
		}
	}
	if v, ok := m["image"]; ok {
		switch img := v.(type) {
		case string:
		case map[string]any:
			if _, ok := img["name"].(string); !ok {
				errs = append(errs, fmt.Errorf("%s: a map without name", at("image")))
			}
		default:
			errs = append(errs, fmt.Errorf("%s: %v is neither a string nor a map with name", at("image"), v))
		}
	}
	if v, ok := m["artifacts"]; ok {
		errs = append(errs, gitlabArtifacts(at("artifacts"), v)...)
	}
	if v, ok := m["rules"]; ok {
		errs = append(errs, gitlabRules(at("rules"), v)...)
	}
	return errs
}

func gitlabArtifacts(where string, v any) []error {
	errs := gitlabKeys(where, v, gitlabArtifactsKeywords())
	a, ok := v.(map[string]any)
	if !ok {
		return errs
	}
	for _, k := range []string{"paths", "exclude"} {
		if p, ok := a[k]; ok {
			if _, ok := stringList(p); !ok {
				errs = append(errs, fmt.Errorf("%s:%s: %v is not a list of strings", where, k, p))
			}
		}
	}
	for _, k := range []string{"expire_in", "expose_as", "name"} {
		if s, ok := a[k]; ok {
			if _, ok := s.(string); !ok {
				errs = append(errs, fmt.Errorf("%s:%s: %v is not a string", where, k, s))
			}
		}
	}
	for _, k := range []string{"public", "untracked"} {
		if b, ok := a[k]; ok {
			if _, ok := b.(bool); !ok {
				errs = append(errs, fmt.Errorf("%s:%s: %v is not true or false", where, k, b))
			}
		}
	}
	enums := map[string][]string{"when": {"on_success", "on_failure", "always"}, "access": {"all", "developer", "maintainer", "none"}}
	for k, values := range enums {
		if w, ok := a[k]; ok && !slices.Contains(values, fmt.Sprint(w)) {
			errs = append(errs, fmt.Errorf("%s:%s: %q is not one of %q", where, k, w, values))
		}
	}
	if r, ok := a["reports"]; ok {
		errs = append(errs, gitlabReports(where+":reports", r)...)
	}
	return errs
}

// gitlabReports checks artifacts:reports: known report types, each a path
// or a list of paths, except coverage_report, a map of coverage_format and
// path.
func gitlabReports(where string, v any) []error {
	errs := gitlabKeys(where, v, gitlabReportTypes())
	reports, _ := v.(map[string]any)
	for _, k := range slices.Sorted(maps.Keys(reports)) {
		r := reports[k]
		if k == "coverage_report" {
			errs = append(errs, gitlabKeys(where+":"+k, r, []string{"coverage_format", "path"})...)
			continue
		}
		if _, ok := r.(string); ok {
			continue
		}
		if _, ok := stringList(r); !ok {
			errs = append(errs, fmt.Errorf("%s:%s: %v is neither a path nor a list of paths", where, k, r))
		}
	}
	return errs
}

func gitlabRules(where string, v any) []error {
	list, ok := v.([]any)
	if !ok {
		return []error{fmt.Errorf("%s: %v is not a list", where, v)}
	}
	var errs []error
	for i, r := range list {
		at := fmt.Sprintf("%s[%d]", where, i)
		errs = append(errs, gitlabKeys(at, r, gitlabRulesKeywords())...)
		rule, _ := r.(map[string]any)
		if w, ok := rule["when"]; ok && !slices.Contains(gitlabWhen(), fmt.Sprint(w)) {
			errs = append(errs, fmt.Errorf("%s:when: %q is not one of %q", at, w, gitlabWhen()))
		}
		if c, ok := rule["if"]; ok {
			if _, ok := c.(string); !ok {
				errs = append(errs, fmt.Errorf("%s:if: %v is not a string", at, c))
			}
		}
	}
	return errs
}

// gitlabKeys checks that v is a map whose keys are all in known.
func gitlabKeys(where string, v any, known []string) []error {
	m, ok := v.(map[string]any)
	if !ok {
		return []error{fmt.Errorf("%s: %v is not a map", where, v)}
	}
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(known, k) {
			errs = append(errs, fmt.Errorf("%s: unknown keyword %q", where, k))
		}
	}
	return errs
}

// isScript says whether v is a script: a string, or a list of strings and
// of lists of strings, which YAML anchors make and GitLab flattens.
func isScript(v any) bool {
	switch s := v.(type) {
	case string:
		return true
	case []any:
		for _, line := range s {
			if _, ok := line.(string); !ok {
				if _, ok := line.([]any); !ok || !isScript(line) {
					return false
				}
			}
		}
		return len(s) > 0
	}
	return false
}

// stringList returns v as a list of strings.
func stringList(v any) ([]string, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}
