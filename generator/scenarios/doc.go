// Package scenarios holds promtool unit tests written by hand from the
// reference numbers (istiod at 80%/90% of 8Gi, 5% of proxies stale, burn
// factors 14.4/6/3/1, ...), run by the real promtool against the committed
// out/<profile>/prometheus/*.yaml.
//
// They are deliberately not produced by the generator: a generator bug that
// moved a rule and its generated test together would pass a generated test
// but not these. Each file in testdata/<profile>/ is a plain promtool test
// file, so `promtool test rules generator/scenarios/testdata/medium/*.yaml`
// runs it without Go.
package scenarios
