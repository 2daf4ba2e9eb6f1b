// Executive: for platform leads, one screen without scrolling. Are the
// services keeping their SLOs, how much error budget is left, is the
// control plane healthy, how much traffic is encrypted, how big is the
// mesh and which Istio versions run. Reads recorded series where they exist.

local g = import 'grafana.libsonnet';
local mesh = import 'mesh.libsonnet';

function(meshslo)
  local m = meshslo;
  local s = m.series;
  local th = m.thresholds;
  local slo(x) = ['slo="%s"' % x.name];
  local share(n, width) = std.floor(width / std.max(n, 1));

  // The SLI across every service: errors over requests, both summed first
  // so busy services weigh more than quiet ones; sli over the last 5m (for
  // the trend), periodSLI over the SLO period, the window its objective and
  // error budget are kept over.
  local sli(x) = '1 - sum(%s) / sum(%s)' % [mesh.sel(s.sliErrorsRate5m, slo(x)), mesh.sel(s.sliRequestsRate5m, slo(x))];
  local periodSLI(x) = '1 - sum(%s) / sum(%s)' % [mesh.sel(x.period.errors, slo(x)), mesh.sel(x.period.requests, slo(x))];
  local sliName(x) = if x.sli == 'latency' then 'requests within %s' % x.threshold else 'success rate';
  local objective(x) = g.thresholds('red', [{ value: x.objective, color: 'green' }]);
  local currentTiers(x) = [t for t in x.tiers if t.long == x.currentBurn.window];

  local istiodUp = 'sum(%s)' % mesh.sel('up', [m.selectors.istiod]);
  local requests(extra) = 'sum(rate(%s[$__rate_interval]))' % mesh.sel('istio_requests_total', [m.selectors.requests] + extra);
  local mtls = '%s\n/\n%s' % [requests(['connection_security_policy="mutual_tls"']), requests([])];
  // istiod up reads "down" at none, as IstiodDown pages.
  local downAtZero = [{ type: 'value', options: { '0': { color: 'red', index: 0, text: 'down' } } }];

  local n = std.length(m.slos);

  local controlPlane = g.line(4, [
    g.stat('istiod up', 'istiod instances up now. Green from %d, the profile minimum (IstiodReplicasBelowMinimum); red below it.' % th.istiod.minReplicas,
           'short', [g.target(istiodUp, 'up')], g.thresholds('red', [{ value: th.istiod.minReplicas, color: 'green' }]), mappings=downAtZero) { w:: 4 },
    g.stat('Control plane at full strength',
           'Share of the time range with at least %d istiod instances up (the profile minimum).' % th.istiod.minReplicas,
           'percentunit', [g.target('avg_over_time((%s >= bool %s)[$__range:])' % [istiodUp, mesh.num(th.istiod.minReplicas)], 'full strength')],
           g.thresholds('green'), decimals=2) { w:: 5 },
    g.stat('mTLS coverage', 'Share of requests received over mutual TLS (connection_security_policy="mutual_tls"), as reported by the destination proxy; the sparkline is its course over the time range.',
           'percentunit', [g.target(mtls, 'mTLS')], g.thresholds('blue'), decimals=2) { w:: 5 },
    g.stat('Proxies connected', 'Proxies with an xDS stream to istiod (pilot_xds), summed over istiod instances.',
           'short', [g.target('sum(%s)' % mesh.sel('pilot_xds', [m.selectors.istiod]), 'proxies')], g.thresholds('blue')) { w:: 5 },
    g.stat('Services', 'Services istiod knows (pilot_services), from the istiod instance that knows most.',
           'short', [g.target('max(%s)' % mesh.sel('pilot_services', [m.selectors.istiod]), 'services')], g.thresholds('blue')),
  ]);
  local versions =
    g.table('Istio versions running', 'Istio components by version (istio_build): control plane, gateways, sidecars and ztunnel. More than one tag means an upgrade is in progress.',
            'short', [g.instant('sum by (component, tag) (%s)' % mesh.sel('istio_build', [m.selectors.cluster]))],
            rename={ Value: 'instances' });

  // More SLOs than fit side by side: one table of every SLO, worst budget
  // first, and the few SLOs with least budget left or burning fastest over
  // time. Thresholds are those of every SLO (the burn tiers' factors are
  // the same for SLOs of one window).
  local acrossSLOs =
    local current = m.allSLOs.currentWindows;
    local burnLines = mesh.burnThresholds(m.allSLOs.currentTiers);
    local budgetLines = g.thresholds('red', [{ value: 0, color: 'green' }]);
    local worst = mesh.topN;
    [
      g.line(8, [
        g.joinedTable('SLOs by error budget left',
                      'Every SLO (%d), least error budget left first: the SLI over its SLO window across its services, the objective, the budget left over the SLO window for the service with least left (red once spent: IstioSLOErrorBudgetExhausted) and the burn rate over %s of the worst service (1x spends the budget exactly over the window; red where the tier pages).' %
                      [n, std.join(', ', current)],
                      'slo',
                      [
                        // Longest period first: each SLO's own period (AllSLOs.periods).
                        g.instant(std.join('\nor\n', ['1 - sum by (slo) (%s) / sum by (slo) (%s)' % [p.errors, p.requests] for p in m.allSLOs.periods])),
                        g.instant('max by (slo) (%s)' % s.sloObjective),
                        g.instant('min by (slo) (%s)' % s.sloPeriodBudgetRemaining),
                        g.instant('max by (slo) (%s)' % s.sloCurrentBurnRate),
                      ],
                      [
                        { name: 'SLI (%s)' % std.join(', ', [p.window for p in m.allSLOs.periods]), unit: 'percentunit', decimals: 3 },
                        { name: 'objective', unit: 'percentunit', decimals: 3 },
                        { name: 'budget left', unit: 'percentunit', decimals: 1, thresholds: budgetLines },
                        { name: 'burn rate %s' % std.join(', ', current), unit: 'suffix:x', decimals: 2, thresholds: burnLines },
                      ],
                      sortBy='budget left') { w:: 16 },
        versions,
      ]),
      controlPlane,
      g.line(10, [
        g.timeseries('Error budget left: %d SLOs with least' % worst,
                     'Error budget left over each SLO\'s window, for the service with least left, of the %d SLOs with least left over the time range. Below the dashed line at 0 the budget is spent (IstioSLOErrorBudgetExhausted).' % worst,
                     'percentunit', [g.target(mesh.bottom(worst, 'slo', 'min by (slo) (%s)' % s.sloPeriodBudgetRemaining,
                                                          'min by (slo) (min_over_time(%s))' % mesh.range(s.sloPeriodBudgetRemaining)), '{{slo}}')], budgetLines, max=1),
        g.timeseries('Burn rate %s: %d fastest-burning SLOs' % [std.join(', ', current), worst],
                     'Burn rate of the worst service of the %d SLOs that burned fastest over the time range. Dashed lines: where the %s tier pages or tickets.' % [worst, std.join(', ', current)],
                     'suffix:x', [g.target(mesh.top(worst, 'slo', 'max by (slo) (%s)' % s.sloCurrentBurnRate,
                                                    'max by (slo) (max_over_time(%s))' % mesh.range(s.sloCurrentBurnRate)), '{{slo}}')], burnLines, min=0),
      ]),
    ];

  mesh.dashboard(m, 'executive', 'Executive',
                 'Mesh health for platform leads on one screen: SLOs across services, error budget left, burn rate, control plane, mTLS and mesh size.',
                 [],
                 if n > mesh.perSLO.executive then acrossSLOs else [
                   g.line(4, [
                     g.stat('%s: %s' % [x.name, sliName(x)],
                            'The %s SLI over its %s window across every service (errors over requests of all of them), against the %s%% objective; the budget beside it is kept over the same window. Red below the objective.' %
                            [x.name, x.window, mesh.num(x.objective * 100)],
                            'percentunit', [g.target(periodSLI(x), x.name)], objective(x), decimals=3) { w:: share(n, 8) }
                     for x in m.slos
                   ] + [
                     g.gauge('%s: budget left' % x.name,
                             'Error budget left of the %s SLO over its %s window, for the service with the least left. Red once it is spent (IstioSLOErrorBudgetExhausted).' % [x.name, x.window],
                             'percentunit', [g.target('min(%s)' % mesh.sel(s.sloPeriodBudgetRemaining, slo(x)), x.name)],
                             g.thresholds('red', [{ value: 0, color: 'green' }]), min=0, max=1) { w:: share(n, 8) }
                     for x in m.slos
                   ] + [
                     g.stat('%s: burn rate %s' % [x.name, x.currentBurn.window],
                            'How fast the worst service spends its %s budget over %s: 1x spends it exactly over %s. Red from %sx, where the %s tier pages.' %
                            [x.name, x.currentBurn.window, x.window, mesh.num(x.currentBurn.factor), x.currentBurn.window],
                            'suffix:x', [g.target('max(%s)' % mesh.sel(s.sloCurrentBurnRate, slo(x)), x.name)],
                            mesh.burnThresholds(currentTiers(x)), decimals=2) { w:: share(n, 8) }
                     for x in m.slos
                   ]),
                   controlPlane,
                   g.line(8, [
                     g.timeseries('%s: %s, 5m' % [x.name, sliName(x)],
                                  'The %s SLI across every service over the last 5m at each point, to see when it dipped; the dashed line is the %s%% objective.' % [x.name, mesh.num(x.objective * 100)],
                                  'percentunit', [g.target(sli(x), x.name)], objective(x)) { w:: share(n, 16) }
                     for x in m.slos
                   ] + [
                     versions,
                   ]),
                   g.line(6, [
                     g.timeseries('%s: burn rate %s' % [x.name, x.currentBurn.window],
                                  'Burn rate of the %s budget over %s for the worst service. Dashed lines: where the %s tier pages or tickets.' % [x.name, x.currentBurn.window, x.currentBurn.window],
                                  'suffix:x', [g.target('max(%s)' % mesh.sel(s.sloCurrentBurnRate, slo(x)), x.name)], mesh.burnThresholds(currentTiers(x)), min=0)
                     for x in m.slos
                   ]),
                 ])
