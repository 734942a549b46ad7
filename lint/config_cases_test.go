package lint_test

import "github.com/sdinspect/sdinspect/lint"

// cfgCase is one job under scrape_configs (its lines after job_name,
// indented by four spaces) and the config findings it must give. files are
// written next to prometheus.yml, for file_sd_configs.
type cfgCase struct {
	name  string
	job   string
	files map[string]string
	want  []cfgWant
}

const (
	removeRule = "remove the rule, or fix it to do what was meant"
	moveRule   = "move the rule to metric_relabel_configs"
)

var configCases = []cfgCase{
	// SD001 unknown-source-label.
	{name: "SD001 endpoints label under endpointslice", job: `
    kubernetes_sd_configs: [{role: endpointslice}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_endpoint_port_name] # A
        action: keep
        regex: web`,
		want: []cfgWant{{lint.UnknownSourceLabel, "# A", 0,
			"rule 0 (keep) reads __meta_kubernetes_endpoint_port_name, which role endpointslice never produces",
			"did you mean __meta_kubernetes_endpointslice_port_name?"}}},
	{name: "SD001 endpointslice label under endpoints", job: `
    kubernetes_sd_configs: [{role: endpoints}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_endpointslice_endpoint_conditions_ready] # A
        action: drop
        regex: "false"`,
		want: []cfgWant{{lint.UnknownSourceLabel, "# A", 0,
			"rule 0 (drop) reads __meta_kubernetes_endpointslice_endpoint_conditions_ready, which role endpoints never produces",
			"did you mean __meta_kubernetes_endpoint_ready?"}}},
	{name: "SD001 namespace label without attach_metadata", job: `
    kubernetes_sd_configs: [{role: pod}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_namespace_label_team] # A
        target_label: team`,
		want: []cfgWant{{lint.UnknownSourceLabel, "# A", 0,
			"rule 0 (replace) reads __meta_kubernetes_namespace_label_team, which role pod never produces",
			"set attach_metadata.namespace: true in the role pod kubernetes_sd_config"}}},
	{name: "SD001 node label without attach_metadata", job: `
    kubernetes_sd_configs: [{role: endpointslice}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_node_label_topology_kubernetes_io_zone] # A
        target_label: zone`,
		want: []cfgWant{{lint.UnknownSourceLabel, "# A", 0,
			"rule 0 (replace) reads __meta_kubernetes_node_label_topology_kubernetes_io_zone, which role endpointslice never produces",
			"set attach_metadata.node: true in the role endpointslice kubernetes_sd_config"}}},
	{name: "SD001 deployment name without attach_metadata", job: `
    kubernetes_sd_configs: [{role: pod}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_deployment_name] # A
        target_label: deployment`,
		want: []cfgWant{{lint.UnknownSourceLabel, "# A", 0,
			"rule 0 (replace) reads __meta_kubernetes_pod_deployment_name, which role pod never produces",
			"set attach_metadata.deployment: true in the role pod kubernetes_sd_config"}}},
	{name: "SD001 unsanitised label key", job: `
    kubernetes_sd_configs: [{role: pod}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_label_app.kubernetes.io/name] # A
        target_label: app`,
		want: []cfgWant{{lint.UnknownSourceLabel, "# A", 0,
			"rule 0 (replace) reads __meta_kubernetes_pod_label_app.kubernetes.io/name, which role pod never produces",
			"did you mean __meta_kubernetes_pod_label_app_kubernetes_io_name?"}}},
	{name: "SD001 unsanitised key that also needs attach_metadata", job: `
    kubernetes_sd_configs: [{role: service}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_namespace_annotation_example.com/owner] # A
        target_label: owner`,
		want: []cfgWant{{lint.UnknownSourceLabel, "# A", 0,
			"rule 0 (replace) reads __meta_kubernetes_namespace_annotation_example.com/owner, which role service never produces",
			"did you mean __meta_kubernetes_namespace_annotation_example_com_owner? and set attach_metadata.namespace: true in the role service kubernetes_sd_config"}}},
	{name: "SD001 typo", job: `
    kubernetes_sd_configs: [{role: pod}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_lable_app] # A
        target_label: app`,
		want: []cfgWant{{lint.UnknownSourceLabel, "# A", 0,
			"rule 0 (replace) reads __meta_kubernetes_pod_lable_app, which role pod never produces",
			"did you mean __meta_kubernetes_pod_label_app?"}}},
	{name: "SD001 far from any real name", job: `
    kubernetes_sd_configs: [{role: service}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_phase] # A
        regex: Running
        action: keep`,
		want: []cfgWant{{lint.UnknownSourceLabel, "# A", 0,
			"rule 0 (keep) reads __meta_kubernetes_pod_phase, which role service never produces", ""}}},
	{name: "SD001 several roles, keepequal", job: `
    kubernetes_sd_configs: [{role: endpoints}, {role: pod}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_endpointslice_port_name] # A
        target_label: __meta_kubernetes_pod_container_port_name
        action: keepequal`,
		want: []cfgWant{{lint.UnknownSourceLabel, "# A", 0,
			"rule 0 (keepequal) reads __meta_kubernetes_endpointslice_port_name, which roles endpoints, pod never produce",
			"did you mean __meta_kubernetes_endpoint_port_name?"}}},
	{name: "SD001 no kubernetes_sd_configs", job: `
    static_configs: [{targets: ["a:9100"]}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_name] # A
        target_label: pod`,
		want: []cfgWant{{lint.UnknownSourceLabel, "# A", 0,
			"rule 0 (replace) reads __meta_kubernetes_pod_name, but the job has no kubernetes_sd_configs", ""}}},
	{name: "SD001 none: http_sd_configs may set any label", job: `
    http_sd_configs: [{url: "http://sd.example/targets"}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_name]
        target_label: pod`},
	{name: "SD001 none: a file_sd_configs glob that matches no file yet", job: `
    file_sd_configs: [{files: [targets/*.json]}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_name]
        target_label: pod`},
	{name: "SD001 file_sd_configs glob whose files are all read", job: `
    file_sd_configs: [{files: ["*.json"]}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_name] # A
        target_label: pod`,
		files: map[string]string{"targets.json": `[{"targets": ["b:1"]}]`},
		want: []cfgWant{{lint.UnknownSourceLabel, "# A", 0,
			"rule 0 (replace) reads __meta_kubernetes_pod_name, but the job has no kubernetes_sd_configs", ""}}},
	{name: "SD001 set by a later rule only", job: `
    kubernetes_sd_configs: [{role: pod}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_team] # A
        target_label: team
      - source_labels: [__meta_kubernetes_pod_label_team]
        target_label: __meta_kubernetes_pod_team
      - source_labels: [__meta_kubernetes_pod_team]
        target_label: squad`,
		want: []cfgWant{{lint.UnknownSourceLabel, "# A", 0,
			"rule 0 (replace) reads __meta_kubernetes_pod_team, which role pod never produces", ""}}},
	{name: "SD001 none: produced, user and internal labels", job: `
    kubernetes_sd_configs: [{role: pod, attach_metadata: {node: true, namespace: true, cronjob: true}}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_labelpresent_app, __meta_kubernetes_node_annotation_zone, __meta_kubernetes_namespace_label_team, __meta_kubernetes_pod_cronjob_name]
        regex: true;.*
        action: keep
      - source_labels: [__address__, __param_module, __tmp_x, team, __meta_consul_service, __meta_kubernetes_namespace]
        target_label: x`},
	{name: "SD001 none: set by earlier rules and groups", job: `
    kubernetes_sd_configs: [{role: node}]
    file_sd_configs: [{files: [targets.yml]}]
    static_configs: [{targets: ["a:1"], labels: {__meta_kubernetes_pod_name: a}}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_node_name]
        target_label: __meta_kubernetes_pod_node_name
      - action: labelmap
        regex: __meta_kubernetes_node_label_(.+)
        replacement: __meta_kubernetes_pod_label_$1
      - source_labels: [__meta_kubernetes_node_name]
        regex: (.+)
        target_label: __meta_kubernetes_${1}_owner
      - source_labels: [__meta_kubernetes_pod_node_name, __meta_kubernetes_pod_label_app, __meta_kubernetes_pod_name, __meta_kubernetes_service_name, __meta_kubernetes_x_owner]
        target_label: x`,
		files: map[string]string{"targets.yml": "- targets: [b:1]\n  labels: {__meta_kubernetes_service_name: b}\n"}},

	// SD002 unreachable-rule.
	{name: "SD002 after a drop of everything", job: `
    kubernetes_sd_configs: [{role: pod}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_name] # D
        regex: (?s)(.*)
        action: drop
      - target_label: a # A
        replacement: b
      - source_labels: [__meta_kubernetes_pod_phase] # B
        regex: Running
        action: keep`,
		want: []cfgWant{
			{lint.KeepsNothing, "# D", 0, "rule 0 (drop) drops every target whatever its labels: the job keeps nothing", ""},
			{lint.UnreachableRule, "# A", 1, "rule 1 (replace) never runs: rule 0 (drop) drops every target", ""},
			{lint.UnreachableRule, "# B", 2, "rule 2 (keep) never runs: rule 0 (drop) drops every target", ""},
		}},
	{name: "SD002 after a drop without source labels", job: `
    kubernetes_sd_configs: [{role: pod}]
    relabel_configs:
      - action: drop # D
      - target_label: a # A
        replacement: b`,
		want: []cfgWant{{lint.KeepsNothing, "# D", 0, "rule 0 (drop) drops every target whatever its labels: the job keeps nothing", ""}, {lint.UnreachableRule, "# A", 1, "rule 1 (replace) never runs: rule 0 (drop) drops every target", ""}}},
	{name: "SD002 after a keep without source labels", job: `
    kubernetes_sd_configs: [{role: pod}]
    relabel_configs:
      - action: keep # D
        regex: .+
      - target_label: a # A
        replacement: b`,
		want: []cfgWant{{lint.KeepsNothing, "# D", 0, "rule 0 (keep) drops every target whatever its labels: the job keeps nothing", ""}, {lint.UnreachableRule, "# A", 1, "rule 1 (replace) never runs: rule 0 (keep) drops every target", ""}}},
	{name: "SD002 after a dropequal of a label with itself", job: `
    kubernetes_sd_configs: [{role: pod}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_name] # D
        target_label: __meta_kubernetes_pod_name
        action: dropequal
      - target_label: a # A
        replacement: b`,
		want: []cfgWant{{lint.KeepsNothing, "# D", 0, "rule 0 (dropequal) drops every target whatever its labels: the job keeps nothing", ""}, {lint.UnreachableRule, "# A", 1, "rule 1 (replace) never runs: rule 0 (dropequal) drops every target", ""}}},
	{name: "SD002 none: drops that depend on the target", job: `
    kubernetes_sd_configs: [{role: pod}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_name]
        regex: .+
        action: drop
      - source_labels: [__meta_kubernetes_pod_name]
        regex: (?-s:.*)
        action: drop
      - source_labels: [__meta_kubernetes_pod_ip]
        target_label: __meta_kubernetes_pod_host_ip
        action: dropequal
      - target_label: a
        replacement: b
      - action: drop # D
        regex: .*`,
		// The last rule drops everything: nothing after it, but the job
		// keeps nothing.
		want: []cfgWant{{lint.KeepsNothing, "# D", 4, "rule 4 (drop) drops every target whatever its labels: the job keeps nothing", ""}}},

	// SD003 overwritten-label.
	{name: "SD003 replace then replace", job: `
    kubernetes_sd_configs: [{role: endpoints}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_service_name] # A
        target_label: app
      - source_labels: [__meta_kubernetes_namespace]
        target_label: namespace
      - source_labels: [__meta_kubernetes_pod_label_app]
        target_label: app`,
		want: []cfgWant{{lint.OverwrittenLabel, "# A", 0, "rule 0 (replace) sets app, but rule 2 (replace) overwrites it before any rule reads it", ""}}},
	// The Prometheus Operator's pair: the first writes only for pod
	// targets, and then agrees with the second.
	{name: "SD003 none: conditional replace then unconditional replace", job: `
    kubernetes_sd_configs: [{role: endpoints}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_endpoint_address_target_kind, __meta_kubernetes_endpoint_address_target_name]
        regex: Pod;(.*)
        target_label: pod
      - source_labels: [__meta_kubernetes_namespace]
        target_label: namespace
      - source_labels: [__meta_kubernetes_pod_name]
        target_label: pod`},
	{name: "SD003 lowercase then hashmod", job: `
    kubernetes_sd_configs: [{role: pod}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_name] # A
        target_label: shard
        action: lowercase
      - source_labels: [__address__]
        target_label: shard
        modulus: 2
        action: hashmod
      - source_labels: [shard]
        regex: "0"
        action: keep`,
		want: []cfgWant{{lint.OverwrittenLabel, "# A", 0, "rule 0 (lowercase) sets shard, but rule 1 (hashmod) overwrites it before any rule reads it", ""}}},
	{name: "SD003 none: read, conditional, templated, removed", job: `
    kubernetes_sd_configs: [{role: pod}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_name]
        target_label: a
      - source_labels: [a]
        target_label: b
      - source_labels: [__meta_kubernetes_pod_name]
        target_label: a
      - source_labels: [__meta_kubernetes_pod_label_a]
        regex: (.+)
        target_label: a
      - source_labels: [__meta_kubernetes_pod_name]
        regex: (.+)
        target_label: ${1}
      - source_labels: [__meta_kubernetes_pod_uid]
        target_label: c
      - action: labelmap
        regex: (c)
        replacement: d
      - source_labels: [__meta_kubernetes_pod_uid]
        target_label: c
      - source_labels: [__meta_kubernetes_pod_ip]
        target_label: e
      - action: labeldrop
        regex: c|e
      - source_labels: [__meta_kubernetes_pod_ip]
        target_label: e
      - source_labels: [__meta_kubernetes_pod_name]
        target_label: e
        action: keepequal
      - source_labels: [__meta_kubernetes_pod_ip]
        target_label: e`},

	// SD004 name-label.
	{name: "SD004 __name__ read and written", job: `
    kubernetes_sd_configs: [{role: pod}]
    relabel_configs:
      - source_labels: [__name__] # A
        regex: go_.*
        action: drop
      - target_label: __name__ # B
        replacement: up`,
		want: []cfgWant{
			{lint.NameLabel, "# A", 0, "rule 0 (drop) reads __name__, which targets never have: relabel_configs run before the scrape", moveRule},
			{lint.NameLabel, "# B", 1, "rule 1 (replace) writes __name__, which targets never have: relabel_configs run before the scrape", moveRule},
		}},
	{name: "SD004 none: __name__ in metric_relabel_configs", job: `
    kubernetes_sd_configs: [{role: pod}]
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: go_.*
        action: drop`},

	// SD005 hashmod-without-keep.
	{name: "SD005 hashmod nothing filters on", job: `
    kubernetes_sd_configs: [{role: pod}]
    relabel_configs:
      - source_labels: [__address__] # A
        modulus: 4
        target_label: __tmp_hash
        action: hashmod
      - source_labels: [__tmp_hash]
        target_label: shard`,
		want: []cfgWant{{lint.HashmodWithoutKeep, "# A", 0, "rule 0 (hashmod) sets __tmp_hash, but no later keep or drop reads it",
			"keep this instance's shard with a later rule: {action: keep, source_labels: [__tmp_hash], regex: <shard>}"}}},
	{name: "SD005 none: keep directly and through a copy", job: `
    kubernetes_sd_configs: [{role: pod}]
    relabel_configs:
      - source_labels: [__address__]
        modulus: 4
        target_label: __tmp_hash
        action: hashmod
      - source_labels: [__tmp_hash]
        regex: "1"
        action: keep
      - source_labels: [__address__]
        modulus: 4
        target_label: __tmp_hash2
        action: hashmod
      - source_labels: [__tmp_hash2, __tmp_disable_sharding]
        regex: (.+);
        target_label: __tmp_shard
      - source_labels: [__tmp_shard, __tmp_disable_sharding]
        regex: 2;|.+;.+
        action: keep`},

	// SD006 anchored-regex.
	{name: "SD006 anchors", job: `
    kubernetes_sd_configs: [{role: pod}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_name] # A
        regex: ^api$
        action: keep
      - source_labels: [__meta_kubernetes_pod_name] # B
        regex: ^api-.*
        action: keep
      - source_labels: [__meta_kubernetes_pod_name] # C
        regex: (.*)-canary$
        action: drop`,
		want: []cfgWant{
			{lint.AnchoredRegex, "# A", 0, `rule 0 (keep) regex "^api$" is anchored with ^ and $, as Prometheus anchors every relabel regex already`, `regex: "api"`},
			{lint.AnchoredRegex, "# B", 1, `rule 1 (keep) regex "^api-.*" is anchored with ^, as Prometheus anchors every relabel regex already`, `regex: "api-.*"`},
			{lint.AnchoredRegex, "# C", 2, `rule 2 (drop) regex "(.*)-canary$" is anchored with $, as Prometheus anchors every relabel regex already`, `regex: "(.*)-canary"`},
		}},
	{name: "SD006 none: escaped or inner anchors", job: `
    kubernetes_sd_configs: [{role: pod}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_annotation_price]
        regex: '[^0-9]+\$'
        action: drop
      - source_labels: [__meta_kubernetes_pod_ip]
        regex: ((\d+)(\.|$)){4}
        action: keep`},

	// SD007 no-effect.
	{name: "SD007 rules that change nothing", job: `
    kubernetes_sd_configs: [{role: pod}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_name] # A
        regex: .*
        action: keep
      - source_labels: [team] # B
        target_label: team
      - source_labels: [team] # C
        regex: (.+)
        replacement: ${1}
        target_label: team
      - action: labelmap # D
        regex: (__meta_kubernetes_pod_label_.*)
      - source_labels: [team] # E
        target_label: team
        action: keepequal
      - action: keep # F
        regex: (none)?
      - action: drop # G
        regex: .+`,
		want: []cfgWant{
			{lint.NoEffect, "# A", 0, `rule 0 (keep) has no effect: regex ".*" matches every value, so it keeps every target`, removeRule},
			{lint.NoEffect, "# B", 1, "rule 1 (replace) has no effect: it sets team to its own value", removeRule},
			{lint.NoEffect, "# C", 2, "rule 2 (replace) has no effect: it sets team to its own value", removeRule},
			{lint.NoEffect, "# D", 3, "rule 3 (labelmap) has no effect: it maps every label it matches to its own name", removeRule},
			{lint.NoEffect, "# E", 4, "rule 4 (keepequal) has no effect: it compares team with itself", removeRule},
			{lint.NoEffect, "# F", 5, `rule 5 (keep) has no effect: without source_labels the value is always "", which regex "(none)?" matches`, removeRule},
			{lint.NoEffect, "# G", 6, `rule 6 (drop) has no effect: without source_labels the value is always "", which regex ".+" does not match`, removeRule},
		}},
	{name: "SD007 none: rules that change something", job: `
    kubernetes_sd_configs: [{role: pod}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_name]
        regex: .+
        action: keep
      - source_labels: [team]
        replacement: ${1}-x
        target_label: team
      - source_labels: [team]
        regex: (.+)-(.+)
        replacement: $2
        target_label: team
      - source_labels: [team, squad]
        target_label: team
      - action: labelmap
        regex: __meta_kubernetes_pod_label_(.+)
      - action: labeldrop
        regex: __tmp_.*
      - source_labels: [team]
        target_label: squad
        action: keepequal`},
}
