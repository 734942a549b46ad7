package testcluster

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

func TestReviewSpec(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		namespace string
		rule      rbacv1.PolicyRule
		want      authorizationv1.SubjectAccessReviewSpec
	}{
		{
			name: "first of each",
			rule: rbacv1.PolicyRule{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices", "x"}, Verbs: []string{"list", "get"}},
			want: authorizationv1.SubjectAccessReviewSpec{Groups: []string{"g"}, ResourceAttributes: &authorizationv1.ResourceAttributes{
				Verb: "list", Group: "discovery.k8s.io", Resource: "endpointslices",
			}},
		},
		{
			name:      "namespace, subresource and name",
			namespace: "shop",
			rule:      rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods/status"}, ResourceNames: []string{"web-0"}, Verbs: []string{"get"}},
			want: authorizationv1.SubjectAccessReviewSpec{Groups: []string{"g"}, ResourceAttributes: &authorizationv1.ResourceAttributes{
				Namespace: "shop", Verb: "get", Resource: "pods", Subresource: "status", Name: "web-0",
			}},
		},
		{
			name: "wildcards",
			rule: rbacv1.PolicyRule{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}},
			want: authorizationv1.SubjectAccessReviewSpec{Groups: []string{"g"}, ResourceAttributes: &authorizationv1.ResourceAttributes{
				Verb: "get", Resource: "pods",
			}},
		},
		{
			name: "non-resource URL prefix",
			rule: rbacv1.PolicyRule{NonResourceURLs: []string{"/metrics/*"}, Verbs: []string{"get"}},
			want: authorizationv1.SubjectAccessReviewSpec{Groups: []string{"g"}, NonResourceAttributes: &authorizationv1.NonResourceAttributes{
				Path: "/metrics/x", Verb: "get",
			}},
		},
		{
			name: "non-resource URL",
			rule: rbacv1.PolicyRule{NonResourceURLs: []string{"/version"}, Verbs: []string{"get"}},
			want: authorizationv1.SubjectAccessReviewSpec{Groups: []string{"g"}, NonResourceAttributes: &authorizationv1.NonResourceAttributes{
				Path: "/version", Verb: "get",
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, reviewSpec(tt.namespace, "g", tt.rule)); diff != "" {
				t.Errorf("reviewSpec (-want +got):\n%s", diff)
			}
		})
	}
}
