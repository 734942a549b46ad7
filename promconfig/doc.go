// Package promconfig loads prometheus.yml files and standalone relabel rule
// files exactly as the pinned Prometheus version loads them, with
// Prometheus's own loader, defaults, validation and error messages, and adds
// what Prometheus throws away: the file and line where every job and every
// relabel rule is written.
//
// A loaded job carries everything needed to run it offline: the validated
// scrape config, its kubernetes_sd_configs, the target groups of its
// static_configs and file_sd_configs (file SD files are read at load time,
// as file SD would read them), and a note for every other kind of service
// discovery it uses, which sdinspect does not run.
//
// Positions come from a second parse of the same bytes with gopkg.in/yaml.v3,
// whose nodes know their lines; the values always come from Prometheus.
package promconfig
