// Debug: root cause. Per-workload traffic, the latency distribution,
// Envoy response flags, TCP, istiod's xDS internals (pushes, convergence,
// triggers, config size, rejects, expired nonces), istiod's own resources
// and sidecar injection.

local g = import 'grafana.libsonnet';
local mesh = import 'mesh.libsonnet';

function(meshslo)
  local m = meshslo;
  local sel = m.selectors;
  local i = m.thresholds.istiod;
  local u = m.upgrade;
  local topN = mesh.topN;

  local rate(metric, extra=[]) = 'rate(%s[$__rate_interval])' % mesh.sel(metric, extra);
  local traffic(metric, extra=[]) = rate(metric, [sel.requests] + mesh.service + extra);
  local istiod(metric, extra=[]) = mesh.sel(metric, [sel.istiod] + extra);
  local istiodRate(metric, by='type') = 'sum by (%s) (%s)' % [by, rate(metric, [sel.istiod])];
  // Envoy response flags worth a look: UO overflow (circuit breaker), URX
  // retries or connect attempts exhausted, UH no healthy upstream, NR no
  // route, DC downstream connection terminated. A request can carry
  // several, comma-separated.
  local flags = 'UO|URX|UH|NR|DC';

  mesh.dashboard(m, 'debug', 'Debug',
                 'Root-cause views for engineers: per-workload traffic, latency distribution, response flags, xDS internals, istiod resources, sidecar injection and TCP.',
                 mesh.variables(m),
                 [
                   // Traffic of the selected services, per destination workload.
                   g.row('Workloads'),
                   g.line(8, [
                     g.timeseries('Requests per workload', 'Requests per second received by the %d destination workloads of the selected services with most requests over the time range.' % topN,
                                  'reqps', [local by = 'destination_workload_namespace, destination_workload';
                                            g.target(mesh.top(topN, by, 'sum by (%s) (%s)' % [by, traffic('istio_requests_total')],
                                                              'sum by (%s) (increase(%s))' % [by, mesh.range(mesh.sel('istio_requests_total', [sel.requests] + mesh.service))]),
                                                     '{{destination_workload_namespace}}/{{destination_workload}}')], min=0),
                     g.heatmap('Request latency distribution', 'Server-side request durations of the selected services, from the istio_request_duration_milliseconds buckets. Bands show where most requests land; a second band is often a slow dependency or retries.',
                               'ms', [g.target('sum by (le) (increase(%s[$__rate_interval]))' % mesh.sel('istio_request_duration_milliseconds_bucket', [sel.requests] + mesh.service))]),
                   ]),
                   g.line(8, [
                     g.timeseries('Response flags (%s)' % std.strReplace(flags, '|', ', '),
                                  'Requests per second with an Envoy response flag, by flag and reporter: UO circuit breaker overflow, URX retries exhausted, UH no healthy upstream, NR no route, DC downstream closed the connection. The %d most frequent over the time range.' % topN,
                                  'reqps', [local by = 'reporter, response_flags, destination_service_name';
                                            local flagged = mesh.sel('istio_requests_total', [sel.traffic] + mesh.service + ['response_flags=~"(.+,)?(%s)(,.+)?"' % flags]);
                                            g.target(mesh.top(topN, by, 'sum by (%s) (rate(%s[$__rate_interval]))' % [by, flagged],
                                                              'sum by (%s) (increase(%s))' % [by, mesh.range(flagged)]),
                                                     '{{response_flags}} {{destination_service_name}} ({{reporter}})')], min=0) { w:: 12 },
                     g.timeseries('TCP bytes', 'Bytes per second over TCP connections to the selected services, sent and received (reported by the server side).',
                                  'Bps', [g.target('sum(%s)' % traffic('istio_tcp_sent_bytes_total'), 'sent'),
                                          g.target('sum(%s)' % traffic('istio_tcp_received_bytes_total'), 'received')], min=0),
                     g.timeseries('TCP connections', 'TCP connections opened and closed per second to the selected services.',
                                  'cps', [g.target('sum(%s)' % traffic('istio_tcp_connections_opened_total'), 'opened'),
                                          g.target('sum(%s)' % traffic('istio_tcp_connections_closed_total'), 'closed')], min=0),
                   ]),

                   // How istiod distributes config: pushes, convergence, triggers, size and failures.
                   g.row('xDS'),
                   g.line(8, [
                     g.timeseries('xDS pushes by type', 'Pushes per second by xDS type (cds, eds, lds, rds, sds...); *_senderr are pushes that failed to send.',
                                  'ops', [g.target(istiodRate('pilot_xds_pushes'), '{{type}}')], min=0),
                     g.heatmap('Convergence time', 'Time from a config change to its push to the proxies (pilot_proxy_convergence_time, measured at send). IstiodPushLatencyHigh tickets when p%s is above %s.' %
                                                   [mesh.num(i.pushLatencyQuantile * 100), mesh.duration(i.pushLatencyWarningSeconds)],
                               's', [g.target('sum by (le) (increase(%s[$__rate_interval]))' % istiod('pilot_proxy_convergence_time_bucket'))]),
                     g.timeseries('Push triggers', 'Why istiod pushes, per second by trigger type (endpoint, config, service, secret...). A storm of one type points at its source.',
                                  'ops', [g.target(istiodRate('pilot_push_triggers'), '{{type}}')], min=0),
                   ]),
                   g.line(8, [
                     g.timeseries('Mean config size per push', 'Mean size of the xDS config pushed, by type: total bytes over pushes. Large LDS/RDS often means a missing Sidecar resource.',
                                  'bytes', [g.target('%s\n/\n%s' % [istiodRate('pilot_xds_config_size_bytes_sum'), istiodRate('pilot_xds_config_size_bytes_count')], '{{type}}')], min=0),
                     g.timeseries('Rejected config', 'Config updates proxies rejected (NACKed) per second, by type. IstioXDSRejects tickets above %s per 5m.' % mesh.num(i.xdsRejectsWarning),
                                  'ops', [g.target(istiodRate('pilot_total_xds_rejects'), '{{type}}')], min=0),
                     g.timeseries('Expired nonces', 'Requests from proxies carrying a nonce istiod no longer expects, per second by type: proxies lagging behind pushes.',
                                  'ops', [g.target(istiodRate('pilot_xds_expired_nonce'), '{{type}}')], min=0),
                   ]),
                   g.line(8, [
                     g.timeseries('Proxies connected per istiod', 'xDS streams per istiod pod: an uneven spread loads one instance more than the others.',
                                  'short', [g.target('sum by (pod) (%s)' % istiod('pilot_xds'), '{{pod}}')], min=0),
                     g.timeseries('xDS internal errors and write timeouts', 'istiod-side xDS failures per second.',
                                  'ops', [g.target('sum(%s)' % rate('pilot_total_xds_internal_errors', [sel.istiod]), 'internal errors'),
                                          g.target('sum(%s)' % rate('pilot_xds_write_timeout', [sel.istiod]), 'write timeouts')], min=0),
                     g.timeseries('Kubernetes config events', 'Istio config events istiod receives from Kubernetes, per second by kind and event.',
                                  'ops', [g.target(istiodRate('pilot_k8s_cfg_events', 'type, event'), '{{type}} {{event}}')], min=0),
                   ]),

                   // Control-plane revisions side by side (canary upgrades): the
                   // revision is istiod's istio.io/rev (istio_io_rev).
                   g.row('Upgrade: revisions side by side'),
                   g.line(8, [
                     g.timeseries('Proxies connected per revision', 'Migration progress: proxies connected to each revision\'s istiods (%s, from pilot_xds). Proxies move when their workloads restart after the tag moved.' % u.proxiesConnected,
                                  'short', [g.target(u.proxiesConnected, '{{revision}}')], min=0, stack=true),
                     g.timeseries('Proxies per Istio version', 'Proxies connected to istiod, by the Istio version they run (pilot_xds version label): old versions left after a migration are proxies not yet restarted.',
                                  'short', [g.target('sum by (version) (%s)' % istiod('pilot_xds'), '{{version}}')], min=0, stack=true),
                     g.timeseries('istiod heap per connected proxy, per revision', 'Go heap of each revision\'s istiods over the proxies they serve. Every istiod holds the whole mesh config, so a revision serving few proxies reads high: compare at comparable shares.',
                                  'bytes', [g.target('sum by (istio_io_rev) (%s)\n/ on (istio_io_rev)\n(sum by (istio_io_rev) (%s) > 0)' % [istiod('go_memstats_heap_alloc_bytes'), istiod('pilot_xds')], '{{istio_io_rev}}')], min=0),
                   ]),
                   g.line(8, [
                     g.timeseries('istiod CPU / request per revision (busiest pod)', 'CPU of each revision\'s busiest istiod against its request (%s by revision).' % m.series.istiodCPURequestRatio,
                                  'percentunit', [g.target('max by (revision) (%s)' % m.series.istiodCPURequestRatio, '{{revision}}')], min=0),
                     g.timeseries('Push latency per revision (p%s)' % mesh.num(i.pushLatencyQuantile * 100), 'Config convergence time of each revision at p%s.' % mesh.num(i.pushLatencyQuantile * 100),
                                  's', [g.target('histogram_quantile(%s, sum by (le, istio_io_rev) (%s))' % [mesh.num(i.pushLatencyQuantile), rate('pilot_proxy_convergence_time_bucket', [sel.istiod])], '{{istio_io_rev}}')], min=0),
                     g.timeseries('Rejected config per revision', 'Config updates the proxies of each revision rejected, per second.',
                                  'ops', [g.target('sum by (istio_io_rev) (%s)' % rate('pilot_total_xds_rejects', [sel.istiod]), '{{istio_io_rev}}')], min=0),
                   ]),
                 ] + (if u.canary == '' then [] else [
                   g.line(8, [
                     g.timeseries('Canary verdict', '%s: 1 while canary %s serves proxies, is not worse than stable %s on any IstioCanaryRegression signal and no alert of its revision (nor IstioProxiesStale) fires. The promotion gate: min_over_time(%s[48h]) == 1.' % [u.healthy, u.canary, u.stable, u.healthy],
                                  'short', [g.target(u.healthy, 'healthy')], min=0, max=1),
                     g.timeseries('Canary against stable', 'Canary %s over stable %s: heap per proxy (regression above %sx), push latency (above %sx), p99 latency of the workloads its proxies serve (above %sx).' %
                                                           [u.canary, u.stable, mesh.num(u.factors.heap_per_proxy), mesh.num(u.factors.push_latency), mesh.num(u.factors.latency_p99)],
                                  'short', [g.target('%s{revision="%s"} / on () group_left () %s{revision="%s"}' % [p[0], u.canary, p[0], u.stable], p[1])
                                            for p in [[u.heapPerProxy, 'heap per proxy'], [u.pushLatency, 'push latency'], [u.latencyP99, 'p99 latency']]], min=0),
                     g.timeseries('Canary 5xx ratio against stable', 'The 5xx share of the requests each revision\'s workloads serve; IstioCanaryRegression fires when the canary\'s is more than %s above stable\'s.' % mesh.num(u.factors.error_ratio),
                                  'percentunit', [g.target('%s{revision=~"%s|%s"}' % [u.errorRatio, u.stable, u.canary], '{{revision}}')], min=0),
                   ]),
                 ]) + [
                   // CPU, goroutines and memory of each istiod.
                   g.row('istiod resources'),
                   g.line(8, [
                     g.timeseries('istiod CPU', 'CPU cores used by each istiod container.',
                                  'short', [g.target('sum by (pod) (%s)' % rate('container_cpu_usage_seconds_total', [sel.istiodContainer]), '{{pod}}')], min=0),
                     g.timeseries('istiod goroutines', 'Goroutines per istiod: steady growth without more proxies is a leak.',
                                  'short', [g.target('sum by (pod) (%s)' % istiod('go_goroutines'), '{{pod}}')], min=0),
                     g.timeseries('istiod heap and working set', 'Go heap and container working set of each istiod; the dashed line is the profile\'s memory limit (%s), which the heap alert compares against when no live limit is set.' % mesh.bytes(i.memoryLimitBytes),
                                  'bytes', [g.target('max by (pod) (%s)' % istiod('go_memstats_heap_alloc_bytes'), 'heap {{pod}}'),
                                            g.target('max by (pod) (%s)' % mesh.sel('container_memory_working_set_bytes', [sel.istiodContainer]), 'working set {{pod}}')],
                                  g.thresholds('green', [{ value: i.memoryLimitBytes, color: 'red' }]), min=0),
                   ]),

                   // The injection webhook of istiod.
                   g.row('Sidecar injection'),
                   g.line(7, [
                     g.timeseries('Injection requests', 'Sidecar injection webhook calls per second, by outcome.',
                                  'ops', [g.target('sum(%s)' % rate('sidecar_injection_requests_total', [sel.istiod]), 'requests'),
                                          g.target('sum(%s)' % rate('sidecar_injection_success_total', [sel.istiod]), 'success'),
                                          g.target('sum(%s)' % rate('sidecar_injection_failure_total', [sel.istiod]), 'failure'),
                                          g.target('sum(%s)' % rate('sidecar_injection_skip_total', [sel.istiod]), 'skipped')], min=0),
                     g.timeseries('Injection failures per 5m', 'Failed injections in 5m. IstioSidecarInjectionFailures tickets above %s (dashed).' % mesh.num(i.injectionFailuresWarning),
                                  'short', [g.target('sum(increase(%s[5m]))' % istiod('sidecar_injection_failure_total'), 'failures')], mesh.above(i.injectionFailuresWarning), min=0),
                   ]),
                 ])
