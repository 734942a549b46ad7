package gencluster

import (
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// realLabelChoices are the label keys production pods carry beyond "app"
// and "app.kubernetes.io/name", with the values each may take. No two keys
// sanitize alike.
func realLabelChoices() [][]string {
	return [][]string{
		{"app.kubernetes.io/instance", "prod", "canary", "blue", "green"},
		{"app.kubernetes.io/version", "1.4.2", "2.0.0", "2.1.7", "3.12.0"},
		{"app.kubernetes.io/component", "server", "worker", "database", "cache"},
		{"app.kubernetes.io/part-of", "shop", "platform", "data", "identity"},
		{"app.kubernetes.io/managed-by", "Helm", "kustomize", "argocd"},
		{"helm.sh/chart", "app-1.2.3", "service-0.9.1", "worker-4.0.0"},
		{"release", "prod", "stable", "canary"},
		{"heritage", "Helm"},
		{"team", "payments", "search", "platform", "growth", "sre"},
		{"env", "production", "staging"},
		{"tier", "frontend", "backend", "data"},
		{"version", "v1", "v2", "v3"},
		{"cost-center", "cc-1042", "cc-2210", "cc-3307"},
		{"topology.example.com/region", "eu-west-1", "us-east-1"},
		{"sidecar.istio.io/inject", "true", "false"},
		{"security.istio.io/tlsMode", "istio"},
		{"service.istio.io/canonical-revision", "latest", "v2"},
		{"example.com/on-call", "payments-oncall", "search-oncall", "sre-primary"},
	}
}

// templateLabels returns a pod template's labels: app, its name, and n-2
// others picked from realLabelChoices without repeats.
func (g *gen) templateLabels(name string, n int) map[string]string {
	m := map[string]string{"app": name, "app.kubernetes.io/name": name}
	choices := realLabelChoices()
	for i := 0; i < n-2 && i < len(choices); i++ {
		j := i + g.intn(len(choices)-i)
		choices[i], choices[j] = choices[j], choices[i]
		c := choices[i]
		m[c[0]] = c[1+g.intn(len(c)-1)]
	}
	return m
}

// realContainers returns a pod template's 1–4 containers, the first with a
// metrics or http port, and the named ports they declare.
func (g *gen) realContainers(w *workload) []corev1.Container {
	n := pick(g, 1, 1, 1, 1, 1, 2, 2, 2, 3, 4)
	image := fmt.Sprintf("registry.example.com/%s/%s:v%d.%d.%d", w.namespace, w.name, 1+g.intn(3), g.intn(20), g.intn(10))
	out := []corev1.Container{{Name: w.name, Image: image, Ports: g.realPorts(w, 1+g.intn(3))}}
	sidecars := []corev1.Container{
		{Name: "istio-proxy", Image: "docker.io/istio/proxyv2:1.24.2", Ports: []corev1.ContainerPort{{Name: "http-envoy-prom", ContainerPort: 15090, Protocol: corev1.ProtocolTCP}}},
		{Name: "log-shipper", Image: "fluent/fluent-bit:3.2"},
		{Name: "exporter", Image: "prom/statsd-exporter:v0.28.0", Ports: []corev1.ContainerPort{{Name: "metrics", ContainerPort: 9102, Protocol: corev1.ProtocolTCP}}},
	}
	out = append(out, sidecars[:n-1]...)
	for _, c := range out[1:] {
		for _, p := range c.Ports {
			w.ports = append(w.ports, containerPort{p.Name, p.ContainerPort})
		}
	}
	return out
}

// realPorts returns n ports of the main container, recording them in w.
func (g *gen) realPorts(w *workload, n int) []corev1.ContainerPort {
	all := []corev1.ContainerPort{
		{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP},
		{Name: "metrics", ContainerPort: 9090, Protocol: corev1.ProtocolTCP},
		{Name: "grpc", ContainerPort: 9000, Protocol: corev1.ProtocolTCP},
	}
	if g.chance(0.3) {
		all[0], all[1] = all[1], all[0]
	}
	for _, p := range all[:n] {
		w.ports = append(w.ports, containerPort{p.Name, p.ContainerPort})
	}
	return all[:n]
}

// realWorkload generates w's controller objects and pods.
func (g *gen) realWorkload(w *workload) {
	nLabels := 5 + g.intn(11)
	perPod := map[string]int{"Deployment": 1, "StatefulSet": 3, "CronJob": 2, "DaemonSet": 2, "Pod": 0}[w.kind]
	w.labels = g.templateLabels(w.name, nLabels-perPod)
	containers := g.realContainers(w)
	annotations := g.templateAnnotations(w)
	w.annotations = annotations
	var owner metav1.OwnerReference
	var hash string
	switch w.kind {
	case "Deployment":
		hash = g.suffix(10)
		rs := w.name + "-" + hash
		owner = ownerRef("apps/v1", "ReplicaSet", rs, g.uid(), true)
		g.snap.ReplicaSets = append(g.snap.ReplicaSets, &appsv1.ReplicaSet{ObjectMeta: withOwners(
			g.objectMeta(w.namespace, rs, nil, nil),
			[]metav1.OwnerReference{ownerRef("apps/v1", "Deployment", w.name, g.uid(), true)})})
	case "StatefulSet", "DaemonSet":
		owner = ownerRef("apps/v1", w.kind, w.name, g.uid(), true)
		hash = g.suffix(10)
	}
	for j := 0; j < w.replicas; j++ {
		labels := make(map[string]string, nLabels)
		for k, v := range w.labels {
			labels[k] = v
		}
		var name string
		owners := []metav1.OwnerReference{owner}
		switch w.kind {
		case "Deployment":
			labels["pod-template-hash"] = hash
			name = w.name + "-" + hash + "-" + g.suffix(5)
		case "StatefulSet":
			name = fmt.Sprintf("%s-%d", w.name, j)
			labels["controller-revision-hash"] = w.name + "-" + hash
			labels["statefulset.kubernetes.io/pod-name"] = name
			labels["apps.kubernetes.io/pod-index"] = strconv.Itoa(j)
		case "DaemonSet":
			labels["controller-revision-hash"] = hash
			labels["pod-template-generation"] = "1"
			name = w.name + "-" + g.suffix(5)
		case "CronJob":
			job := fmt.Sprintf("%s-%d", w.name, 29000000+j*60)
			owners = []metav1.OwnerReference{ownerRef("batch/v1", "Job", job, g.uid(), true)}
			g.snap.Jobs = append(g.snap.Jobs, &batchv1.Job{ObjectMeta: withOwners(
				g.objectMeta(w.namespace, job, nil, nil),
				[]metav1.OwnerReference{ownerRef("batch/v1", "CronJob", w.name, g.uid(), true)})})
			labels["batch.kubernetes.io/job-name"] = job
			labels["batch.kubernetes.io/controller-uid"] = string(owners[0].UID)
			name = job + "-" + g.suffix(5)
		default:
			owners = nil
			name = w.name
		}
		ref := &podRef{name: g.unique("pod", w.namespace, name)}
		if len(g.nodes) > 0 {
			i := g.intn(len(g.nodes))
			if w.kind == "DaemonSet" {
				i = j % len(g.nodes)
			}
			ref.node, ref.zone = g.nodes[i], zoneOf(i)
		}
		g.realPod(w, ref, labels, annotations, owners, containers)
	}
}

// templateAnnotations returns the annotations every pod of w shares.
func (g *gen) templateAnnotations(w *workload) map[string]string {
	m := map[string]string{"kubectl.kubernetes.io/default-container": w.name}
	if g.chance(0.6) {
		m["prometheus.io/scrape"] = "true"
		m["prometheus.io/port"] = strconv.Itoa(int(w.ports[0].port))
		if g.chance(0.3) {
			m["prometheus.io/path"] = "/metrics"
		}
	}
	if g.chance(0.5) {
		m["checksum/config"] = g.suffix(32)
	}
	return m
}

// realPod generates one running (mostly ready) pod of w, named and placed
// as ref says, and completes ref.
func (g *gen) realPod(w *workload, ref *podRef, labels, tmpl map[string]string, owners []metav1.OwnerReference, containers []corev1.Container) {
	annotations := make(map[string]string, len(tmpl)+1)
	for k, v := range tmpl {
		annotations[k] = v
	}
	p := &corev1.Pod{
		ObjectMeta: g.objectMeta(w.namespace, ref.name, labels, annotations),
		Spec: corev1.PodSpec{
			NodeName: ref.node, Containers: containers,
			RestartPolicy:      corev1.RestartPolicyAlways,
			ServiceAccountName: w.name,
			SchedulerName:      "default-scheduler",
		},
	}
	p.OwnerReferences = owners
	st := &p.Status
	st.Phase = corev1.PodRunning
	ready := corev1.ConditionTrue
	switch {
	case w.kind == "CronJob":
		st.Phase, ready = corev1.PodSucceeded, corev1.ConditionFalse
		p.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
	case ref.node == "" || g.chance(0.01):
		st.Phase, ready = corev1.PodPending, corev1.ConditionFalse
	case g.chance(0.03):
		ready = corev1.ConditionFalse
	}
	if ref.node != "" {
		st.HostIP = g.nodeIPs[ref.node]
		if st.Phase != corev1.PodPending {
			st.PodIP = g.ipv4()
			st.PodIPs = []corev1.PodIP{{IP: st.PodIP}}
			annotations["cni.projectcalico.org/podIP"] = st.PodIP + "/32"
		}
	}
	st.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: ready}}
	if st.Phase != corev1.PodPending {
		for _, c := range containers {
			st.ContainerStatuses = append(st.ContainerStatuses, corev1.ContainerStatus{
				Name: c.Name, Image: c.Image, ContainerID: "containerd://" + g.hex(64)})
		}
	}
	g.snap.Pods = append(g.snap.Pods, p)
	ref.ip, ref.ready, ref.uid = st.PodIP, ready == corev1.ConditionTrue, p.UID
	w.pods = append(w.pods, ref)
}

// hex returns n random hex digits, as in container IDs.
func (g *gen) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := 0; i < n; i += 16 {
		v := g.r.Uint64()
		for k := i; k < min(i+16, n); k++ {
			b[k] = digits[v&15]
			v >>= 4
		}
	}
	return string(b)
}
