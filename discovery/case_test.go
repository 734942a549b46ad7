package discovery_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

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

// A discoveryCase is one fixture under testdata/cases: a txtar archive with
//
//	sd.yaml        one kubernetes_sd_configs entry, parsed as Prometheus parses it
//	objects.yaml   Kubernetes objects, multi-document YAML
//	own_namespace  optional: the namespace namespaces.own_namespace resolves to
//	want.json      optional: our own output, a regression guard rewritten by -update
type discoveryCase struct {
	Name    string
	Path    string
	SD      *kubernetes.SDConfig
	Snap    *discovery.Snapshot
	Opts    discovery.Options
	Archive *txtar.Archive
}

func loadCases(t testing.TB) []*discoveryCase {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "cases", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no fixtures under testdata/cases")
	}
	var cases []*discoveryCase
	for _, p := range paths {
		c, err := loadCase(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		cases = append(cases, c)
	}
	return cases
}

func loadCase(path string) (*discoveryCase, error) {
	a, err := txtar.ParseFile(path)
	if err != nil {
		return nil, err
	}
	c := &discoveryCase{
		Name:    strings.TrimSuffix(filepath.Base(path), ".txtar"),
		Path:    path,
		Archive: a,
		Snap:    &discovery.Snapshot{},
	}
	for _, f := range a.Files {
		switch f.Name {
		case "sd.yaml":
			c.SD = &kubernetes.SDConfig{}
			if err := yaml.UnmarshalStrict(f.Data, c.SD); err != nil {
				return nil, fmt.Errorf("sd.yaml: %w", err)
			}
		case "objects.yaml":
			if err := decodeObjects(f.Data, c.Snap); err != nil {
				return nil, fmt.Errorf("objects.yaml: %w", err)
			}
		case "own_namespace":
			c.Opts.OwnNamespace = strings.TrimSpace(string(f.Data))
		case "want.json":
		default:
			return nil, fmt.Errorf("unexpected file %q in archive", f.Name)
		}
	}
	if c.SD == nil {
		return nil, errors.New("no sd.yaml in archive")
	}
	return c, nil
}

// decodeObjects is deliberately independent of the cluster package's reader,
// so that discovery fixtures do not depend on it.
func decodeObjects(data []byte, snap *discovery.Snapshot) error {
	r := k8syaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	dec := scheme.Codecs.UniversalDeserializer()
	for i := 0; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		obj, _, err := dec.Decode(doc, nil, nil)
		if err != nil {
			return fmt.Errorf("document %d: %w", i, err)
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
