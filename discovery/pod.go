package discovery

import (
	"iter"
	"net"
	"strconv"
	"strings"

	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/prometheus/prometheus/model/labels"
)

// Pod labels, as discovery/kubernetes/pod.go names them.
const (
	podIPLabel                    = metaLabelPrefix + "pod_ip"
	podContainerNameLabel         = metaLabelPrefix + "pod_container_name"
	podContainerIDLabel           = metaLabelPrefix + "pod_container_id"
	podContainerImageLabel        = metaLabelPrefix + "pod_container_image"
	podContainerPortNameLabel     = metaLabelPrefix + "pod_container_port_name"
	podContainerPortNumberLabel   = metaLabelPrefix + "pod_container_port_number"
	podContainerPortProtocolLabel = metaLabelPrefix + "pod_container_port_protocol"
	podContainerIsInit            = metaLabelPrefix + "pod_container_init"
	podCronJobNameLabel           = metaLabelPrefix + "pod_cronjob_name"
	podDeploymentNameLabel        = metaLabelPrefix + "pod_deployment_name"
	podJobNameLabel               = metaLabelPrefix + "pod_job_name"
	podReadyLabel                 = metaLabelPrefix + "pod_ready"
	podPhaseLabel                 = metaLabelPrefix + "pod_phase"
	podNodeNameLabel              = metaLabelPrefix + "pod_node_name"
	podHostIPLabel                = metaLabelPrefix + "pod_host_ip"
	podUID                        = metaLabelPrefix + "pod_uid"
	podControllerKind             = metaLabelPrefix + "pod_controller_kind"
	podControllerName             = metaLabelPrefix + "pod_controller_name"
)

func podSource(pod *corev1.Pod) string {
	return "pod/" + pod.Namespace + "/" + pod.Name
}

// controllerOf returns the first owner reference marked as controller, as
// GetControllerOf in discovery/kubernetes does.
func controllerOf(obj metav1.Object) *metav1.OwnerReference {
	refs := obj.GetOwnerReferences()
	for i := range refs {
		if refs[i].Controller != nil && *refs[i].Controller {
			return &refs[i]
		}
	}
	return nil
}

// podReady is the lower-cased status of the Ready condition, "unknown"
// without one.
func podReady(pod *corev1.Pod) model.LabelValue {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return model.LabelValue(strings.ToLower(string(c.Status)))
		}
	}
	return model.LabelValue(strings.ToLower(string(corev1.ConditionUnknown)))
}

// podLabels returns the pod labels shared by the endpoints and
// endpointslice roles, sorted, cached per pod for the object being built.
// The result must not be modified; merge it into a target instead.
func (b *builder) podLabels(pod *corev1.Pod) []labels.Label {
	if ls, ok := b.podLabelCache[pod]; ok {
		return ls
	}
	s := b.podArena.open()
	b.addPodLabels(s, pod)
	ls := s.done()
	b.podLabelCache[pod] = ls
	return ls
}

// addPodLabels adds podLabels of discovery/kubernetes/pod.go: IP, readiness,
// phase, node, host IP, UID, metadata, controller, and the deployment, job
// and cronjob names that attach_metadata asks for.
func (b *builder) addPodLabels(ls labelSet, pod *corev1.Pod) {
	ls.set(podIPLabel, model.LabelValue(pod.Status.PodIP))
	ls.set(podReadyLabel, podReady(pod))
	ls.set(podPhaseLabel, model.LabelValue(pod.Status.Phase))
	ls.set(podNodeNameLabel, model.LabelValue(pod.Spec.NodeName))
	ls.set(podHostIPLabel, model.LabelValue(pod.Status.HostIP))
	ls.set(podUID, model.LabelValue(pod.UID))
	b.lab.addObjectMetaLabels(ls, &pod.ObjectMeta, resourcePod)

	owner := controllerOf(pod)
	if owner == nil {
		return
	}
	if owner.Kind != "" {
		ls.set(podControllerKind, model.LabelValue(owner.Kind))
	}
	if owner.Name != "" {
		ls.set(podControllerName, model.LabelValue(owner.Name))
	}
	switch owner.Kind {
	case "ReplicaSet":
		if b.attach.Deployment {
			if rs, ok := b.st.replicaSets[pod.Namespace+"/"+owner.Name]; ok {
				if o := controllerOf(rs); o != nil && o.Kind == "Deployment" {
					ls.set(podDeploymentNameLabel, model.LabelValue(o.Name))
				}
			}
		}
	case "Job":
		if b.attach.Job {
			ls.set(podJobNameLabel, model.LabelValue(owner.Name))
		}
		if b.attach.CronJob {
			if job, ok := b.st.jobs[pod.Namespace+"/"+owner.Name]; ok {
				if o := controllerOf(job); o != nil && o.Kind == "CronJob" {
					ls.set(podCronJobNameLabel, model.LabelValue(o.Name))
				}
			}
		}
	}
}

// containerID finds the container's ID in statuses by name, "" if absent.
func containerID(statuses []corev1.ContainerStatus, name string) string {
	for i := range statuses {
		if statuses[i].Name == name {
			return statuses[i].ContainerID
		}
	}
	return ""
}

// podContainers yields the containers followed by the init containers,
// the order every role walks them in; index >= len(Spec.Containers) marks
// an init container. Ephemeral containers are never considered.
func podContainers(pod *corev1.Pod) iter.Seq2[int, *corev1.Container] {
	return func(yield func(int, *corev1.Container) bool) {
		for i := range pod.Spec.Containers {
			if !yield(i, &pod.Spec.Containers[i]) {
				return
			}
		}
		for i := range pod.Spec.InitContainers {
			if !yield(len(pod.Spec.Containers)+i, &pod.Spec.InitContainers[i]) {
				return
			}
		}
	}
}

// buildPod mirrors (*Pod).buildPod: one target per container port, one
// portless target per container without ports. A pod without IP, or whose
// node is not in the node store while attach_metadata.node is set, gives an
// empty group.
func (b *builder) buildPod(pod *corev1.Pod) *Group {
	tg := &Group{Source: podSource(pod)}
	if pod.Status.PodIP == "" {
		return tg
	}
	if b.attach.Node {
		if _, ok := b.st.nodes[pod.Spec.NodeName]; !ok {
			return tg
		}
	}

	ls := b.set()
	b.addPodLabels(ls, pod)
	ls.set(namespaceLabel, model.LabelValue(pod.Namespace))
	if b.attach.Node {
		b.addNodeLabels(ls, &pod.Spec.NodeName)
	}
	if b.attach.Namespace {
		b.addNamespaceLabels(ls, pod.Namespace)
	}
	tg.Labels = ls.done()

	for i, c := range podContainers(pod) {
		isInit := i >= len(pod.Spec.Containers)
		statuses := pod.Status.ContainerStatuses
		if isInit {
			statuses = pod.Status.InitContainerStatuses
		}
		cID := model.LabelValue(containerID(statuses, c.Name))
		initValue := model.LabelValue(strconv.FormatBool(isInit))

		if len(c.Ports) == 0 {
			// No port: the address is the bare pod IP, unbracketed even for IPv6.
			t := b.set()
			t.set(model.AddressLabel, model.LabelValue(pod.Status.PodIP))
			t.set(podContainerIDLabel, cID)
			t.set(podContainerImageLabel, model.LabelValue(c.Image))
			t.set(podContainerIsInit, initValue)
			t.set(podContainerNameLabel, model.LabelValue(c.Name))
			tg.Targets = append(tg.Targets, t.done())
			continue
		}
		for _, port := range c.Ports {
			number := strconv.FormatUint(uint64(port.ContainerPort), 10)
			t := b.set()
			t.set(model.AddressLabel, model.LabelValue(net.JoinHostPort(pod.Status.PodIP, number)))
			t.set(podContainerIDLabel, cID)
			t.set(podContainerImageLabel, model.LabelValue(c.Image))
			t.set(podContainerIsInit, initValue)
			t.set(podContainerNameLabel, model.LabelValue(c.Name))
			t.set(podContainerPortNameLabel, model.LabelValue(port.Name))
			t.set(podContainerPortNumberLabel, model.LabelValue(number))
			t.set(podContainerPortProtocolLabel, model.LabelValue(port.Protocol))
			tg.Targets = append(tg.Targets, t.done())
		}
	}
	return tg
}
