// Package testcluster runs a real etcd and kube-apiserver on loopback ports
// for tests: the same API server users point sdinspect at, with x509
// client-certificate authentication and RBAC authorization, so that tests
// see its defaulting, validation, paging and Forbidden errors as they are.
// Only tests may use it.
//
// A Cluster has a fresh PKI (a CA, a serving certificate for 127.0.0.1 and
// localhost, a service-account key), an admin client configuration
// (system:masters) and a way to issue client certificates for any user and
// groups (ClientCert), to allow a group what it needs (Grant,
// GrantInNamespace), to store a discovery.Snapshot (Load) and to read back
// what the server stored (Snapshot). No controllers, scheduler or kubelets
// run: pods keep the status Load gives them and nothing creates endpoints.
//
// Start gives a test its own cluster (about three to four seconds); Shared
// gives every test of a package one cluster, started when first needed.
// The kube-apiserver of a cluster of Start's can be killed and started again
// on the same address (KillAPIServer, RestartAPIServer), for tests of clients
// that must survive an API server restart.
//
// The binaries come from Binaries: from $SDINSPECT_K8S_BIN, or from a cache
// outside the checkout, <user cache dir>/sdinspect/k8s-bin/v1.37.2, where
// the first test run on a machine builds them from the module in
// test/k8s-bin (8 to 12 minutes on two cores, hence `go test -timeout 30m`
// in the README). kube-apiserver cannot be installed with `go install`, as
// that module's go.mod explains.
package testcluster
