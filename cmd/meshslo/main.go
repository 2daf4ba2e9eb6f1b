// Command meshslo turns a mesh profile into Prometheus alerting and
// recording rules, SLO burn-rate alerts and Grafana dashboards for Istio.
package main

import (
	"os"

	"github.com/meshslo/meshslo/cmd/meshslo/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
