package lint

import "testing"

func TestMayExpandTo(t *testing.T) {
	tests := []struct {
		name, template, label string
		want                  bool
	}{
		{"literal", "pod", "pod", true},
		{"other literal", "pod", "pods", false},
		{"group", "$1", "__meta_kubernetes_pod_name", true},
		{"braced group with prefix", "__meta_kubernetes_pod_label_${1}", "__meta_kubernetes_pod_label_app", true},
		{"prefix not matching", "pod_$1", "__meta_kubernetes_pod_name", false},
		{"named group", "${name}_x", "a.b_x", true},
		{"regex characters are literal", "a.b$1", "axb1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mayExpandTo(tt.template, tt.label); got != tt.want {
				t.Errorf("mayExpandTo(%q, %q) = %v, want %v", tt.template, tt.label, got, tt.want)
			}
		})
	}
}
