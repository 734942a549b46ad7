package discovery

import (
	"slices"

	"github.com/prometheus/common/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/prometheus/prometheus/util/strutil"
)

// Label names and values shared by every role, spelled as
// discovery/kubernetes/kubernetes.go spells them.
const (
	metaLabelPrefix = model.MetaLabelPrefix + "kubernetes_"
	namespaceLabel  = metaLabelPrefix + "namespace"
	presentValue    = model.LabelValue("true")
)

// Resource names used in object metadata labels. They are the Prometheus role
// names, except for namespace metadata, which has no role of its own.
const (
	resourceNode          = "node"
	resourcePod           = "pod"
	resourceService       = "service"
	resourceEndpoints     = "endpoints"
	resourceEndpointSlice = "endpointslice"
	resourceIngress       = "ingress"
	resourceNamespace     = "namespace"
)

// metaKind tells object labels and object annotations apart.
type metaKind uint8

const (
	metaLabel metaKind = iota
	metaAnnotation
)

// metaKey identifies one label name built from an object label or annotation
// key. Plain string fields keep map lookups free of allocations.
type metaKey struct {
	resource string
	kind     metaKind
	key      string
}

// metaNames is the pair of label names an object label or annotation key
// turns into: the value label and the "present" label.
type metaNames struct {
	value   model.LabelName
	present model.LabelName
}

// labeler builds label names from Kubernetes keys. It caches every name it
// builds, so that the same key on thousands of objects is sanitized once per
// Discover call. It is not safe for concurrent use.
type labeler struct {
	cache      map[metaKey]metaNames
	sanitized  map[string]string
	nameLabels map[string]model.LabelName
	// keys and names are scratch space.
	keys  []string
	names []metaNames
}

func newLabeler() *labeler {
	return &labeler{cache: make(map[metaKey]metaNames), sanitized: make(map[string]string), nameLabels: make(map[string]model.LabelName)}
}

// sanitize is strutil.SanitizeLabelName, cached.
func (l *labeler) sanitize(key string) string {
	if s, ok := l.sanitized[key]; ok {
		return s
	}
	s := strutil.SanitizeLabelName(key)
	l.sanitized[key] = s
	return s
}

// metaNamesFor returns the label names for key of the given kind on resource,
// sanitized per rune as strutil.SanitizeLabelName does.
func (l *labeler) metaNamesFor(resource string, kind metaKind, key string) metaNames {
	k := metaKey{resource: resource, kind: kind, key: key}
	if n, ok := l.cache[k]; ok {
		return n
	}
	ln := l.sanitize(key)
	var n metaNames
	switch kind {
	case metaLabel:
		n = metaNames{
			value:   model.LabelName(metaLabelPrefix + resource + "_label_" + ln),
			present: model.LabelName(metaLabelPrefix + resource + "_labelpresent_" + ln),
		}
	default:
		n = metaNames{
			value:   model.LabelName(metaLabelPrefix + resource + "_annotation_" + ln),
			present: model.LabelName(metaLabelPrefix + resource + "_annotationpresent_" + ln),
		}
	}
	l.cache[k] = n
	return n
}

// sortedKeys returns the keys of m in lexical order, in a buffer reused by
// the next call.
//
// Prometheus ranges over the map, so when two keys sanitize to the same label
// name (a.b and a_b) the surviving value depends on Go's map order and is
// nondeterministic there. Walking the keys in order makes ours stable: the
// lexically greatest key wins.
func (l *labeler) sortedKeys(m map[string]string) []string {
	l.keys = l.keys[:0]
	for k := range m {
		l.keys = append(l.keys, k)
	}
	slices.Sort(l.keys)
	return l.keys
}

// addObjectAnnotationsAndLabels adds the _annotation_, _annotationpresent_,
// _label_ and _labelpresent_ labels of meta under resource, in that order,
// which is mostly the order of their names (see labelSet.done). No value
// name is a present name, so only keys that sanitize alike overwrite each
// other, in the order of the keys.
func (l *labeler) addObjectAnnotationsAndLabels(ls labelSet, meta *metav1.ObjectMeta, resource string) {
	l.addKeys(ls, meta.Annotations, resource, metaAnnotation)
	l.addKeys(ls, meta.Labels, resource, metaLabel)
}

// addKeys adds the value labels of m's keys, then their present labels.
func (l *labeler) addKeys(ls labelSet, m map[string]string, resource string, kind metaKind) {
	l.names = l.names[:0]
	for _, k := range l.sortedKeys(m) {
		n := l.metaNamesFor(resource, kind, k)
		ls.set(n.value, model.LabelValue(m[k]))
		l.names = append(l.names, n)
	}
	for _, n := range l.names {
		ls.set(n.present, presentValue)
	}
}

// addObjectMetaLabels adds <resource>_name and the object's label and
// annotation labels.
func (l *labeler) addObjectMetaLabels(ls labelSet, meta *metav1.ObjectMeta, resource string) {
	ls.set(l.nameLabel(resource), model.LabelValue(meta.Name))
	l.addObjectAnnotationsAndLabels(ls, meta, resource)
}

// nameLabel returns <resource>_name's label name, built once.
func (l *labeler) nameLabel(resource string) model.LabelName {
	n, ok := l.nameLabels[resource]
	if !ok {
		n = model.LabelName(metaLabelPrefix + resource + "_name")
		l.nameLabels[resource] = n
	}
	return n
}

// addNodeLabels merges the metadata labels of the named node into ls when
// the node is in the node store (as filtered by the node selector). A nil
// name or an unknown node leaves ls unchanged.
func (b *builder) addNodeLabels(ls labelSet, name *string) {
	if name == nil {
		return
	}
	node, ok := b.st.nodes[*name]
	if !ok {
		return
	}
	b.lab.addObjectMetaLabels(ls, &node.ObjectMeta, resourceNode)
}

// addNamespaceLabels merges the label and annotation labels of the named
// namespace into ls when it exists. The namespace name itself is already
// there as __meta_kubernetes_namespace.
func (b *builder) addNamespaceLabels(ls labelSet, name string) {
	ns, ok := b.st.namespaces[name]
	if !ok {
		return
	}
	b.lab.addObjectAnnotationsAndLabels(ls, &ns.ObjectMeta, resourceNamespace)
}
