// Package cluster is where sdinspect's Kubernetes objects come from: it
// fills the discovery.Snapshot that everything after it works on, from a
// live API server or from files, so that live and offline runs differ only
// here.
//
// Its role covers four things: building client configurations from every
// credential source a user or a scrape config can name (kubeconfig,
// in-cluster service account, client certificates, tokens), listing what a
// job needs from a live API server, reading and writing snapshot files, and
// diagnosing authentication and authorization problems. Reading snapshot
// files (Read) is implemented so far.
package cluster
