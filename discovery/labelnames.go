package discovery

import (
	"cmp"
	"slices"
	"strings"

	"github.com/prometheus/common/model"

	"github.com/prometheus/prometheus/discovery/kubernetes"
	"github.com/prometheus/prometheus/util/strutil"
)

// Names is the catalogue of the label names one kubernetes_sd_config can
// ever produce, on its target groups or their targets: fixed names, and
// families of names built from Kubernetes keys. It answers from the config
// alone, whatever the cluster holds; lint uses it to tell a source label
// that can never be set from one that is merely absent on some targets.
type Names struct {
	fixed    []string
	families []Family
}

// Family is an open set of label names: Prefix followed by a Kubernetes key
// (an object label or annotation key, a node condition or address type, a
// topology key) sanitised as Prometheus sanitises it, so that the suffix
// holds only [a-zA-Z0-9_].
type Family struct {
	Prefix string
	// Lower is set when Prometheus lower-cases the key before sanitising
	// it (node conditions): the suffix then holds no upper-case letter.
	Lower bool
}

// Has reports whether name is in the family.
func (f Family) Has(name string) bool {
	rest, ok := strings.CutPrefix(name, f.Prefix)
	if !ok {
		return false
	}
	for _, r := range rest {
		lower := r >= 'a' && r <= 'z'
		upper := r >= 'A' && r <= 'Z'
		if !(lower || (upper && !f.Lower) || (r >= '0' && r <= '9') || r == '_') {
			return false
		}
	}
	return true
}

// Name returns the label name Prometheus builds in this family for key.
func (f Family) Name(key string) string {
	if f.Lower {
		key = strings.ToLower(key)
	}
	return f.Prefix + strutil.SanitizeLabelName(key)
}

// LabelNames returns the catalogue for cfg: what its role emits, with the
// node, namespace and pod-controller labels only where cfg's
// attach_metadata asks for them, as Prometheus 3.16 spells every name. An
// unknown role yields only __address__.
func LabelNames(cfg *kubernetes.SDConfig) Names {
	var n Names
	n.fixed = append(n.fixed, model.AddressLabel)
	attach := cfg.AttachMetadata
	switch cfg.Role {
	case kubernetes.RoleNode:
		// No namespace, and attach_metadata is ignored.
		n.fixed = append(n.fixed, model.InstanceLabel, nodeProviderIDLabel)
		n.families = append(n.families, Family{Prefix: nodeConditionPrefix, Lower: true}, Family{Prefix: nodeAddressPrefix})
		n.addObject(resourceNode)
		return n.sorted()
	case kubernetes.RoleService:
		n.fixed = append(n.fixed, servicePortNameLabel, servicePortNumberLabel, servicePortProtocolLabel,
			serviceClusterIPLabel, serviceLoadBalancerIP, serviceExternalNameLabel, serviceType)
		n.addObject(resourceService)
	case kubernetes.RolePod:
		n.fixed = append(n.fixed, podContainerIDLabel)
		n.addPod(attach)
	case kubernetes.RoleEndpoint:
		n.fixed = append(n.fixed, endpointNodeName, endpointHostname, endpointReadyLabel, endpointPortNameLabel,
			endpointPortProtocolLabel, endpointAddressTargetKindLabel, endpointAddressTargetNameLabel)
		n.addObject(resourceEndpoints)
		n.addObject(resourceService)
		n.addPod(attach)
	case kubernetes.RoleEndpointSlice:
		n.fixed = append(n.fixed, endpointSliceAddressTypeLabel, endpointSlicePortNameLabel,
			endpointSlicePortProtocolLabel, endpointSlicePortLabel, endpointSlicePortAppProtocol,
			endpointSliceEndpointConditionsReadyLabel, endpointSliceEndpointConditionsServingLabel,
			endpointSliceEndpointConditionsTerminatingLabel, endpointSliceEndpointZoneLabel,
			endpointSliceEndpointHostnameLabel, endpointSliceEndpointNodenameLabel,
			endpointSliceAddressTargetKindLabel, endpointSliceAddressTargetNameLabel)
		n.families = append(n.families, Family{Prefix: endpointSliceEndpointTopologyLabelPrefix},
			Family{Prefix: endpointSliceEndpointTopologyLabelPresentPrefix})
		n.addObject(resourceEndpointSlice)
		n.addObject(resourceService)
		n.addPod(attach)
	case kubernetes.RoleIngress:
		n.fixed = append(n.fixed, ingressSchemeLabel, ingressHostLabel, ingressPathLabel, ingressClassNameLabel)
		n.addObject(resourceIngress)
	default:
		return n.sorted()
	}
	n.fixed = append(n.fixed, namespaceLabel)
	if attach.Node && cfg.Role != kubernetes.RoleService && cfg.Role != kubernetes.RoleIngress {
		n.addObject(resourceNode)
	}
	if attach.Namespace {
		n.addLabelsAndAnnotations(resourceNamespace)
	}
	return n.sorted()
}

// addPod adds podLabels and the container labels the pod, endpoints and
// endpointslice roles share.
func (n *Names) addPod(attach kubernetes.AttachMetadataConfig) {
	n.fixed = append(n.fixed, podIPLabel, podReadyLabel, podPhaseLabel, podNodeNameLabel, podHostIPLabel, podUID,
		podControllerKind, podControllerName, podContainerNameLabel, podContainerImageLabel,
		podContainerPortNameLabel, podContainerPortNumberLabel, podContainerPortProtocolLabel, podContainerIsInit)
	if attach.Deployment {
		n.fixed = append(n.fixed, podDeploymentNameLabel)
	}
	if attach.Job {
		n.fixed = append(n.fixed, podJobNameLabel)
	}
	if attach.CronJob {
		n.fixed = append(n.fixed, podCronJobNameLabel)
	}
	n.addObject(resourcePod)
}

// addObject adds what addObjectMetaLabels writes for resource.
func (n *Names) addObject(resource string) {
	n.fixed = append(n.fixed, metaLabelPrefix+resource+"_name")
	n.addLabelsAndAnnotations(resource)
}

// addLabelsAndAnnotations adds what addObjectAnnotationsAndLabels writes
// for resource.
func (n *Names) addLabelsAndAnnotations(resource string) {
	for _, kind := range []string{"_label_", "_labelpresent_", "_annotation_", "_annotationpresent_"} {
		n.families = append(n.families, Family{Prefix: metaLabelPrefix + resource + kind})
	}
}

func (n Names) sorted() Names {
	slices.Sort(n.fixed)
	n.fixed = slices.Compact(n.fixed)
	slices.SortFunc(n.families, func(a, b Family) int { return strings.Compare(a.Prefix, b.Prefix) })
	n.families = slices.CompactFunc(n.families, func(a, b Family) bool { return a.Prefix == b.Prefix })
	return n
}

// Has reports whether the config can ever produce a label named name.
func (n Names) Has(name string) bool {
	if _, ok := slices.BinarySearch(n.fixed, name); ok {
		return true
	}
	return slices.ContainsFunc(n.families, func(f Family) bool { return f.Has(name) })
}

// Fixed returns the names that do not depend on Kubernetes keys, sorted.
func (n Names) Fixed() []string {
	return slices.Clone(n.fixed)
}

// Families returns the families, sorted by prefix.
func (n Names) Families() []Family {
	return slices.Clone(n.families)
}

// Closest returns the name the config can produce that is nearest to name
// by edit distance, and that distance. For a family it tries name's own
// suffix after the family prefix, sanitised; when name does not start with
// the prefix, the suffixes after a prefix up to two characters shorter or
// longer (a typo). Ties go to the shorter, then the lexically smaller name.
func (n Names) Closest(name string) (string, int) {
	best, bestDist := "", -1
	consider := func(c string) {
		d := editDistance(name, c)
		if bestDist < 0 || d < bestDist || (d == bestDist && cmp.Or(cmp.Compare(len(c), len(best)), strings.Compare(c, best)) < 0) {
			best, bestDist = c, d
		}
	}
	for _, c := range n.fixed {
		consider(c)
	}
	for _, f := range n.families {
		if rest, ok := strings.CutPrefix(name, f.Prefix); ok {
			consider(f.Name(rest))
			continue
		}
		for k := max(0, len(f.Prefix)-2); k < min(len(name), len(f.Prefix)+3); k++ {
			consider(f.Name(name[k:]))
		}
	}
	return best, bestDist
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
