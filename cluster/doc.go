// Package cluster is where sdinspect's Kubernetes objects come from: it
// fills the discovery.Snapshot that everything after it works on, from a
// live API server or from files, so that live and offline runs differ only
// here.
//
// Its role covers four things: building client configurations from every
// credential source a user or a scrape config can name (Connect, BindFlags:
// kubeconfig, in-cluster service account, client certificates, tokens),
// listing what jobs need from a live API server (Requests, List), reading
// and writing snapshot files (Read, Write, WriteFile), and diagnosing
// authentication and authorization problems (Diagnose, Partial).
package cluster
