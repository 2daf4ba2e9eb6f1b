// SLIs of ambient and mixed meshes: a service is read from its waypoint,
// its destination sidecar or ztunnel's L4 connections, whichever comes
// first in the SLO's Sources and has series for it, never from two.

package rules

import (
	"github.com/prometheus/prometheus/model/labels"
	"strings"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/selector"
)

// SLISourceLabel names, on the per-source series of an SLO with several
// sources, which source they were read from.
const SLISourceLabel = "sli_source"

// Per-source intermediate series of SLOs with several sources.
const (
	sourceRequestsRatePrefix = "slo:sli_source_requests:rate"
	sourceErrorsRatePrefix   = "slo:sli_source_errors:rate"
	tcpOpenedIncreasePrefix  = "slo:istio_tcp_connections_opened:increase"
	tcpFailedIncreasePrefix  = "slo:istio_tcp_connections_failed:increase"
)

// multiSource reports whether s reads more than its Reporter's requests.
func multiSource(s config.SLO) bool {
	return len(s.Sources) > 1 || (len(s.Sources) == 1 && s.Sources[0] == config.SourceL4)
}

// atReporter is s.Requests with its reporter matcher set to reporter.
func atReporter(s config.SLO, reporter string) selector.Matchers {
	out := selector.Matchers{selector.Equal("reporter", reporter)}
	for _, m := range s.Requests {
		if m.Name != "reporter" {
			out = append(out, m)
		}
	}
	return out
}

// sourceRates returns the rules that read the raw series of every source
// of s over w, each source's request and error rates per service
// (labelled sli_source), and the SLO's rates from the first source with
// series for each service. The choice is per service and window: a
// service behind a waypoint whose pods have sidecars is read from the
// waypoint only, so the same failed request does not count twice.
func (b *builder) sourceRates(s config.SLO, w profile.Duration) []Rule {
	sel := selector.Matchers{selector.Equal("slo", s.Name)}
	svc := b.serviceLabels()
	// The source's label rides along from the increase series, so the
	// per-source rates of one service never collide.
	perSLO := append(b.perSLOLabels(s), SLISourceLabel)
	secs := num(w.Seconds())
	ws := w.String()
	labelled := func(src string) map[string]string {
		l := sloLabels(s)
		l[SLISourceLabel] = src
		return l
	}
	at := func(src string) selector.Matchers { return sel.With(selector.Equal(SLISourceLabel, src)) }
	reqs := func(src string) string { return at(src).Metric(sourceRequestsRatePrefix + ws) }
	var rules []Rule
	for _, src := range s.Sources {
		switch {
		case src == config.SourceL4:
			// ztunnel labels a connection to a pod IP that no Service
			// selects destination_service_name="unknown": no service's SLO.
			// A sidecar's istio_tcp_* (reporter="destination" too, for the
			// pods of the same service that run one) is not ztunnel's.
			ms := atReporter(s, config.L4Reporter).With(b.c.Selectors.Ztunnel...).With(selector.NotEqual("destination_service_name", "unknown"))
			opened := ms.Metric("istio_tcp_connections_opened_total")
			failedSel := ms.With(selector.NotEqual("response_flags", "-"))
			failed := failedSel.Metric("istio_tcp_connections_closed_total")
			rules = append(rules,
				Rule{Record: tcpOpenedIncreasePrefix + ws, Labels: labelled(src),
					Expr: by(svc...) + "(\n" + indent(excluded(s, increaseExpr(opened, w), ms, "istio_tcp_connections_opened_total"), "  ") + "\n)",
					Comment: "ztunnel's connections to the service's pods (reporter=\"destination\": the destination node's ztunnel; ztunnel's series only, not a sidecar's). " +
						"Every ztunnel version exports it (istio/ztunnel src/proxy/metrics.rs)."},
				Rule{Record: tcpFailedIncreasePrefix + ws, Labels: labelled(src),
					Expr: by(svc...) + "(\n" + indent(excluded(s, increaseExpr(failed, w), failedSel, "istio_tcp_connections_closed_total"), "  ") + "\n)",
					Comment: "Connections ztunnel closed with a failure flag: DENY (authorization policy), CONNECT (the pod refused or timed out) " +
						"and, from ztunnel 1.29, TLS_FAILURE, H2_HANDSHAKE_FAILURE, NETWORK_POLICY, IDENTITY_ERROR, CERT_REVOKED. " +
						"1.29 also exports these as istio_tcp_connections_failed_total; before 1.29 failures other than DENY and CONNECT close with \"-\" and are not seen. " +
						"1.22 and 1.23 flag DENY only."},
				Rule{Record: sourceRequestsRatePrefix + ws, Labels: labelled(src),
					Expr: by(perSLO...) + "(" + at(src).Metric(tcpOpenedIncreasePrefix+ws) + ") / " + secs},
				Rule{Record: sourceErrorsRatePrefix + ws, Labels: labelled(src),
					Expr:    lines(by(perSLO...)+"("+at(src).Metric(tcpFailedIncreasePrefix+ws)+") / "+secs, "or", "0 * "+reqs(src)),
					Comment: "SLO " + s.Name + " for services without L7 series: failed or denied connections over opened ones."},
			)
		case s.SLI == profile.SLILatency:
			name := bucketsIncreasePrefix + ws
			bucketSel := atReporter(s, src).With(selector.Regex("le", leRegex(s)+`|\+Inf`))
			bucket := bucketSel.Metric("istio_request_duration_milliseconds_bucket")
			inc := excluded(s, increaseExpr(bucket, w), bucketSel, "istio_request_duration_milliseconds_bucket")
			rules = append(rules,
				Rule{Record: name, Expr: by(append(svc, "le")...) + "(\n" + indent(inc, "  ") + "\n)", Labels: labelled(src),
					Comment: "reporter=\"" + src + "\": the threshold's bucket and the +Inf bucket (every request), per service."},
				Rule{Record: sourceRequestsRatePrefix + ws, Labels: labelled(src),
					Expr: by(perSLO...) + "(" + at(src).With(selector.Equal("le", "+Inf")).Metric(name) + ") / " + secs},
				Rule{Record: sourceErrorsRatePrefix + ws, Labels: labelled(src),
					Expr: reqs(src) + " - " + by(perSLO...) + "(" + at(src).With(selector.Regex("le", leRegex(s))).Metric(name) + ") / " + secs},
			)
		default:
			name := requestsIncreasePrefix + ws
			ms := atReporter(s, src)
			total := ms.Metric("istio_requests_total")
			inc := excluded(s, increaseExpr(total, w), ms, "istio_requests_total")
			rules = append(rules,
				Rule{Record: name, Expr: by(append(svc, "response_code")...) + "(\n" + indent(inc, "  ") + "\n)", Labels: labelled(src),
					Comment: "reporter=\"" + src + "\": requests per service and response code."},
				Rule{Record: sourceRequestsRatePrefix + ws, Labels: labelled(src),
					Expr: by(perSLO...) + "(" + at(src).Metric(name) + ") / " + secs},
				Rule{Record: sourceErrorsRatePrefix + ws, Labels: labelled(src),
					Expr: lines(by(perSLO...)+"("+at(src).With(selector.Regex("response_code", "5..")).Metric(name)+") / "+secs, "or", "0 * "+reqs(src))},
			)
		}
	}
	on := "unless on (" + strings.Join(svc, ", ") + ") "
	pick := func(prefix string) string {
		var parts []string
		for i, src := range s.Sources {
			part := at(src).Metric(prefix + ws)
			if i > 0 {
				before := sel.With(oneOf(SLISourceLabel, s.Sources[:i]))
				part = "(" + part + " " + on + before.Metric(sourceRequestsRatePrefix+ws) + ")"
			}
			parts = append(parts, "  "+part)
		}
		return "sum without (" + SLISourceLabel + ") (\n" + strings.Join(parts, "\n  or\n") + "\n)"
	}
	return append(rules,
		Rule{Record: requestsRatePrefix + ws, Expr: pick(sourceRequestsRatePrefix), Labels: sloLabels(s),
			Comment: "Each service from the first of " + strings.Join(s.Sources, ", ") + " with series for it, never from two: " +
				"a request a waypoint and the destination sidecar both report counts once."},
		Rule{Record: errorsRatePrefix + ws, Expr: pick(sourceErrorsRatePrefix), Labels: sloLabels(s)},
	)
}

// oneOf matches any of values: name="v" for one (pint's promql/regexp
// calls a regexp of one static string redundant), a regexp otherwise.
func oneOf(name string, values []string) *labels.Matcher {
	if len(values) == 1 {
		return selector.Equal(name, values[0])
	}
	return selector.Regex(name, strings.Join(values, "|"))
}
