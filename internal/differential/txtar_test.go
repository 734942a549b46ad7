package differential

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v2"
	"golang.org/x/tools/txtar"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/prometheus/prometheus/discovery/kubernetes"

	"github.com/sdinspect/sdinspect/discovery"
)

// fixtureGlob finds discovery's fixtures; their format is described in
// discovery/case_test.go.
const fixtureGlob = "../../discovery/testdata/cases/*.txtar"

// A fixture is one of discovery's txtar fixtures: an SD config and the
// objects to store.
type fixture struct {
	name string
	sd   *kubernetes.SDConfig
	snap *discovery.Snapshot
	// ownNamespace is set when the fixture says which namespace
	// namespaces.own_namespace stands for.
	ownNamespace string
}

// readFixtures reads every fixture, sorted by name.
func readFixtures() ([]*fixture, error) {
	paths, err := filepath.Glob(fixtureGlob)
	if err != nil {
		return nil, fmt.Errorf("finding fixtures %q: %w", fixtureGlob, err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no fixtures match %q", fixtureGlob)
	}
	var out []*fixture
	for _, p := range paths {
		f, err := readFixture(p)
		if err != nil {
			return nil, fmt.Errorf("reading fixture %q: %w", p, err)
		}
		out = append(out, f)
	}
	return out, nil
}

func readFixture(path string) (*fixture, error) {
	a, err := txtar.ParseFile(path)
	if err != nil {
		return nil, err
	}
	f := &fixture{name: strings.TrimSuffix(filepath.Base(path), ".txtar"), snap: &discovery.Snapshot{}}
	for _, file := range a.Files {
		switch file.Name {
		case "sd.yaml":
			f.sd = &kubernetes.SDConfig{}
			if err := yaml.UnmarshalStrict(file.Data, f.sd); err != nil {
				return nil, fmt.Errorf("parsing sd.yaml: %w", err)
			}
		case "objects.yaml":
			if err := decodeObjects(file.Data, f.snap); err != nil {
				return nil, fmt.Errorf("decoding objects.yaml: %w", err)
			}
		case "own_namespace":
			f.ownNamespace = strings.TrimSpace(string(file.Data))
		}
	}
	if f.sd == nil {
		return nil, errors.New("no sd.yaml in the archive")
	}
	return f, nil
}

// decodeObjects adds the objects of a multi-document YAML stream to snap.
func decodeObjects(data []byte, snap *discovery.Snapshot) error {
	r := k8syaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	dec := scheme.Codecs.UniversalDeserializer()
	for i := 0; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading document %d: %w", i, err)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		obj, _, err := dec.Decode(doc, nil, nil)
		if err != nil {
			return fmt.Errorf("decoding document %d: %w", i, err)
		}
		switch o := obj.(type) {
		case *corev1.Pod:
			snap.Pods = append(snap.Pods, o)
		case *corev1.Service:
			snap.Services = append(snap.Services, o)
		case *corev1.Endpoints:
			snap.Endpoints = append(snap.Endpoints, o)
		case *discoveryv1.EndpointSlice:
			snap.EndpointSlices = append(snap.EndpointSlices, o)
		case *corev1.Node:
			snap.Nodes = append(snap.Nodes, o)
		case *corev1.Namespace:
			snap.Namespaces = append(snap.Namespaces, o)
		case *networkingv1.Ingress:
			snap.Ingresses = append(snap.Ingresses, o)
		case *appsv1.ReplicaSet:
			snap.ReplicaSets = append(snap.ReplicaSets, o)
		case *batchv1.Job:
			snap.Jobs = append(snap.Jobs, o)
		default:
			return fmt.Errorf("document %d: unsupported kind %T", i, obj)
		}
	}
}
