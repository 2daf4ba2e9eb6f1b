// On-call: triage in minutes. What fires, which services fail or slow
// down, how fast each SLO burns, and every control-plane, proxy and
// certificate signal an alert watches, each drawn against the threshold
// that alert fires on.

local g = import 'grafana.libsonnet';
local mesh = import 'mesh.libsonnet';

function(meshslo)
  local m = meshslo;
  local s = m.series;
  local sel = m.selectors;
  local i = m.thresholds.istiod;
  local px = m.thresholds.proxies;
  local zt = m.ztunnel;
  local ct = m.thresholds.certificates;
  local cert = m.certificates;
  local caNote = {
    istiod: "istiod's self-signed root (it exports no cert chain metric; the root lives 10 years and rotates itself).",
    plugged: 'The plugged-in root and CA certificate chain (cacerts).',
    'cert-manager': 'cert-manager Certificates (spec.prometheus.selectors.certManager): the 10 with least time left over the time range.',
    external: '',
  }[cert.ca];
  local topN = mesh.topN;

  local bySvc = 'destination_service_namespace, destination_service_name';
  local svcLegend = '{{destination_service_namespace}}/{{destination_service_name}}';
  local requests(extra=[]) = mesh.sel('istio_requests_total', [sel.requests] + mesh.service + extra);
  // The top services over the whole range (mesh.top), at most topN lines.
  local rateBySvc(extra) =
    mesh.top(topN, bySvc, 'sum by (%s) (rate(%s[$__rate_interval]))' % [bySvc, requests(extra)],
             'sum by (%s) (increase(%s))' % [bySvc, mesh.range(requests(extra))]);
  local buckets = mesh.sel('istio_request_duration_milliseconds_bucket', [sel.requests] + mesh.service);
  local latency(q) =
    mesh.top(topN, bySvc,
             'histogram_quantile(%s, sum by (%s, le) (rate(%s[$__rate_interval]))) / 1000' % [mesh.num(q), bySvc, buckets],
             'histogram_quantile(%s, sum by (%s, le) (rate(%s)))' % [mesh.num(q), bySvc, mesh.range(buckets)]);
  local latencySLOs = [x for x in m.slos if x.sli == 'latency'];
  // One dashed line per distinct bound: many SLOs share one.
  local latencyLines =
    if latencySLOs == [] then null
    else g.thresholds('green', [{ value: v, color: 'orange' } for v in m.allSLOs.latencyThresholdsSeconds]);
  local latencyNote =
    if latencySLOs == [] then ''
    else if std.length(latencySLOs) > mesh.perSLO.oncall
    then ' Dashed: the latency SLO bounds (%s).' % std.join(', ', m.allSLOs.latencyThresholds)
    else ' Dashed: the latency SLO bound (%s).' % std.join(', ', ['%s %s' % [x.name, x.threshold] for x in latencySLOs]);

  local istiod(name, extra=[]) = mesh.sel(name, [sel.istiod] + extra);
  local up = 'sum(%s)' % istiod('up');

  // Distinct long windows of tiers, in tier order.
  local longWindows(tiers) = std.foldl(function(acc, t) if std.member([w.long for w in acc], t.long) then acc else acc + [t], tiers, []);
  local windows(x) = longWindows(x.tiers);

  local many = std.length(m.slos) > mesh.perSLO.oncall;
  local sloService(x) = ['slo="%s"' % x] + mesh.service;

  // Burn rate per SLO, one graph each while they fit side by side.
  local perSLO = [
    g.line(8, [
      g.timeseries('%s: burn rate per window' % x.name,
                   'Error ratio over each tier\'s long window divided by the %s budget (%s), for the worst selected service. Dashed: red where a tier pages, orange where it tickets (%s). An alert also needs the short window above the line.' %
                   [x.name, mesh.num(x.budget), std.join(', ', ['%s > %sx' % [t.long, mesh.num(t.factor)] for t in x.tiers])],
                   'suffix:x', [
                     g.target('max(%s) / %s' % [mesh.sel(t.longSeries, ['slo="%s"' % x.name] + mesh.service), mesh.num(x.budget)], t.long)
                     for t in windows(x)
                   ], mesh.burnThresholds(x.tiers), min=0)
      for x in m.slos
    ]),
  ];

  // More SLOs than fit: which burn fastest, and the windows of the one
  // picked in the slo variable. The lines are every SLO's tier factors.
  local acrossSLOs =
    local tiers = m.allSLOs.tiers;
    local current = std.join(', ', m.allSLOs.currentWindows);
    local rules = std.join(', ', std.set(['%s > %sx' % [t.long, mesh.num(t.factor)] for t in tiers]));
    [
      g.line(8, [
        g.joinedTable('SLOs by burn rate',
                      'Every SLO of the selected services, fastest-burning first: the burn rate over %s of the worst service (red where the tier pages, orange where it tickets) and the error budget left over the SLO window (red once spent). Pick one in the SLO variable for its windows.' % current,
                      'slo',
                      [
                        g.instant('max by (slo) (%s)' % mesh.sel(s.sloCurrentBurnRate, mesh.service)),
                        g.instant('min by (slo) (%s)' % mesh.sel(s.sloPeriodBudgetRemaining, mesh.service)),
                      ],
                      [
                        { name: 'burn rate %s' % current, unit: 'suffix:x', decimals: 2, thresholds: mesh.burnThresholds(m.allSLOs.currentTiers) },
                        { name: 'budget left', unit: 'percentunit', decimals: 1, thresholds: g.thresholds('red', [{ value: 0, color: 'green' }]) },
                      ],
                      sortBy='burn rate %s' % current, desc=true) { w:: 8 },
        g.timeseries('Burn rate %s: %d fastest-burning SLOs' % [current, topN],
                     'Burn rate over %s of the worst selected service, for the %d SLOs that burned fastest over the time range. Dashed: red where a tier pages, orange where it tickets (%s).' % [current, topN, rules],
                     'suffix:x', [g.target(mesh.top(topN, 'slo', 'max by (slo) (%s)' % mesh.sel(s.sloCurrentBurnRate, mesh.service),
                                                    'max by (slo) (max_over_time(%s))' % mesh.range(mesh.sel(s.sloCurrentBurnRate, mesh.service))), '{{slo}}')],
                     mesh.burnThresholds(tiers), min=0) { w:: 8 },
        g.timeseries('$slo: burn rate per window',
                     'Error ratio over each tier\'s long window divided by the error budget of the SLO picked in the SLO variable, for the worst selected service. Dashed: red where a tier pages, orange where it tickets (%s). An alert also needs the short window above the line.' % rules,
                     'suffix:x', [
                       g.target('max(%s)\n/\nmax(%s)' % [mesh.sel(t.longSeries, sloService('$slo')), mesh.sel(s.sloErrorBudget, sloService('$slo'))], t.long)
                       for t in longWindows(tiers)
                     ], mesh.burnThresholds(tiers), min=0),
      ]),
    ];

  // Several clusters whose series carry the cluster label: every cluster
  // side by side, whichever the Cluster picker shows (each query selects
  // every value of the label, which the picker leaves alone).
  local fl = m.fleet;
  local every(name, extra=[]) = mesh.sel(name, extra + [fl.all]);
  local perCluster(agg, name, extra=[]) = g.instant('%s by (%s) (%s)' % [agg, fl.label, every(name, extra)]);
  local current = std.join(', ', m.allSLOs.currentWindows);
  local pair = 'source_cluster, destination_cluster';
  local fleetRow = [
    g.row('Fleet'),
    g.line(8, [
      g.joinedTable('Clusters',
                    'One row per cluster, every cluster whichever the Cluster picker shows: istiod targets up (IstiodDown pages at none, IstiodReplicasBelowMinimum tickets below %d; a remote of primary-remote runs none), proxies reporting and out of sync (IstioProxiesStale tickets above %d), istiod pods times remote clusters not synced (IstioRemoteClusterNotSynced; empty before Istio 1.29)%s.' %
                    [i.minReplicas, px.staleCount, if m.slos == [] then '' else ', and the fastest SLO burn rate over %s of the worst service (red where a tier pages, orange where it tickets)' % current],
                    fl.label,
                    [
                      perCluster('sum', 'up', [sel.istiod]),
                      perCluster('sum', s.proxiesCount),
                      perCluster('sum', s.proxiesOutOfSyncCount),
                      perCluster('sum', fl.remoteSync, [sel.istiod, 'status!="synced"']),
                    ] + (if m.slos == [] then [] else [perCluster('max', s.sloCurrentBurnRate)]),
                    [
                      { name: 'istiod up', unit: 'short', decimals: 0, thresholds: g.thresholds('red', [{ value: 1, color: 'orange' }, { value: i.minReplicas, color: 'green' }]) },
                      { name: 'proxies', unit: 'short', decimals: 0 },
                      { name: 'out of sync', unit: 'short', decimals: 0, thresholds: g.thresholds('green', [{ value: px.staleCount, color: 'orange' }]) },
                      { name: 'remotes not synced', unit: 'short', decimals: 0, thresholds: g.thresholds('green', [{ value: 1, color: 'orange' }]) },
                    ] + (if m.slos == [] then [] else [
                      { name: 'burn rate %s' % current, unit: 'suffix:x', decimals: 2, thresholds: mesh.burnThresholds(m.allSLOs.currentTiers) },
                    ]),
                    sortBy=fl.label) { w:: 12 },
      g.table('Cross-cluster 5xx ratio',
              'Share of the requests from workloads of one cluster (rows, source_cluster) to workloads of another (columns, destination_cluster) answered 5xx over 5m, as the client proxies report them (reporter="source": a request that never reached the other cluster, such as a 503 with no healthy upstream, counts). Empty: no traffic between the two.',
              'percentunit', [g.instant('max by (%s) (%s)' % [pair, every(fl.crossClusterErrorRatio)])]) {
        w:: 6,
        transformations: [{ id: 'groupingToMatrix', options: { columnField: 'destination_cluster', rowField: 'source_cluster', valueField: 'Value' } }],
      },
      g.timeseries('Cross-cluster 5xx ratio over time',
                   'The same ratio per (source cluster, destination cluster) pair over time, client side (reporter="source"), 5m windows.',
                   'percentunit', [g.target('max by (%s) (%s)' % [pair, every(fl.crossClusterErrorRatio)], '{{source_cluster}} to {{destination_cluster}}')], min=0),
    ]),
  ];

  mesh.dashboard(m, 'oncall', 'On-call',
                 'Triage for whoever holds the pager: firing alerts, failing and slow services, SLO burn rates and every alert signal against the threshold it fires on.',
                 mesh.variables(m) + (if many then [mesh.sloVariable(m)] else []),
                 [
                   // meshslo alerts firing now.
                   g.row('Firing alerts'),
                   g.line(6, [
                     g.table('Firing mesh alerts', 'Every meshslo alert firing now, with its labels. Each alert has a runbook: docs/runbooks/<alertname>.md.',
                             'short', [g.instant('%s' % mesh.sel('ALERTS', ['alertstate="firing"', 'alertname=~"%s"' % std.join('|', m.alerts)]))],
                             hide=['Value', '__name__', 'alertstate']),
                   ]),
                 ] + (if fl.enabled then fleetRow else []) + [

                   // Errors and latency per destination service (the top few over
                   // the time range), as the server-side proxy reports them.
                   g.row('Services'),
                   g.line(8, [
                     g.timeseries('5xx responses per service', 'Server errors per second of the %d destination services with most over the time range. These count against the availability SLO.' % topN,
                                  'reqps', [g.target(rateBySvc(['response_code=~"5.."']), svcLegend)], min=0),
                     g.timeseries('4xx responses per service', 'Client errors per second of the %d destination services with most over the time range. Not counted against the SLO; a jump often follows a bad deploy of a caller or an auth policy change.' % topN,
                                  'reqps', [g.target(rateBySvc(['response_code=~"4.."']), svcLegend)], min=0),
                   ]),
                   g.line(8, [
                     g.timeseries('P95 latency per service', 'Server-side request duration, 95th percentile, of the %d services slowest over the time range.%s' % [topN, latencyNote],
                                  's', [g.target(latency(0.95), svcLegend)], latencyLines, min=0),
                     g.timeseries('P99 latency per service', 'Server-side request duration, 99th percentile, of the %d services slowest over the time range.%s' % [topN, latencyNote],
                                  's', [g.target(latency(0.99), svcLegend)], latencyLines, min=0),
                   ]),

                 ] + (if m.slos == [] then [] else [
                   // How fast each SLO spends its error budget, per alert window.
                   g.row('SLO burn rate'),
                 ] + (if many then acrossSLOs else perSLO)) + [
                   // istiod: availability, memory, CPU and config distribution.
                   g.row('Control plane'),
                   g.line(7, [
                     g.timeseries('istiod instances up', 'istiod targets up. IstiodDown pages at none; IstiodReplicasBelowMinimum tickets below %d (dashed).' % i.minReplicas,
                                  'short', [g.target(up, 'up')], g.thresholds('red', [{ value: i.minReplicas, color: 'green' }]), min=0) { w:: 6 },
                     g.stat('istiod restarts', 'Container restarts of istiod over the time range (kube-state-metrics), or process restarts seen as CPU counter resets where kube-state-metrics does not run.',
                            'short', [g.target('sum(increase(%s[$__range]))\nor\nsum(resets(%s[$__range]))' %
                                               [mesh.sel('kube_pod_container_status_restarts_total', [sel.istiodKSM]), istiod('process_cpu_seconds_total')], 'restarts')],
                            g.thresholds('green'), decimals=0) { w:: 6 },
                     g.timeseries('istiod heap / memory limit', 'Go heap of each istiod against its memory limit (the live cgroup limit, else the profile\'s %s). IstiodHeapNearLimit: warning at %s%%, critical at %s%% (dashed).' %
                                  [mesh.bytes(i.memoryLimitBytes), mesh.num(i.heapWarningRatio * 100), mesh.num(i.heapCriticalRatio * 100)],
                                  'percentunit', [g.target(s.istiodHeapRatio, '{{namespace}}/{{pod}}')], mesh.above(i.heapWarningRatio, i.heapCriticalRatio), min=0) { w:: 12 },
                   ]),
                   g.line(7, [
                     g.timeseries('istiod CPU / limit', 'CPU use of each istiod against its CPU limit, where it has one (the chart sets none). IstiodHighCPU tickets at %s%% (dashed).' % mesh.num(i.cpuWarningRatio * 100),
                                  'percentunit', [g.target(s.istiodCPURatio, '{{namespace}}/{{pod}}')], mesh.above(i.cpuWarningRatio), min=0),
                     g.timeseries('istiod CPU / request', 'CPU use of each istiod against its request, the base of its HPA target (80%% in the chart, the HPA scales out there). Without a CPU limit, IstiodHighCPU tickets when the HPA is at maxReplicas and CPU stays at its target (%s%% dashed where kube-state-metrics does not report it).' % mesh.num(i.hpaCPUTargetRatio * 100),
                                  'percentunit', [g.target(s.istiodCPURequestRatio, '{{namespace}}/{{pod}}')], mesh.above(i.hpaCPUTargetRatio), min=0),
                     g.timeseries('Config push latency (p%s)' % mesh.num(i.pushLatencyQuantile * 100),
                                  'Time for a config change to reach the proxies (pilot_proxy_convergence_time), p%s. IstiodPushLatencyHigh tickets above %s (dashed).' %
                                  [mesh.num(i.pushLatencyQuantile * 100), mesh.duration(i.pushLatencyWarningSeconds)],
                                  's', [g.target('histogram_quantile(%s, sum by (le) (rate(%s[$__rate_interval])))' %
                                                 [mesh.num(i.pushLatencyQuantile), istiod('pilot_proxy_convergence_time_bucket')], 'p' + mesh.num(i.pushLatencyQuantile * 100))],
                                  mesh.above(i.pushLatencyWarningSeconds), min=0),
                     g.timeseries('Rejected config per 5m', 'xDS updates proxies rejected (NACKed) in 5m, by type. IstioXDSRejects tickets above %s (dashed). Rejected config is not applied.' % mesh.num(i.xdsRejectsWarning),
                                  'short', [g.target('sum by (type) (increase(%s[5m]))' % istiod('pilot_total_xds_rejects'), '{{type}}')], mesh.above(i.xdsRejectsWarning), min=0),
                   ]),
                   g.line(7, [
                     g.timeseries('xDS push send errors', 'Share of xDS pushes that failed to send over 5m. IstioXDSPushErrors tickets above %s%% (dashed).' % mesh.num(i.pushErrorRatio * 100),
                                  'percentunit', [g.target('sum(rate(%s[5m]))\n/\nsum(rate(%s[5m]))' % [istiod('pilot_xds_pushes', ['type=~".+_senderr"']), istiod('pilot_xds_pushes')], 'send errors')],
                                  mesh.above(i.pushErrorRatio), min=0),
                     g.timeseries('Config conflicts', 'Conflicting listeners and duplicate clusters or domains istiod ignores. IstioConfigConflicts tickets above %s (dashed); run istioctl analyze.' % mesh.num(i.configConflictsWarning),
                                  'short', [g.target('max(%s)' % istiod(c), c) for c in m.conflictGauges], mesh.above(i.configConflictsWarning), min=0),
                   ] + (if zt.sidecarPanels then [
                     g.timeseries('Sidecar injection failures per 5m', 'Failed sidecar injections in 5m. IstioSidecarInjectionFailures tickets above %s (dashed).' % mesh.num(i.injectionFailuresWarning),
                                  'short', [g.target('sum(increase(%s[5m]))' % istiod('sidecar_injection_failure_total'), 'failures')], mesh.above(i.injectionFailuresWarning), min=0),
                   ] else [])),

                   // Sidecars: config sync with istiod and memory.
                   g.row('Proxies'),
                   g.line(8, [
                     g.timeseries('Proxies out of sync', 'Share of proxies without a stream to istiod, rejecting its config or not ACKing it. IstioProxiesStale pages above %s%% (dashed).' % mesh.num(px.staleRatio * 100),
                                  'percentunit', [g.target(s.proxiesOutOfSyncRatio, 'out of sync')], g.thresholds('green', [{ value: px.staleRatio, color: 'red' }]), min=0),
                     g.timeseries('Proxies out of sync (count)', 'Proxies out of sync, of all proxies reporting. IstioProxiesStale tickets above %d (dashed).' % px.staleCount,
                                  'short', [g.target(s.proxiesOutOfSyncCount, 'out of sync'), g.target(s.proxiesCount, 'all proxies')],
                                  g.thresholds('green', [{ value: px.staleCount, color: 'orange' }]), min=0),
                   ] + (if zt.sidecarPanels then [
                     g.timeseries('Sidecar memory / limit (top %d)' % topN, 'Working set of the %d istio-proxy containers that came closest to their live memory limit over the time range (kube-state-metrics, else cAdvisor). IstioSidecarMemoryHigh: warning at %s%%, critical at %s%% (dashed); IstioSidecarOOMKilled pages on an OOM kill.' %
                                                                           [topN, mesh.num(px.memoryWarningRatio * 100), mesh.num(px.memoryCriticalRatio * 100)],
                                  'percentunit', [g.target(mesh.top(topN, 'namespace, pod', 'max by (namespace, pod) (%s{namespace=~"$namespace"})' % s.sidecarMemoryRatio,
                                                                    'max by (namespace, pod) (max_over_time(%s))' % mesh.range('%s{namespace=~"$namespace"}' % s.sidecarMemoryRatio)),
                                                           '{{namespace}}/{{pod}}')],
                                  mesh.above(px.memoryWarningRatio, px.memoryCriticalRatio), min=0),
                     g.timeseries('Sidecar memory (top %d)' % topN, 'Working set of the %d istio-proxy containers that used most over the time range. Where no memory limit is known, IstioSidecarMemoryHigh warns above %s (dashed); Istio\'s default sidecar limit is 1Gi.' %
                                                                   [topN, mesh.bytes(px.memoryWarningBytes)],
                                  'bytes', [local wss = mesh.sel('container_memory_working_set_bytes', [sel.sidecarContainer, 'namespace=~"$namespace"']);
                                            g.target(mesh.top(topN, 'namespace, pod', 'max by (namespace, pod) (%s)' % wss,
                                                              'max by (namespace, pod) (max_over_time(%s))' % mesh.range(wss)), '{{namespace}}/{{pod}}')],
                                  mesh.above(px.memoryWarningBytes), min=0),
                   ] else [])),

                   // Gateways (spec.gateways): per gateway, what its own proxy
                   // reports (reporter="source") and its pods' health.
                 ] + (if std.length(m.gateways) > 0 then [g.row('Gateways')] else []) + std.flattenArrays([
                   [
                     g.line(6, [
                       g.timeseries('%s: request rate' % gw.name, 'Requests the %s gateway %s/%s forwards, per second, as its own proxy reports them (reporter="source").' % [gw.kind, gw.namespace, gw.workload],
                                    'reqps', [g.target('sum(rate(%s[$__rate_interval]))' % mesh.sel('istio_requests_total', [gw.requests]), 'requests')], min=0),
                       g.timeseries('%s: error ratio' % gw.name, 'Share of the gateway\'s requests answered 5xx (by the gateway or its upstream); 4xx are the clients\'.',
                                    'percentunit', [g.target('sum(rate(%s[$__rate_interval])) / sum(rate(%s[$__rate_interval]))' % [mesh.sel('istio_requests_total', [gw.requests, 'response_code=~"5.."']), mesh.sel('istio_requests_total', [gw.requests])], '5xx')], min=0),
                       g.timeseries('%s: p99 latency' % gw.name, 'p99 of request duration through the gateway, as its own proxy times it (client to gateway to backend).',
                                    'ms', [g.target('histogram_quantile(0.99, sum by (le) (rate(%s[$__rate_interval])))' % mesh.sel('istio_request_duration_milliseconds_bucket', [gw.requests]), 'p99')], min=0),
                       g.timeseries('%s: error budget left' % gw.name, 'Budget left over each gateway SLO\'s period, for its worst destination service.',
                                    'percentunit', [g.target('min by (slo) (%s)' % mesh.sel(s.sloPeriodBudgetRemaining, ['slo=~"%s"' % gw.slos]), '{{slo}}')]),
                     ] + (if gw.health then [
                       g.timeseries('%s: available pods' % gw.name, 'Available pods of the gateway Deployment (kube-state-metrics). IstioGatewayReplicasBelowMinimum tickets below %d (dashed) and pages at 0.' % gw.minReplicas,
                                    'short', [g.target('max(%s)' % mesh.sel('kube_deployment_status_replicas_available', [gw.deployment]), 'available')],
                                    g.thresholds('red', [{ value: 1, color: 'orange' }, { value: gw.minReplicas, color: 'green' }]), min=0),
                       g.timeseries('%s: memory / limit' % gw.name, 'Each gateway pod\'s istio-proxy working set over its live memory limit. IstioGatewayMemoryHigh: warning at %s%%, critical at %s%% (dashed).' % [mesh.num(gw.memoryWarningRatio * 100), mesh.num(gw.memoryCriticalRatio * 100)],
                                    'percentunit', [g.target('%s{gateway="%s"}' % [gw.memoryRatio, gw.name], '{{pod}}')],
                                    mesh.above(gw.memoryWarningRatio, gw.memoryCriticalRatio), min=0),
                     ] else [])),
                   ]
                   for gw in m.gateways
                 ]) + (
                   // Waypoints (spec.waypoints): per waypoint, the requests its
                   // pods report (reporter="waypoint") and their health.
                   if std.length(m.waypoints) > 0 then [g.row('Waypoints')] else []
                 ) + [
                   g.line(6, [
                     g.timeseries('%s/%s: request rate' % [wp.namespace, wp.name], 'Requests the waypoint %s/%s proxies, per second, as its own pods report them (reporter="waypoint").' % [wp.namespace, wp.name],
                                  'reqps', [g.target('sum(rate(%s[$__rate_interval]))' % mesh.sel('istio_requests_total', [wp.requests]), 'requests')], min=0),
                     g.timeseries('%s/%s: error ratio' % [wp.namespace, wp.name], 'Share of the waypoint\'s requests answered 5xx (by the waypoint or its upstream).',
                                  'percentunit', [g.target('sum(rate(%s[$__rate_interval])) / sum(rate(%s[$__rate_interval]))' % [mesh.sel('istio_requests_total', [wp.requests, 'response_code=~"5.."']), mesh.sel('istio_requests_total', [wp.requests])], '5xx')], min=0),
                   ] + (if wp.health then [
                     g.timeseries('%s/%s: available pods' % [wp.namespace, wp.name], 'Available pods of the waypoint Deployment %s (kube-state-metrics). IstioWaypointReplicasBelowMinimum pages at 0%s.' % [wp.workload, if wp.minReplicas > 1 then ' and tickets below %d (dashed)' % wp.minReplicas else ''],
                                  'short', [g.target('max(%s)' % mesh.sel('kube_deployment_status_replicas_available', [wp.deployment]), 'available')],
                                  g.thresholds('red', [{ value: 1, color: 'orange' }] + (if wp.minReplicas > 1 then [{ value: wp.minReplicas, color: 'green' }] else [])), min=0),
                     g.timeseries('%s/%s: memory / limit' % [wp.namespace, wp.name], 'Each waypoint pod\'s istio-proxy working set over its live memory limit. IstioWaypointMemoryHigh: warning at %s%%, critical at %s%% (dashed).' % [mesh.num(wp.memoryWarningRatio * 100), mesh.num(wp.memoryCriticalRatio * 100)],
                                  'percentunit', [g.target(wp.memoryRatio, '{{pod}}')],
                                  mesh.above(wp.memoryWarningRatio, wp.memoryCriticalRatio), min=0),
                   ] else []))
                   for wp in m.waypoints
                 ] + (
                   // ztunnel (ambient and mixed): per node, what its alerts read.
                   if zt.enabled then [
                     g.row('ztunnel'),
                     g.line(6, [
                       g.timeseries('ztunnel ready per node', 'Ready pods of the ztunnel DaemonSet %s on each node (kube-state-metrics). IstioZtunnelUnavailable pages when a node has none while the DaemonSet is short of ready pods.' % zt.daemonSet,
                                    'short', [g.target('sum by (node) (%s * on (namespace, pod) group_left () (%s == 1))' % [mesh.sel('kube_pod_info', [zt.pods]), mesh.sel('kube_pod_status_ready', [zt.ready])], '{{node}}')],
                                    g.thresholds('red', [{ value: 1, color: 'green' }]), min=0),
                       g.timeseries('ztunnel memory / limit', 'Each ztunnel\'s istio-proxy working set over its live memory limit, else spec.ztunnel.memoryLimit (the chart sets none). IstioZtunnelMemoryHigh tickets at %s%% (dashed).' % mesh.num(zt.memoryHighRatio * 100),
                                    'percentunit', [g.target('max by (node) (%s)' % zt.memoryRatio, '{{node}}')], mesh.above(zt.memoryHighRatio), min=0),
                       g.timeseries('ztunnel xDS errors', 'xDS stream terminations with reason ConnectionError or Error per second over 5m, per node. IstioZtunnelXDSErrors tickets above %s/s (dashed).' % mesh.num(zt.xdsErrorRate),
                                    'short', [g.target('sum by (node) (rate(%s[5m]))' % mesh.sel('istio_xds_connection_terminations_total', [zt.xdsErrors]), '{{node}}')], mesh.above(zt.xdsErrorRate), min=0),
                       g.timeseries('ztunnel DNS failure ratio', 'Upstream DNS failures over upstream requests over 5m, per node. IstioZtunnelDNSFailures tickets above %s%% (dashed) on a node with enough queries.' % mesh.num(zt.dnsFailureRatio * 100),
                                    'percentunit', [g.target('sum by (node) (increase(%s[5m]))\n/\nsum by (node) (increase(%s[5m]))' % [mesh.sel('istio_dns_upstream_failures_total', [zt.own]), mesh.sel('istio_dns_upstream_requests_total', [zt.own])], '{{node}}')],
                                    mesh.above(zt.dnsFailureRatio), min=0),
                       g.timeseries('ztunnel L4 connections opened', 'Connections each node\'s ztunnel accepted for its pods per second (reporter="destination"), the L4 SLI\'s denominator.',
                                    'short', [g.target('sum by (node) (rate(%s[$__rate_interval]))' % mesh.sel('istio_tcp_connections_opened_total', [zt.own, 'reporter="destination"']), '{{node}}')], min=0),
                       g.timeseries('ztunnel L4 connections failed', 'Connections each node\'s ztunnel closed with a failure flag (response_flags other than "-": DENY, CONNECT, ...) per second, the L4 SLI\'s errors.',
                                    'short', [g.target('sum by (node) (rate(%s[$__rate_interval]))' % mesh.sel('istio_tcp_connections_closed_total', [zt.own, 'reporter="destination"', 'response_flags!="-"']), '{{node}}')], min=0),
                     ]),
                   ] else []
                 ) + [
                   // Time left on the mesh CA certificates (those spec.certificates.ca
                   // has), on workload certificates, and failed certificate signing.
                   g.row('Certificates'),
                   g.line(6, [
                     g.timeseries('Mesh CA certificates: time left', '%s Dashed: rotation planning below %s, warning at %s, critical at %s.' %
                                                                    [caNote, mesh.duration(ct.rotationPlanningSeconds), mesh.duration(ct.expiryWarningSeconds), mesh.duration(ct.expiryCriticalSeconds)],
                                  's', [g.target(t.expr, t.legend) for t in cert.targets],
                                  g.thresholds('red', [{ value: ct.expiryCriticalSeconds, color: 'orange' },
                                                       { value: ct.expiryWarningSeconds, color: 'yellow' },
                                                       { value: ct.rotationPlanningSeconds, color: 'green' }]), min=0)
                     for _ in [1]
                     if cert.targets != []
                   ] + [
                     g.timeseries('Workload certificates: least time left', 'Workload certificates closest to expiry: the %d pods whose certificate had least time left over the time range. They live 24h and rotate at half life; IstioWorkloadCertificateRotationStalled (one alert per namespace) warns below %s and pages below %s (dashed).' %
                                                                            [topN, mesh.duration(ct.workloadExpiryWarningSeconds), mesh.duration(ct.workloadExpiryCriticalSeconds)],
                                  's', [local expiry = mesh.sel('istio_agent_cert_expiry_seconds', [sel.workloadCert, 'namespace=~"$namespace"']);
                                        g.target(mesh.bottom(topN, 'namespace, pod', 'min by (namespace, pod) (%s)' % expiry,
                                                             'min by (namespace, pod) (min_over_time(%s))' % mesh.range(expiry)), '{{namespace}}/{{pod}}')],
                                  mesh.below(ct.workloadExpiryWarningSeconds, ct.workloadExpiryCriticalSeconds), min=0),
                     g.timeseries('Certificate signing: failed CSRs per 5m', 'Certificate signing requests that failed over 5m, from the proxies\' agents%s. IstioCertificateSigningFailures tickets above %s for its hold (dashed): hours before workload certificates run out.' %
                                                                             [if cert.istiodSigns then " and istiod's CA" else '', mesh.num(ct.csrFailuresWarning)],
                                  'short', [g.target('sum(increase(%s[5m]))' % mesh.sel('istio_agent_num_failed_outgoing_requests', [sel.proxies, 'request_type="csr"']), 'agents')] +
                                           (if cert.istiodSigns then [g.target('sum(increase(%s[5m]))' % mesh.sel('citadel_server_csr_sign_err_count', [sel.istiod]), "istiod's CA")] else []),
                                  mesh.above(ct.csrFailuresWarning), min=0),
                   ]),
                 ])
