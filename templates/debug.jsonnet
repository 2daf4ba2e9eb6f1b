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
