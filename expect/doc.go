// Package expect holds sdinspect's relabel unit tests: the test file format
// (YAML, read with gopkg.in/yaml.v3 so that every test and expectation knows
// its file and line) and the checking of expectations against a job's
// results.
//
// A test file names what to evaluate (a job of a prometheus.yml or an inline
// scrape config, and Kubernetes objects or raw discovered label sets) and
// what must come of it: which targets are kept with which labels, which are
// dropped by which rule, how many of each. Running discovery and relabeling
// is the caller's business; this package only reads the file and judges a
// report.Job, so that a test passes exactly when `sdinspect targets` would
// show what it expects.
package expect
