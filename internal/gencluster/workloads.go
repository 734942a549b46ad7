package gencluster

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// genApp adds one application in namespace: its controller chain
// (Deployment→ReplicaSet, CronJob→Job, ...) and its pods.
func (g *gen) genApp(namespace string, i int) *app {
	base := []string{"web", "api", "db", "cache", "worker", "dns", "metrics", "frontend"}
	name := base[i%len(base)]
	if i >= len(base) {
		// "web2", not "web-1": that is the name of a StatefulSet pod of "web".
		name = fmt.Sprintf("%s%d", name, i/len(base)+1)
	}
	a := &app{namespace: namespace, name: name, dualStack: g.chance(0.15)}
	containers, inits := g.containers()
	for _, c := range append(append([]corev1.Container(nil), containers...), inits...) {
		a.ports = append(a.ports, c.Ports...)
	}

	replicas := 1 + g.intn(3)
	var owners []metav1.OwnerReference
	podName := func(j int) string { return fmt.Sprintf("%s-%s", name, g.suffix(5)) }
	hostNetwork := false
	switch g.intn(6) {
	case 0, 1: // Deployment → ReplicaSet → pods
		rs := g.unique("replicaset", namespace, fmt.Sprintf("%s-%s", name, g.suffix(9)))
		rsUID := g.uid()
		if g.chance(0.9) { // else the ReplicaSet is gone
			var rsOwners []metav1.OwnerReference
			switch g.intn(8) {
			case 0: // a bare ReplicaSet
			case 1: // owned, but not by a controller reference
				rsOwners = append(rsOwners, ownerRef("apps/v1", "Deployment", name, g.uid(), false))
			default:
				rsOwners = append(rsOwners, ownerRef("apps/v1", "Deployment", name, g.uid(), true))
			}
			g.snap.ReplicaSets = append(g.snap.ReplicaSets, &appsv1.ReplicaSet{
				ObjectMeta: withOwners(g.objectMeta(namespace, rs, g.labels(map[string]string{"app": name}), nil), rsOwners),
			})
		}
		owners = append(owners, ownerRef("apps/v1", "ReplicaSet", rs, rsUID, true))
		podName = func(int) string { return fmt.Sprintf("%s-%s", rs, g.suffix(5)) }
	case 2: // CronJob → Job → pod
		job := g.unique("job", namespace, fmt.Sprintf("%s-%d", name, 29000000+g.intn(1000000)))
		jobUID := g.uid()
		if g.chance(0.85) {
			var jobOwners []metav1.OwnerReference
			if g.chance(0.85) {
				jobOwners = append(jobOwners, ownerRef("batch/v1", "CronJob", name, g.uid(), true))
			}
			g.snap.Jobs = append(g.snap.Jobs, &batchv1.Job{
				ObjectMeta: withOwners(g.objectMeta(namespace, job, g.labels(nil), nil), jobOwners),
			})
		}
		// A non-controller reference first: only the controller counts.
		if g.chance(0.3) {
			owners = append(owners, ownerRef("v1", "ConfigMap", "cfg", g.uid(), false))
		}
		owners = append(owners, ownerRef("batch/v1", "Job", job, jobUID, true))
		replicas = 1
		podName = func(int) string { return fmt.Sprintf("%s-%s", job, g.suffix(5)) }
	case 3: // StatefulSet
		owners = append(owners, ownerRef("apps/v1", "StatefulSet", name, g.uid(), true))
		podName = func(j int) string { return fmt.Sprintf("%s-%d", name, j) }
	case 4: // DaemonSet, sometimes on the host network
		owners = append(owners, ownerRef("apps/v1", "DaemonSet", name, g.uid(), true))
		replicas = min(len(g.nodes), 3)
		hostNetwork = g.chance(0.5)
	default: // a bare pod, maybe with a non-controller owner
		switch g.intn(3) {
		case 0:
			owners = append(owners, ownerRef("apps/v1", "ReplicaSet", name+"-old", g.uid(), false))
		case 1: // controller unset, not false
			owners = append(owners, metav1.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: name + "-old", UID: g.uid()})
		}
		replicas = 1
		podName = func(int) string { return name }
	}
	for j := 0; j < replicas; j++ {
		node := ""
		if hostNetwork || g.chance(0.95) {
			node = g.nodes[(j+g.intn(len(g.nodes)))%len(g.nodes)]
		}
		p := g.genPod(a, g.unique("pod", namespace, podName(j)), node, owners, containers, inits, hostNetwork)
		a.pods = append(a.pods, p)
		g.snap.Pods = append(g.snap.Pods, p)
	}
	return a
}

func withOwners(m metav1.ObjectMeta, owners []metav1.OwnerReference) metav1.ObjectMeta {
	m.OwnerReferences = owners
	return m
}

// containers returns a pod template's containers and init containers:
// 0 to 4 containers with 0 to 3 ports each (named or not, any protocol or
// none, the DNS pattern of one number over UDP and TCP), and init
// containers of which some are sidecars.
func (g *gen) containers() (containers, inits []corev1.Container) {
	n := 1 + g.intn(4)
	if g.chance(0.08) {
		n = 0
	}
	names := []string{"app", "sidecar", "proxy", "exporter"}
	for i := 0; i < n; i++ {
		c := corev1.Container{Name: names[i], Image: pick(g, "registry.example/app:1.2.3", "busybox", "ghcr.io/x/y@sha256:0123abcd")}
		if g.chance(0.1) {
			c.Ports = []corev1.ContainerPort{
				{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP},
				{Name: "dns-tcp", ContainerPort: 53, Protocol: corev1.ProtocolTCP},
				{Name: "metrics", ContainerPort: 9153, Protocol: corev1.ProtocolTCP},
			}
		} else {
			used := map[int32]bool{}
			for j := g.intn(4); j > 0; j-- {
				num := pick(g, int32(80), 8080, 9090, 443, 8443, 9100, 5432)
				if used[num] && g.chance(0.8) {
					continue
				}
				used[num] = true
				c.Ports = append(c.Ports, corev1.ContainerPort{
					Name:          pick(g, "", "http", "metrics", "grpc", "https", "web"),
					ContainerPort: num,
					Protocol:      pick(g, corev1.ProtocolTCP, corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP, ""),
				})
			}
		}
		containers = append(containers, c)
	}
	if g.chance(0.3) {
		inits = append(inits, corev1.Container{Name: "init-db", Image: "busybox"})
	}
	if g.chance(0.25) {
		inits = append(inits, corev1.Container{
			Name: "istio-proxy", Image: "istio/proxyv2:1.24",
			RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways),
			Ports:         []corev1.ContainerPort{{Name: "http-envoy-prom", ContainerPort: 15090, Protocol: corev1.ProtocolTCP}},
		})
	}
	if g.chance(0.1) {
		// An init container declaring a port a main container also uses.
		inits = append(inits, corev1.Container{Name: "warmup", Image: "busybox",
			Ports: []corev1.ContainerPort{{Name: "warm", ContainerPort: 8080}}})
	}
	return containers, inits
}

func (g *gen) genPod(a *app, name, node string, owners []metav1.OwnerReference, containers, inits []corev1.Container, hostNetwork bool) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: g.objectMeta(a.namespace, name, g.labels(map[string]string{"app": a.name}), g.annotations()),
		Spec: corev1.PodSpec{
			NodeName: node, HostNetwork: hostNetwork,
			Containers: containers, InitContainers: inits,
			RestartPolicy:      pick(g, corev1.RestartPolicyAlways, corev1.RestartPolicyAlways, corev1.RestartPolicyOnFailure),
			ServiceAccountName: pick(g, "default", a.name),
			SchedulerName:      "default-scheduler",
		},
	}
	p.OwnerReferences = owners
	st := &p.Status
	st.Phase = pick(g, corev1.PodRunning, corev1.PodRunning, corev1.PodRunning, corev1.PodRunning, corev1.PodPending, corev1.PodSucceeded, corev1.PodFailed, "")
	if node != "" {
		st.HostIP = g.nodeIPs[node]
		switch {
		case g.chance(0.1): // scheduled, no IP yet
		case hostNetwork:
			st.PodIP = st.HostIP
		case a.dualStack:
			st.PodIP = g.ipv4()
			st.PodIPs = []corev1.PodIP{{IP: st.PodIP}, {IP: g.ipv6()}}
		case g.chance(0.15):
			st.PodIP = g.ipv6()
		default:
			st.PodIP = g.ipv4()
		}
	}
	if st.PodIP != "" && g.chance(0.03) {
		// Only the plural field set: Prometheus reads status.podIP alone.
		st.PodIPs, st.PodIP = []corev1.PodIP{{IP: st.PodIP}}, ""
	}
	switch g.intn(6) {
	case 0: // no Ready condition
	case 1:
		st.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: pick(g, corev1.ConditionFalse, corev1.ConditionUnknown)}}
	case 2: // a repeated Ready condition: the first one counts
		st.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}, {Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	default:
		st.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}, {Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	}
	for _, c := range containers {
		if g.chance(0.75) {
			st.ContainerStatuses = append(st.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Image: c.Image, ContainerID: "containerd://" + g.suffix(16)})
		}
	}
	for _, c := range inits {
		if g.chance(0.6) {
			st.InitContainerStatuses = append(st.InitContainerStatuses, corev1.ContainerStatus{Name: c.Name, Image: c.Image, ContainerID: "cri-o://" + g.suffix(16)})
		}
	}
	if g.chance(0.05) {
		st.ContainerStatuses = append(st.ContainerStatuses, corev1.ContainerStatus{Name: "not-in-spec", ContainerID: "containerd://stale"})
	}
	if len(containers) > 0 && g.chance(0.05) {
		// Two statuses for one container: the first one counts.
		st.ContainerStatuses = append(st.ContainerStatuses, corev1.ContainerStatus{Name: containers[0].Name, ContainerID: "containerd://second"})
	}
	return p
}

// ready reports whether p's Ready condition is True.
func ready(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
