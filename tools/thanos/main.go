// Command thanos-rules-check checks Thanos Ruler rule files with Thanos'
// own validation: pkg/rules.ValidateAndCount (thanos-io/thanos v0.39.2,
// Apache-2.0), the function `thanos tools rules-check` runs on each file
// (cmd/thanos/tools.go, checkRulesFiles). It decodes with Thanos' group type
// (partial_response_strategy included) and unknown fields refused, then
// validates every group and rule the way Prometheus' rulefmt does.
//
// Building the whole thanos binary pulls in every object-store SDK; this
// builds the same check from the library. Exit status 1 on any failure.
package main

import (
	"fmt"
	"os"

	"github.com/thanos-io/thanos/pkg/rules"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: thanos-rules-check FILE...")
		os.Exit(64)
	}
	failed := false
	for _, fn := range os.Args[1:] {
		f, err := os.Open(fn)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", fn, err)
			failed = true
			continue
		}
		n, errs := rules.ValidateAndCount(f)
		_ = f.Close()
		if errs.Err() != nil {
			for _, e := range errs {
				fmt.Fprintf(os.Stderr, "%s: FAILED: %v\n", fn, e)
			}
			failed = true
			continue
		}
		fmt.Printf("%s: SUCCESS, %d rules found\n", fn, n)
	}
	if failed {
		os.Exit(1)
	}
}
