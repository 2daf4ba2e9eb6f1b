// What every meshslo dashboard shares: selectors, variables, threshold
// styles and the links between the three tiers, all read from the
// top-level argument (dashboards.Input). No number here is a threshold:
// those come from the profile, in base units (seconds, bytes, ratios).

local g = import 'grafana.libsonnet';

// num prints a number for PromQL the way the rules print it (0.1, not
// 0.10000000000000001).
local num(x) = std.native('formatNumber')(x);

local matchers(parts) = std.join(', ', [p for p in parts if p != '']);

{
  num:: num,
  // duration and bytes print base units for people: 259200 -> 72h, 838860800 -> 800Mi.
  duration(seconds):: std.native('formatDuration')(seconds),
  bytes(n):: std.native('formatBytes')(n),

  // sel renders a vector selector from matcher strings, skipping empty ones.
  sel(name, parts=[]):: local ms = matchers(parts); if ms == '' then name else name + '{' + ms + '}',

  // topN is how many series a per-service, per-workload or per-pod panel
  // keeps: enough to see the outliers, few enough to stay fast at 5,000 pods.
  topN:: 10,

  // top(n, by, expr, rank) keeps the n series of expr (aggregated by the
  // labels by) that rank highest over the whole time range, the same n at
  // every step. topk(n, expr) alone ranks at each step of a range query,
  // so a graph shows every series that was in the top n at some step, often
  // many more than n. rank is expr's counterpart over the range
  // ([$__range], increase() for counters, max_over_time() for gauges) at
  // "@ end()": an expression with @ end() is step-invariant, and Prometheus
  // evaluates it once per query rather than once per step
  // (prometheus/prometheus promql/engine.go: PreprocessExpr wraps it in a
  // StepInvariantExpr, which the evaluator runs for a single step).
  // bottom() keeps the n lowest.
  top(n, by, expr, rank):: '%s\nand on (%s)\ntopk(%d, %s)' % [expr, by, n, rank],
  bottom(n, by, expr, rank):: '%s\nand on (%s)\nbottomk(%d, %s)' % [expr, by, n, rank],
  // range(sel) is sel over the whole time range, ending where the query
  // ends, for top's and bottom's rank.
  range(sel):: '%s[$__range] @ end()' % sel,

  // The three tiers, in the order the header links list them.
  tiers:: [
    { name: 'executive', title: 'Executive', tooltip: 'SLOs, error budgets and mesh health on one screen' },
    { name: 'oncall', title: 'On-call', tooltip: 'Triage: firing alerts and every alert signal with its threshold' },
    { name: 'debug', title: 'Debug', tooltip: 'Root cause: workloads, xDS, istiod internals, injection and TCP' },
  ],

  // Matchers for the namespace and service variables, on the labels of
  // istio_requests_total and of the recorded SLO series.
  service:: ['destination_service_namespace=~"$namespace"', 'destination_service_name=~"$service"'],

  // perSLO is how many SLOs a dashboard gives panels of their own; with
  // more, one panel across SLOs (a table, the worst few over time) takes
  // their place. The executive tier shows three stats per SLO in a line
  // of 24 columns: beyond 2 SLOs they would be too narrow to read, and it
  // must stay one screen. On-call shows one burn-rate graph per SLO, side
  // by side, at least 6 columns wide.
  perSLO:: { executive: 2, oncall: 4 },

  // The series the service variables list: a recorded SLO series where
  // there is one (a few series per service), else the raw counter. SLOs
  // of one selector record the same services, so one SLO's series is
  // enough; SLOs of different selectors (one per service) are read all.
  local serviceSeries(m) =
    if std.length(m.slos) == 0
    then { name: 'istio_requests_total', base: [m.selectors.requests] }
    else if m.allSLOs.sameSelector
    then { name: m.series.sliRequestsRate5m, base: ['slo="%s"' % m.slos[0].name] }
    else { name: m.series.sliRequestsRate5m, base: [] },

  // Large meshes get no "All" namespace: a raw histogram over every
  // namespace of 5,000 pods is too slow for a dashboard.
  variables(m):: [
    local s = serviceSeries(m);
    g.queryVariable('namespace', 'Namespace',
                    'label_values(%s, destination_service_namespace)' % $.sel(s.name, s.base), includeAll=!m.large),
    local s = serviceSeries(m);
    g.queryVariable('service', 'Service',
                    'label_values(%s, destination_service_name)' % $.sel(s.name, s.base + ['destination_service_namespace=~"$namespace"'])),
  ],

  // A single SLO to drill into, for dashboards with more SLOs than panels
  // of their own; it lists the SLOs of the selected services.
  sloVariable(m)::
    g.queryVariable('slo', 'SLO', 'label_values(%s, slo)' % $.sel(m.series.sloCurrentBurnRate, $.service),
                    includeAll=false, multi=false),

  // A profile pinned to one cluster shows it as a constant; the selectors
  // already match only that cluster. Without one there is no cluster
  // picker: the recorded series aggregate the cluster label away, so a
  // picker would filter raw and recorded panels differently.
  local clusterVariables(m) =
    if m.profile.cluster == '' then [] else [g.constantVariable('cluster', 'Cluster', m.profile.cluster)],

  // Green below warn, orange from warn, red from crit: "higher is worse".
  above(warn, crit=null):: g.thresholds('green', [{ value: warn, color: 'orange' }] +
                                                 (if crit == null then [] else [{ value: crit, color: 'red' }])),

  // Red below crit, orange below warn, green from warn: "lower is worse".
  below(warn, crit=null):: g.thresholds(if crit == null then 'orange' else 'red',
                                        [{ value: warn, color: 'green' }] +
                                        (if crit == null then [] else [{ value: crit, color: 'orange' }])),

  // Burn-rate factor lines: red where a tier pages, orange where it
  // tickets; when two tiers share a factor, the paging one wins.
  burnThresholds(tiers)::
    local pages = std.set([t.factor for t in tiers if t.severity == 'critical']);
    local tickets = std.set([t.factor for t in tiers if t.severity != 'critical' && !std.member(pages, t.factor)]);
    g.thresholds('green', [{ value: f, color: 'red' } for f in pages] + [{ value: f, color: 'orange' } for f in tickets]),

  // The header links to the other tiers that exist in this set.
  links(m, name):: [
    g.dashboardLink(t.title, m.uids[t.name], t.tooltip)
    for t in $.tiers
    if t.name != name && std.objectHas(m.uids, t.name)
  ],

  dashboard(m, name, title, summary, variables, items)::
    g.dashboard(
      uid=m.uids[name],
      title='Istio mesh %s / %s' % [m.profile.name, title],
      description=m.header + ' ' + summary,
      tags=['istio', 'meshslo', 'meshslo-' + m.profile.name, name],
      variables=clusterVariables(m) + variables,
      links=$.links(m, name),
      items=items,
    ),
}
