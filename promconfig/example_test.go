package promconfig_test

import (
	"fmt"

	"github.com/prometheus/common/model"

	"github.com/sdinspect/sdinspect/promconfig"
)

func ExampleLoad() {
	c, err := promconfig.Load("testdata/realistic/prometheus.yml")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, j := range c.Jobs {
		fmt.Printf("%s (%s): %d kubernetes SD configs, %d target groups\n", j.Scrape.JobName, j.Pos, len(j.Kubernetes), len(j.Groups))
		for i, r := range j.Scrape.RelabelConfigs {
			fmt.Printf("  rule %d %s at %s\n", i, r.Action, j.Rules[i])
		}
		for _, n := range j.NotRun {
			fmt.Printf("  not run offline: %s\n", n)
		}
	}
	// Output:
	// kubernetes-pods (testdata/realistic/prometheus.yml:12): 2 kubernetes SD configs, 0 target groups
	//   rule 0 keep at testdata/realistic/prometheus.yml:24
	//   rule 1 labelmap at testdata/realistic/prometheus.yml:27
	//   rule 2 replace at testdata/realistic/prometheus.yml:30
	// node-exporter (testdata/realistic/prometheus.yml:33): 0 kubernetes SD configs, 6 target groups
	//   rule 0 replace at testdata/realistic/prometheus.yml:51
	//   rule 1 labeldrop at testdata/realistic/prometheus.yml:53
	//   not run offline: consul_sd_configs (1 section, not validated)
	//   not run offline: ec2_sd_configs (2 sections, not validated)
	// blackbox (testdata/realistic/prometheus.yml:56): 0 kubernetes SD configs, 1 target groups
	//   rule 0 replace at testdata/realistic/prometheus.yml:63
	//   rule 1 replace at testdata/realistic/prometheus.yml:65
	// kubernetes-ingresses (testdata/realistic/jobs/ingress.yml:2): 1 kubernetes SD configs, 0 target groups
	// kubernetes-services (testdata/realistic/jobs/services.yml:2): 1 kubernetes SD configs, 2 target groups
	//   rule 0 keep at testdata/realistic/jobs/services.yml:12
	//   not run offline: gce_sd_configs (1 section, not validated)
}

func ExampleLoadRules() {
	_, _, err := promconfig.LoadRules("testdata/rules/unknown-action.yml", model.UTF8Validation)
	fmt.Println(err)
	// Output:
	// testdata/rules/unknown-action.yml:3: rule 1: unknown relabel action "keeep"
}
