// Command sdinspect shows what Prometheus's Kubernetes service discovery and
// relabeling would do with a scrape config. See the README or `sdinspect
// --help`.
package main

import (
	"context"
	"os"
	"syscall"
)

func main() {
	ctx, stop := notifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
