package discovery_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/model"

	"github.com/prometheus/prometheus/discovery/kubernetes"

	"github.com/sdinspect/sdinspect/discovery"
)

// producedNames runs every fixture and returns, per role, every label name
// its groups and targets carry. It fails the test for a name that is not in
// the catalogue of the fixture's own config.
func producedNames(t *testing.T) map[kubernetes.Role]map[string]bool {
	t.Helper()
	produced := map[kubernetes.Role]map[string]bool{}
	for _, c := range loadCases(t) {
		groups, err := discovery.Discover(c.Snap, c.SD, c.Opts)
		if err != nil {
			t.Fatalf("%s: Discover: %v", c.Name, err)
		}
		names := discovery.LabelNames(c.SD)
		if produced[c.SD.Role] == nil {
			produced[c.SD.Role] = map[string]bool{}
		}
		check := func(ls model.LabelSet, where string) {
			for ln := range ls {
				if produced[c.SD.Role][string(ln)] && names.Has(string(ln)) {
					continue
				}
				produced[c.SD.Role][string(ln)] = true
				if !names.Has(string(ln)) {
					t.Errorf("%s: %s carries %s, which LabelNames says role %s cannot produce", c.Name, where, ln, c.SD.Role)
				}
			}
		}
		for _, g := range groups {
			check(g.Labels, g.Source)
			for i, tg := range g.Targets {
				check(tg, fmt.Sprintf("%s target %d", g.Source, i))
			}
		}
	}
	return produced
}

// familiesNotInFixtures are the families no fixture produces a name of,
// with why the catalogue may hold them anyway.
var familiesNotInFixtures = map[string]string{
	"__meta_kubernetes_endpoints_annotation_": "no fixture annotates an Endpoints object; the name is built by " +
		"addObjectMetaLabels like __meta_kubernetes_endpoints_label_, which fixtures produce",
	"__meta_kubernetes_endpoints_annotationpresent_": "as __meta_kubernetes_endpoints_annotation_",
}

// TestLabelNamesProducedByFixtures holds the catalogue to Discover in both
// directions over discovery's fixtures: every name Discover emits for a
// fixture is in the catalogue of that fixture's config, and every fixed
// name of each role's full catalogue (every attach_metadata option set) is
// produced by some fixture of that role. Families are checked across roles:
// the four families of a resource come from one function whatever the role.
func TestLabelNamesProducedByFixtures(t *testing.T) {
	produced := producedNames(t)
	all := map[string]bool{}
	for _, names := range produced {
		maps.Copy(all, names)
	}
	roles := []kubernetes.Role{kubernetes.RoleNode, kubernetes.RoleService, kubernetes.RolePod,
		kubernetes.RoleEndpoint, kubernetes.RoleEndpointSlice, kubernetes.RoleIngress}
	for _, role := range roles {
		t.Run(string(role), func(t *testing.T) {
			cfg := &kubernetes.SDConfig{Role: role, AttachMetadata: kubernetes.AttachMetadataConfig{
				Node: true, Namespace: true,
				PodMetadataConfig: kubernetes.PodMetadataConfig{Deployment: true, Job: true, CronJob: true},
			}}
			names := discovery.LabelNames(cfg)
			for _, n := range names.Fixed() {
				if !produced[role][n] {
					t.Errorf("no fixture of role %s produces %s", role, n)
				}
			}
			for _, f := range names.Families() {
				hit := slices.ContainsFunc(slices.Collect(maps.Keys(all)), f.Has)
				why, excused := familiesNotInFixtures[f.Prefix]
				switch {
				case hit && excused:
					t.Errorf("a fixture produces a name of family %s* now; drop its exception %q", f.Prefix, why)
				case !hit && !excused:
					t.Errorf("no fixture produces a name of family %s*", f.Prefix)
				}
			}
		})
	}
}

func TestLabelNamesHas(t *testing.T) {
	tests := []struct {
		name   string
		role   kubernetes.Role
		attach kubernetes.AttachMetadataConfig
		label  string
		want   bool
	}{
		{"address always", kubernetes.RoleIngress, kubernetes.AttachMetadataConfig{}, "__address__", true},
		{"namespace in namespaced roles", kubernetes.RoleService, kubernetes.AttachMetadataConfig{}, "__meta_kubernetes_namespace", true},
		{"no namespace for nodes", kubernetes.RoleNode, kubernetes.AttachMetadataConfig{Namespace: true}, "__meta_kubernetes_namespace", false},
		{"node instance", kubernetes.RoleNode, kubernetes.AttachMetadataConfig{}, "instance", true},
		{"instance only for nodes", kubernetes.RolePod, kubernetes.AttachMetadataConfig{}, "instance", false},
		{"sanitised pod label", kubernetes.RolePod, kubernetes.AttachMetadataConfig{}, "__meta_kubernetes_pod_label_app_kubernetes_io_name", true},
		{"unsanitised pod label", kubernetes.RolePod, kubernetes.AttachMetadataConfig{}, "__meta_kubernetes_pod_label_app.kubernetes.io/name", false},
		{"pod annotation present", kubernetes.RolePod, kubernetes.AttachMetadataConfig{}, "__meta_kubernetes_pod_annotationpresent_prometheus_io_scrape", true},
		{"node condition lower case", kubernetes.RoleNode, kubernetes.AttachMetadataConfig{}, "__meta_kubernetes_node_condition_ready", true},
		{"node condition upper case", kubernetes.RoleNode, kubernetes.AttachMetadataConfig{}, "__meta_kubernetes_node_condition_Ready", false},
		{"node address keeps case", kubernetes.RoleNode, kubernetes.AttachMetadataConfig{}, "__meta_kubernetes_node_address_InternalIP", true},
		{"node labels without attach", kubernetes.RolePod, kubernetes.AttachMetadataConfig{}, "__meta_kubernetes_node_label_zone", false},
		{"node labels with attach", kubernetes.RolePod, kubernetes.AttachMetadataConfig{Node: true}, "__meta_kubernetes_node_label_zone", true},
		{"attached node has no provider id", kubernetes.RoleEndpointSlice, kubernetes.AttachMetadataConfig{Node: true}, "__meta_kubernetes_node_provider_id", false},
		{"service ignores attach node", kubernetes.RoleService, kubernetes.AttachMetadataConfig{Node: true}, "__meta_kubernetes_node_name", false},
		{"namespace labels without attach", kubernetes.RoleEndpoint, kubernetes.AttachMetadataConfig{}, "__meta_kubernetes_namespace_label_team", false},
		{"namespace labels with attach", kubernetes.RoleIngress, kubernetes.AttachMetadataConfig{Namespace: true}, "__meta_kubernetes_namespace_annotation_owner", true},
		{"no namespace name label", kubernetes.RolePod, kubernetes.AttachMetadataConfig{Namespace: true}, "__meta_kubernetes_namespace_name", false},
		{"deployment without attach", kubernetes.RolePod, kubernetes.AttachMetadataConfig{}, "__meta_kubernetes_pod_deployment_name", false},
		{"deployment with attach", kubernetes.RoleEndpoint, kubernetes.AttachMetadataConfig{PodMetadataConfig: kubernetes.PodMetadataConfig{Deployment: true}}, "__meta_kubernetes_pod_deployment_name", true},
		{"cronjob with attach", kubernetes.RolePod, kubernetes.AttachMetadataConfig{PodMetadataConfig: kubernetes.PodMetadataConfig{CronJob: true}}, "__meta_kubernetes_pod_cronjob_name", true},
		{"container id in pod role", kubernetes.RolePod, kubernetes.AttachMetadataConfig{}, "__meta_kubernetes_pod_container_id", true},
		{"no container id in endpoints role", kubernetes.RoleEndpoint, kubernetes.AttachMetadataConfig{}, "__meta_kubernetes_pod_container_id", false},
		{"endpoints carry service labels", kubernetes.RoleEndpoint, kubernetes.AttachMetadataConfig{}, "__meta_kubernetes_service_label_app", true},
		{"endpoints carry no service port", kubernetes.RoleEndpoint, kubernetes.AttachMetadataConfig{}, "__meta_kubernetes_service_port_name", false},
		{"endpoint port name in endpoints", kubernetes.RoleEndpoint, kubernetes.AttachMetadataConfig{}, "__meta_kubernetes_endpoint_port_name", true},
		{"endpoint port name in endpointslice", kubernetes.RoleEndpointSlice, kubernetes.AttachMetadataConfig{}, "__meta_kubernetes_endpoint_port_name", false},
		{"endpointslice topology", kubernetes.RoleEndpointSlice, kubernetes.AttachMetadataConfig{}, "__meta_kubernetes_endpointslice_endpoint_topology_present_kubernetes_io_hostname", true},
		{"endpoints object labels plural", kubernetes.RoleEndpoint, kubernetes.AttachMetadataConfig{}, "__meta_kubernetes_endpoint_label_app", false},
		{"ingress class", kubernetes.RoleIngress, kubernetes.AttachMetadataConfig{}, "__meta_kubernetes_ingress_class_name", true},
		{"unknown meta name", kubernetes.RolePod, kubernetes.AttachMetadataConfig{}, "__meta_kubernetes_pod_labels", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := discovery.LabelNames(&kubernetes.SDConfig{Role: tt.role, AttachMetadata: tt.attach}).Has(tt.label)
			if got != tt.want {
				t.Errorf("role %s, attach %+v: Has(%q) = %v, want %v", tt.role, tt.attach, tt.label, got, tt.want)
			}
		})
	}
}

func TestLabelNamesClosest(t *testing.T) {
	tests := []struct {
		name, label string
		role        kubernetes.Role
		want        string
		dist        int
	}{
		{"unsanitised key", "__meta_kubernetes_pod_label_app.kubernetes.io/name", kubernetes.RolePod, "__meta_kubernetes_pod_label_app_kubernetes_io_name", 3},
		{"typo in family prefix", "__meta_kubernetes_pod_lable_app", kubernetes.RolePod, "__meta_kubernetes_pod_label_app", 2},
		{"extra letter in family prefix", "__meta_kubernetes_pod_labels_app", kubernetes.RolePod, "__meta_kubernetes_pod_label_app", 1},
		{"node condition case", "__meta_kubernetes_node_condition_Ready", kubernetes.RoleNode, "__meta_kubernetes_node_condition_ready", 1},
		{"typo in fixed name", "__meta_kubernetes_pod_contianer_name", kubernetes.RolePod, "__meta_kubernetes_pod_container_name", 2},
		{"exact", "__meta_kubernetes_service_name", kubernetes.RoleService, "__meta_kubernetes_service_name", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, d := discovery.LabelNames(&kubernetes.SDConfig{Role: tt.role}).Closest(tt.label)
			if diff := cmp.Diff([]any{tt.want, tt.dist}, []any{got, d}); diff != "" {
				t.Errorf("Closest(%q) (-want +got):\n%s", tt.label, diff)
			}
		})
	}
}

func TestLabelNamesFixedSorted(t *testing.T) {
	fixed := discovery.LabelNames(&kubernetes.SDConfig{Role: kubernetes.RoleEndpointSlice}).Fixed()
	if !slices.IsSorted(fixed) || len(slices.Compact(slices.Clone(fixed))) != len(fixed) {
		t.Errorf("Fixed() is not sorted and unique: %q", fixed)
	}
}

func ExampleLabelNames() {
	names := discovery.LabelNames(&kubernetes.SDConfig{Role: kubernetes.RoleEndpointSlice})
	fmt.Println(names.Has("__meta_kubernetes_endpointslice_port_name"))
	fmt.Println(names.Has("__meta_kubernetes_endpoint_port_name"))
	fmt.Println(names.Has("__meta_kubernetes_pod_label_app.kubernetes.io/name"))
	fmt.Println(names.Closest("__meta_kubernetes_pod_label_app.kubernetes.io/name"))
	// Output:
	// true
	// false
	// false
	// __meta_kubernetes_pod_label_app_kubernetes_io_name 3
}
