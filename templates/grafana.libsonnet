// The Grafana dashboard JSON model (classic, schemaVersion 39), as small
// builders. It knows Grafana, not Istio: see mesh.libsonnet for that.
//
// Panels carry their width in the hidden field w; layout() turns lines of
// panels into gridPos and ids, so no template places a panel by hand and
// two panels cannot overlap.

local datasource = { type: 'prometheus', uid: '${datasource}' };

// Grafana's grid is 24 columns wide.
local columns = 24;

local sum(xs) = std.foldl(function(a, b) a + b, xs, 0);

{
  columns:: columns,
  datasource:: datasource,

  // A PromQL query. refIds are assigned by the panel.
  target(expr, legend='__auto'):: {
    datasource: datasource,
    editorMode: 'code',
    expr: expr,
    legendFormat: legend,
    range: true,
  },

  // An instant query for tables and stats that show the latest value only.
  instant(expr, legend='__auto', format='table'):: self.target(expr, legend) + {
    format: format,
    instant: true,
    range: false,
  },

  // Threshold steps from a base colour and [{value, color}], sorted by
  // value as Grafana requires.
  thresholds(base, steps=[]):: {
    mode: 'absolute',
    steps: [{ color: base, value: null }] +
           [{ color: s.color, value: s.value } for s in std.sort(steps, function(s) s.value)],
  },

  local panel(type, title, description, unit, targets, thresholds) = {
    w:: null,
    type: type,
    title: title,
    description: description,
    datasource: datasource,
    targets: [targets[i] { refId: std.char(std.codepoint('A') + i) } for i in std.range(0, std.length(targets) - 1)],
    fieldConfig: {
      defaults: {
        unit: unit,
        thresholds: if thresholds == null then $.thresholds('green') else thresholds,
      },
      overrides: [],
    },
    options: {},
  },

  local reduce = {
    reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
  },

  // A time series; thresholds, when given, are drawn as dashed lines at the
  // values alerts fire on.
  timeseries(title, description, unit, targets, thresholds=null, min=null, max=null, stack=false)::
    panel('timeseries', title, description, unit, targets, thresholds) + {
      fieldConfig+: {
        defaults+: {
          color: { mode: 'palette-classic' },
          custom: {
            drawStyle: 'line',
            fillOpacity: if stack then 20 else 0,
            lineWidth: 1,
            showPoints: 'never',
            spanNulls: false,
            stacking: { group: 'A', mode: if stack then 'normal' else 'none' },
            thresholdsStyle: { mode: if thresholds == null then 'off' else 'dashed' },
          },
          [if min != null then 'min']: min,
          [if max != null then 'max']: max,
        },
      },
      options: {
        legend: { calcs: [], displayMode: 'list', placement: 'bottom', showLegend: true },
        tooltip: { mode: 'multi', sort: 'desc' },
      },
    },

  // One number, coloured by its thresholds.
  stat(title, description, unit, targets, thresholds=null, decimals=null)::
    panel('stat', title, description, unit, targets, thresholds) + {
      fieldConfig+: { defaults+: { color: { mode: 'thresholds' }, [if decimals != null then 'decimals']: decimals } },
      options: reduce {
        colorMode: 'value',
        graphMode: 'area',
        justifyMode: 'auto',
        orientation: 'auto',
        textMode: 'auto',
        wideLayout: true,
      },
    },

  gauge(title, description, unit, targets, thresholds=null, min=null, max=null)::
    panel('gauge', title, description, unit, targets, thresholds) + {
      fieldConfig+: {
        defaults+: {
          color: { mode: 'thresholds' },
          [if min != null then 'min']: min,
          [if max != null then 'max']: max,
        },
      },
      options: reduce { showThresholdLabels: false, showThresholdMarkers: true },
    },

  // A table of instant query results; hide lists columns not to show.
  table(title, description, unit, targets, hide=[], rename={})::
    panel('table', title, description, unit, targets, null) + {
      options: { cellHeight: 'sm', footer: { show: false }, showHeader: true },
      transformations: [{
        id: 'organize',
        options: {
          excludeByName: { [h]: true for h in ['Time'] + hide },
          renameByName: rename,
        },
      }],
    },

  // A heatmap of pre-bucketed histogram data (format heatmap, one series
  // per le); yUnit is the unit of the buckets.
  heatmap(title, description, yUnit, targets)::
    panel('heatmap', title, description, 'short', [t { format: 'heatmap', legendFormat: '{{le}}' } for t in targets], null) + {
      options: {
        calculate: false,
        cellGap: 1,
        color: { exponent: 0.5, fill: 'dark-orange', mode: 'scheme', reverse: false, scale: 'exponential', scheme: 'Oranges', steps: 64 },
        legend: { show: true },
        rowsFrame: { layout: 'auto' },
        tooltip: { mode: 'single', yHistogram: false },
        yAxis: { axisPlacement: 'left', unit: yUnit },
      },
    },

  // A row header; its description shows nowhere but keeps every panel
  // documented.
  row(title, description):: {
    type: 'row',
    title: title,
    description: description,
    collapsed: false,
    panels: [],
  },

  // line places panels side by side at height h; panels without a width
  // share what the others leave of the 24 columns (the last one takes the
  // remainder).
  line(h, panels):: {
    local fixed = sum([p.w for p in panels if p.w != null]),
    local free = std.length([p for p in panels if p.w == null]),
    local share = if free == 0 then 0 else std.floor((columns - fixed) / free),
    local lastFree = std.foldl(function(a, i) if panels[i].w == null then i else a, std.range(0, std.length(panels) - 1), -1),
    h: h,
    panels: [
      panels[i] { w:: if panels[i].w != null then panels[i].w else if i == lastFree then columns - fixed - share * (free - 1) else share }
      for i in std.range(0, std.length(panels) - 1)
    ],
  },

  // layout turns rows and lines into a flat panel list with gridPos and
  // ids 1..n, top to bottom.
  layout(items)::
    local step(acc, item) =
      if !std.objectHas(item, 'type') && item.panels == [] then acc  // a line with nothing to show (a profile without SLOs)
      else if std.objectHas(item, 'type') && item.type == 'row' then
        acc {
          y: acc.y + 1,
          panels: acc.panels + [item { id: std.length(acc.panels) + 1, gridPos: { h: 1, w: columns, x: 0, y: acc.y } }],
        }
      else
        local placed = std.foldl(
          function(a, p) a { x: a.x + p.w, out: a.out + [p { gridPos: { h: item.h, w: p.w, x: a.x, y: acc.y } }] },
          item.panels,
          { x: 0, out: [] },
        );
        assert placed.x <= columns : 'a line of panels is %d columns wide; Grafana has %d' % [placed.x, columns];
        acc {
          y: acc.y + item.h,
          panels: acc.panels + [placed.out[i] { id: std.length(acc.panels) + 1 + i } for i in std.range(0, std.length(placed.out) - 1)],
        };
    std.foldl(step, items, { y: 0, panels: [] }).panels,

  datasourceVariable:: {
    name: 'datasource',
    label: 'Data source',
    type: 'datasource',
    query: 'prometheus',
    current: {},
    hide: 0,
    includeAll: false,
    multi: false,
    options: [],
    refresh: 1,
    regex: '',
  },

  // A variable filled by a Prometheus label_values() query.
  queryVariable(name, label, query, includeAll=true, multi=true):: {
    name: name,
    label: label,
    type: 'query',
    datasource: datasource,
    definition: query,
    query: { qryType: 1, query: query, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
    current: {},
    hide: 0,
    includeAll: includeAll,
    [if includeAll then 'allValue']: '.*',
    multi: multi,
    options: [],
    refresh: 2,
    regex: '',
    sort: 1,
  },

  // A fixed value, shown read-only.
  constantVariable(name, label, value):: {
    name: name,
    label: label,
    type: 'constant',
    query: value,
    current: { text: value, value: value },
    hide: 2,
    options: [{ selected: true, text: value, value: value }],
  },

  // A link in the dashboard header to another dashboard, keeping the time
  // range and variables.
  dashboardLink(title, uid, tooltip):: {
    type: 'link',
    title: title,
    tooltip: tooltip,
    url: '/d/' + uid,
    icon: 'dashboard',
    asDropdown: false,
    includeVars: true,
    keepTime: true,
    targetBlank: false,
    tags: [],
  },

  dashboard(uid, title, description, tags, variables, links, items):: {
    annotations: {
      list: [{
        builtIn: 1,
        datasource: { type: 'grafana', uid: '-- Grafana --' },
        enable: true,
        hide: true,
        iconColor: 'rgba(0, 211, 255, 1)',
        name: 'Annotations & Alerts',
        type: 'dashboard',
      }],
    },
    description: description,
    editable: false,
    fiscalYearStartMonth: 0,
    graphTooltip: 1,
    id: null,
    links: links,
    panels: $.layout(items),
    refresh: '1m',
    schemaVersion: 39,
    tags: tags,
    templating: { list: [$.datasourceVariable] + variables },
    time: { from: 'now-6h', to: 'now' },
    timepicker: {},
    timezone: 'browser',
    title: title,
    uid: uid,
    version: 1,
    weekStart: '',
  },
}
