package main

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestGitLabCheck shows what the keyword check of the README's GitLab job
// accepts and that it can fail: each broken variant of a valid
// .gitlab-ci.yml must be refused, with the reason.
func TestGitLabCheck(t *testing.T) {
	tests := []struct {
		name, yaml string
		wantErr    string // "" for a valid file
	}{
		{"minimal job", "job:\n  script: make\n", ""},
		{"everything the reference allows", `
stages: [build, check]
default:
  image: {name: golang:1.26, entrypoint: [""]}
  before_script: [go version]
variables: {GOFLAGS: -mod=mod}
workflow:
  rules: [{if: $CI_COMMIT_BRANCH}]
.anchors:
  anything: [goes, in a hidden key]
.template:
  script: [make]
build:
  stage: build
  extends: .template
check:
  stage: check
  when: manual
  script:
    - make check
    - [nested, from, an, anchor]
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
      when: always
  artifacts:
    when: on_failure
    access: developer
    expire_in: 1 week
    paths: [out/]
    reports:
      junit: report.xml
      codequality: [cq.json]
      coverage_report: {coverage_format: cobertura, path: coverage.xml}
`, ""},
		{"unknown job keyword", "job:\n  script: make\n  scripts: make\n", `job: unknown keyword "scripts"`},
		{"unknown report type", "job:\n  script: make\n  artifacts:\n    reports:\n      junit-xml: r.xml\n", `job:artifacts:reports: unknown keyword "junit-xml"`},
		{"unknown artifacts keyword", "job:\n  script: make\n  artifacts:\n    path: [a]\n", `job:artifacts: unknown keyword "path"`},
		{"bad when", "job:\n  script: make\n  when: sometimes\n", `job: when "sometimes" is not one of`},
		{"bad when in rules", "job:\n  script: make\n  rules:\n    - when: later\n", `job:rules[0]:when: "later" is not one of`},
		{"bad artifacts:when", "job:\n  script: make\n  artifacts:\n    when: never\n", `job:artifacts:when: "never" is not one of`},
		{"job without script", "job:\n  image: golang\n", "job: a job needs script, trigger or run"},
		{"extends a job without script", ".t:\n  image: golang\njob:\n  extends: .t\n", "job: a job needs script, trigger or run"},
		{"extends nothing", "job:\n  extends: .t\n", `job: extends ".t", which is not defined`},
		{"script is a map", "job:\n  script: {run: make}\n", "job:script: map[run:make] is neither a string nor a list of strings"},
		{"script holds a number", "job:\n  script: [make, 3]\n", "job:script: [make 3] is neither"},
		{"stage not in stages", "stages: [build]\njob:\n  stage: deploy\n  script: make\n", `job: stage "deploy" is not in stages`},
		{"default stage test not in stages", "stages: [build]\njob:\n  script: make\n", `job: stage "test" is not in stages`},
		{"stage not a default stage", "job:\n  stage: lint\n  script: make\n", `job: stage "lint" is not in stages`},
		{"image map without name", "job:\n  script: make\n  image: {entrypoint: [sh]}\n", "job:image: a map without name"},
		{"rules keyword in default", "default:\n  rules: []\njob:\n  script: make\n", `default: unknown keyword "rules"`},
		{"a job that is a string", "stage: test\njob:\n  script: make\n", "stage: a job is a map of keywords"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc map[string]any
			if err := yaml.Unmarshal([]byte(tt.yaml), &doc); err != nil {
				t.Fatal(err)
			}
			err := gitlabCheck(doc)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("a valid file is refused: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("a broken file passes, want %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}
