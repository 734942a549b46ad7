package main

import (
	"encoding/json"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// authCanI runs auth can-i -o json and returns its exit code, report and
// stderr.
func authCanI(t *testing.T, args ...string) (int, accessReport, string) {
	t.Helper()
	code, stdout, stderr := runCLI(t, append([]string{"auth", "can-i", "-o", "json"}, args...)...)
	var rep accessReport
	if code == exitOK || code == exitFindings {
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("can-i %v: exit %d, stdout is not JSON: %v\n%s", args, code, err, stdout)
		}
	} else if stdout != "" {
		t.Errorf("can-i %v failed (exit %d) and printed:\n%s", args, code, stdout)
	}
	return code, rep, stderr
}

// deniedRows lists the denied permissions of rep as the text output
// phrases them.
func deniedRows(rep accessReport) []string {
	var out []string
	for _, r := range rep.Reviews {
		for _, p := range r.Permissions {
			if !p.Allowed {
				out = append(out, p.permission().String())
			}
		}
	}
	return out
}

// blocksOf returns "job (role): effect" for each job a permission blocks.
func blocksOf(rep accessReport, phrase string) []string {
	var out []string
	for _, r := range rep.Reviews {
		for _, p := range r.Permissions {
			if p.permission().String() == phrase {
				for _, b := range p.Blocks {
					out = append(out, b.Job+" ("+b.Role+"): "+b.Effect)
				}
			}
		}
	}
	return out
}

// waitCanI runs can-i until it exits 0: the RBAC authorizer learns new
// bindings from an informer.
func waitCanI(t *testing.T, args ...string) accessReport {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, rep, stderr := authCanI(t, args...)
		if code == exitOK && rep.Allowed {
			return rep
		}
		if time.Now().After(deadline) {
			t.Fatalf("can-i %v after applying auth rbac: exit %d, still denied %q; stderr:\n%s", args, code, deniedRows(rep), stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// accessCheck is one request outside what auth rbac grants.
type accessCheck struct {
	verb, group, resource, namespace string
}

// assertDenied checks, with SelfSubjectAccessReviews as cfg's identity,
// that none of checks is allowed.
func assertDenied(t *testing.T, cfg *rest.Config, checks []accessCheck) {
	t.Helper()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		r, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(t.Context(), &authorizationv1.SelfSubjectAccessReview{
			Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
				Verb: c.verb, Group: c.group, Resource: c.resource, Namespace: c.namespace,
			}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status.Allowed {
			t.Errorf("%s %s (group %q) in namespace %q is allowed, but auth rbac should not grant it", c.verb, c.resource, c.group, c.namespace)
		}
	}
}
