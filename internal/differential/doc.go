// Package differential holds sdinspect's discovery to Prometheus's own on a
// real API server: its tests start one etcd and kube-apiserver per test
// binary (internal/testcluster), store the discovery fixtures and random
// clusters in it, run the pinned Prometheus version's Kubernetes service
// discovery against it with a client certificate of a user who may only
// read what discovery needs, and compare the target groups Prometheus
// settles on with what discovery.Discover makes of the objects the server
// stores, as multisets of targets per source.
//
// Where discovery's own differential test serves objects as they are
// written, this one sees them as a real cluster holds them: defaulted,
// validated and normalised by the API server, selected by the server's own
// label and field selector implementation, behind x509 authentication and
// RBAC.
//
// The package has no non-test code. Run it with
//
//	go test ./internal/differential/ [-seeds N | -seed N]
//
// The first run on a machine builds the server binaries (see
// testcluster.Binaries), which takes minutes.
package differential
