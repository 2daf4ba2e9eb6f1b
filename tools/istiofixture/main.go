// Command istio-fixture runs Istio's real control-plane code on loopback
// as a test fixture for meshslo's rules: istiod's discovery server with
// its metrics exporter, debug endpoints (/debug/syncz), CA and injection
// webhook, driven by fake proxies that ACK, NACK, lag, go silent or
// disconnect on a schedule, and real istio-agents (one process each, as
// in a pod) in front of fake Envoys. It also serves a kube-state-metrics
// exposition of the fake pods.
//
//	istio-fixture [-scenario file.json] -manifest out.json [-logdir dir]
//
// writes, once everything listens, a manifest with every address to
// scrape and what each pod does when; -print-scenario prints the default
// scenario. Agent mode (-mode agent) is what the istiod mode starts for
// each agent pod.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func signalNotify(ch chan os.Signal) { signal.Notify(ch, syscall.SIGTERM, os.Interrupt) }

func main() {
	mode := flag.String("mode", "istiod", "istiod | agent")
	scenario := flag.String("scenario", "", "scenario JSON file (default: the built-in scenario)")
	printScenario := flag.Bool("print-scenario", false, "print the scenario as JSON and exit")
	manifest := flag.String("manifest", "-", "where to write the manifest (- for stdout)")
	logDir := flag.String("logdir", os.TempDir(), "directory for the agents' logs")
	host := flag.String("listen", "127.0.0.1", "loopback host every listener binds (port 0)")
	// Agent mode.
	istiod := flag.String("istiod", "", "agent: istiod's xDS address")
	pod := flag.String("pod", "", "agent: pod name")
	namespace := flag.String("namespace", "", "agent: pod namespace")
	ip := flag.String("ip", "", "agent: pod IP")
	node := flag.String("node", "", "agent: Envoy node ID")
	kind := flag.String("kind", "", "agent: failure kind (silent, unreachable, nack)")
	from := flag.Duration("from", 0, "agent: the kind's window starts this long after the epoch")
	until := flag.Duration("until", 0, "agent: and ends")
	epoch := flag.String("epoch", "", "agent: the scenario's epoch, Unix nanoseconds")
	addrFile := flag.String("addr-file", "", "agent: write the metrics address here once up")
	flag.Parse()
	log.SetFlags(log.Ltime | log.Lmicroseconds)

	switch *mode {
	case "istiod":
		sc, err := loadScenario(*scenario)
		if err != nil {
			log.Fatal(err)
		}
		if err := sc.validate(); err != nil {
			log.Fatal(err)
		}
		if *printScenario {
			b, _ := json.MarshalIndent(sc, "", "  ")
			fmt.Println(string(b))
			return
		}
		runIstiod(sc, *host, *manifest, *logDir)
	case "agent":
		ns, err := strconv.ParseInt(*epoch, 10, 64)
		if err != nil || *istiod == "" || *pod == "" || *addrFile == "" {
			log.Fatal("agent mode needs -istiod, -pod, -epoch and -addr-file")
		}
		runAgent(agentOptions{
			istiod: *istiod, listenHost: *host, addrFile: *addrFile, epoch: time.Unix(0, ns),
			pod: Pod{Namespace: *namespace, Name: *pod, IP: *ip, NodeID: *node, Agent: true,
				Kind: *kind, Start: Duration(*from), End: Duration(*until)},
		})
	default:
		log.Fatalf("unknown mode %q", *mode)
	}
}
