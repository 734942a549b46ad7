package promconfig

// Prometheus's loader knows the "<name>_sd_configs" keys of the service
// discovery packages linked into the binary, each registering itself when
// imported. These are the two that sdinspect runs offline (static_configs
// needs no package).
//
// Linking every SD package instead (discovery/install, as promtool does)
// would let Prometheus validate the other sections too. Measured with
// v0.316.0 on a small program that loads a config, it takes the program
// from 972 to 1,242 packages (106 to 172 modules, 66 of them new to go.mod),
// its binary from 62 MB to 109 MB (44 MB to 79 MB stripped), and its
// compilation from 249 s to 710 s of CPU from a cold cache, or 421 s of CPU
// more on top of a cache warm for the kubernetes-only build. So the
// sections of the other SD kinds are set aside before loading (aside.go)
// and reported per job in Job.NotRun, unvalidated. Importing
// discovery/install here (and adding its modules to go.mod) is all it takes
// to change that: setAside only removes kinds that are not registered.
import (
	_ "github.com/prometheus/prometheus/discovery/file"       // file_sd_configs
	_ "github.com/prometheus/prometheus/discovery/kubernetes" // kubernetes_sd_configs
)
