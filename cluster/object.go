package cluster

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/sdinspect/sdinspect/discovery"
)

// kind is a kind of object that Read keeps.
type kind struct {
	apiVersion string
	name       string
	namespaced bool
	newObject  func() runtime.Object
	add        func(*discovery.Snapshot, runtime.Object)
}

// keptKinds names what lookupKind knows, for messages.
const keptKinds = "Pod, Service, Endpoints, Node and Namespace (v1), EndpointSlice (discovery.k8s.io/v1), " +
	"Ingress (networking.k8s.io/v1), ReplicaSet (apps/v1) and Job (batch/v1)"

// lookupKind returns the kind called name that Read keeps, whatever the
// version; the caller compares apiVersion.
func lookupKind(name string) (kind, bool) {
	type snap = discovery.Snapshot
	switch name {
	case "Pod":
		return kindOf("v1", name, true, func(s *snap) *[]*corev1.Pod { return &s.Pods }), true
	case "Service":
		return kindOf("v1", name, true, func(s *snap) *[]*corev1.Service { return &s.Services }), true
	case "Endpoints":
		return kindOf("v1", name, true, func(s *snap) *[]*corev1.Endpoints { return &s.Endpoints }), true
	case "EndpointSlice":
		return kindOf("discovery.k8s.io/v1", name, true, func(s *snap) *[]*discoveryv1.EndpointSlice { return &s.EndpointSlices }), true
	case "Node":
		return kindOf("v1", name, false, func(s *snap) *[]*corev1.Node { return &s.Nodes }), true
	case "Namespace":
		return kindOf("v1", name, false, func(s *snap) *[]*corev1.Namespace { return &s.Namespaces }), true
	case "Ingress":
		return kindOf("networking.k8s.io/v1", name, true, func(s *snap) *[]*networkingv1.Ingress { return &s.Ingresses }), true
	case "ReplicaSet":
		return kindOf("apps/v1", name, true, func(s *snap) *[]*appsv1.ReplicaSet { return &s.ReplicaSets }), true
	case "Job":
		return kindOf("batch/v1", name, true, func(s *snap) *[]*batchv1.Job { return &s.Jobs }), true
	}
	return kind{}, false
}

// kindOf returns the kind whose objects are *T, kept in the snapshot slice
// that field returns.
func kindOf[T any, PT interface {
	*T
	runtime.Object
}](apiVersion, name string, namespaced bool, field func(*discovery.Snapshot) *[]PT) kind {
	return kind{
		apiVersion: apiVersion,
		name:       name,
		namespaced: namespaced,
		newObject:  func() runtime.Object { return PT(new(T)) },
		add: func(s *discovery.Snapshot, o runtime.Object) {
			objs := field(s)
			*objs = append(*objs, o.(PT))
		},
	}
}

// whyNotRead explains, for a warning, why objects of a kind are skipped.
func whyNotRead(apiVersion, name string) string {
	if k, ok := lookupKind(name); ok && k.apiVersion != apiVersion {
		return fmt.Sprintf("sdinspect reads %s only as %s", name, k.apiVersion)
	}
	return "sdinspect reads only " + keptKinds
}

// objectRef is one object's JSON text and where it came from.
type objectRef struct {
	data       []byte // the JSON text holding the object
	start, end int    // the object's bytes in data
	pos        position
	loc        locator
	// defaults is the kind and version a typed list gives items that name
	// neither; nil outside typed lists.
	defaults *schema.GroupVersionKind
	inList   bool
	// head, if not nil, is the object's head, already read.
	head *objectHead
}

// locator maps offsets in JSON text back to the file the text came from.
type locator interface {
	// at returns where the innermost value holding the byte at offset
	// off of the JSON text was written.
	at(off int) position
}

// readObject decodes one object into b, or counts it as skipped.
func (f *fileReader) readObject(b *batch, o objectRef) error {
	raw := o.data[o.start:o.end]
	what := "object"
	if o.inList {
		what = "list item"
	}
	if len(raw) == 0 || raw[0] != '{' {
		return f.errorAt(o.pos, fmt.Errorf("%s is %s, not a Kubernetes object", what, describeJSON(raw)))
	}
	// Look at the type and name first: objects of other kinds are only
	// counted, and errors can name the object.
	head := o.head
	if head == nil {
		h, err := f.readHead(o.data, o.start, o.end, o.loc)
		if err != nil {
			return err
		}
		head = &h
	}
	apiVersion, kindName := head.apiVersion, head.kind
	if apiVersion == "" && kindName == "" && o.defaults != nil {
		apiVersion, kindName = o.defaults.GroupVersion().String(), o.defaults.Kind
	}
	switch {
	case kindName == "":
		return f.errorAt(o.pos, fmt.Errorf("%s has no kind", what))
	case apiVersion == "":
		return f.errorAt(o.pos, fmt.Errorf("%s of kind %s has no apiVersion", what, kindName))
	}
	k, ok := lookupKind(kindName)
	if !ok || k.apiVersion != apiVersion {
		b.skips[skipKey{apiVersion: apiVersion, kind: kindName}]++
		return nil
	}
	id := kindName
	if head.name != "" {
		id = fmt.Sprintf("%s %q", kindName, displayName(head.namespace, head.name))
	}
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return f.errorAt(o.pos, fmt.Errorf("%s: %w", id, err))
	}
	gvk := gv.WithKind(kindName)
	into := k.newObject()
	obj, _, err := f.decoder.Decode(raw, &gvk, into)
	strict, isStrict := runtime.AsStrictDecodingError(err)
	if err != nil && !isStrict {
		return f.errorAt(f.fieldPos(o, err), fmt.Errorf("decoding %s: %w%s", id, err, yamlHint(o, err)))
	}
	if obj != into {
		// The decoder looks for apiVersion and kind without regard to
		// case, and makes a new object if they differ from into's.
		return f.errorAt(o.pos, fmt.Errorf("decoding %s: decoded as %T; is apiVersion or kind given twice, in different case?", id, obj))
	}
	if isStrict {
		for _, e := range strict.Errors() {
			// Which value wins is up to the decoder; a cluster would
			// have rejected the object.
			if strings.HasPrefix(e.Error(), "duplicate field") {
				return f.errorAt(o.pos, fmt.Errorf("%s: %w", id, e))
			}
		}
		b.unknownFields++
		if b.firstUnknown == "" {
			b.firstUnknown = fmt.Sprintf("%v: %s: %v", o.pos, id, strict.Errors()[0])
		}
	}
	m := into.(metav1.Object)
	if m.GetName() == "" {
		return f.errorAt(o.pos, fmt.Errorf("%s has no metadata.name", id))
	}
	if err := checkLabels(m.GetLabels()); err != nil {
		return f.errorAt(o.pos, fmt.Errorf("%s: %w", id, err))
	}
	if k.namespaced && m.GetNamespace() == "" {
		b.noNamespace++
		if b.firstNoNamespace == "" {
			b.firstNoNamespace = fmt.Sprintf("%v: %s", o.pos, id)
		}
	}
	into.GetObjectKind().SetGroupVersionKind(gvk)
	setDefaults(into)
	f.intern.object(into)
	b.objects = append(b.objects, pending{
		kind: k,
		obj:  into,
		key:  objectKey{kind: kindName, namespace: m.GetNamespace(), name: m.GetName()},
		pos:  o.pos,
	})
	return nil
}

// fieldPos returns where the value a decoding error of o complains about
// was written, or where o starts if the error does not say.
func (f *fileReader) fieldPos(o objectRef, err error) position {
	off, ok := errorOffset(err)
	if !ok || off < 0 || off > o.end-o.start {
		return o.pos
	}
	// Decoding errors point just past the offending value's first or
	// last byte; report where the value starts.
	_, start := jsonPathAt(o.data[o.start:o.end], max(off-1, 0))
	return o.loc.at(o.start + start)
}

// yamlHint explains a boolean where a string was expected in YAML, the
// usual cause being an unquoted "yes" or "on".
func yamlHint(o objectRef, err error) string {
	if _, isYAML := o.loc.(*yamlText); isYAML && strings.Contains(err.Error(), "cannot unmarshal bool into") &&
		strings.HasSuffix(err.Error(), "of type string") {
		return " (YAML reads unquoted yes, no, on, off, y and n as booleans; quote them)"
	}
	return ""
}

// errorOffset returns the byte offset that a JSON decoding error points at.
// Kubernetes decodes with sigs.k8s.io/json, which returns its own copies of
// encoding/json's UnmarshalTypeError and SyntaxError from an internal
// package; their Offset field is therefore read by name.
func errorOffset(err error) (int, bool) {
	for ; err != nil; err = errors.Unwrap(err) {
		v := reflect.ValueOf(err)
		if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
			continue
		}
		if off := v.Elem().FieldByName("Offset"); off.IsValid() && off.CanInt() {
			return int(off.Int()), true
		}
	}
	return 0, false
}

// describeJSON names the type of a JSON value for messages.
func describeJSON(v []byte) string {
	if len(v) == 0 {
		return "empty"
	}
	switch v[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
