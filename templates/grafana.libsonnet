// The Grafana dashboard JSON model (classic, schemaVersion 42, what
// Grafana 12 and 13 save), as small builders. It knows Grafana, not Istio:
// see mesh.libsonnet for that.
//
// Every object is written as Grafana's own schema has it, required options
// included (grafana-foundation-sdk/go v0.0.22, dashboard.Dashboard and the
// panel plugins' Options, decoded strictly by tools/grafana in make test),
// so the model is the one Grafana saves rather than one it fills in.
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

  // A table shows the first frame (frameIndex 0: queries are merged or
  // there is one) and no footer; reducer is the footer's, unused while it is
  // hidden but required by the schema.
  local tableOptions = {
    cellHeight: 'sm',
    footer: { reducer: ['sum'], show: false },
    frameIndex: 0,
    showHeader: true,
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

  // One number, coloured by its thresholds; mappings are Grafana value
  // mappings ([{type: 'value', options: {'0': {text, color, index}}}]).
  stat(title, description, unit, targets, thresholds=null, decimals=null, mappings=[])::
    panel('stat', title, description, unit, targets, thresholds) + {
      fieldConfig+: { defaults+: {
        color: { mode: 'thresholds' },
        [if decimals != null then 'decimals']: decimals,
        [if mappings != [] then 'mappings']: mappings,
      } },
      options: reduce {
        colorMode: 'value',
        graphMode: 'area',
        justifyMode: 'auto',
        orientation: 'auto',
        // No change against the start of the range: an SLI or a count of
        // instances is read as it is.
        percentChangeColorMode: 'standard',
        showPercentChange: false,
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
      // sizing auto with Grafana's minimum size (75px) for the gauge.
      options: reduce {
        minVizHeight: 75,
        minVizWidth: 75,
        orientation: 'auto',
        showThresholdLabels: false,
        showThresholdMarkers: true,
        sizing: 'auto',
      },
    },

  // A table of instant query results; hide lists columns not to show.
  table(title, description, unit, targets, hide=[], rename={})::
    panel('table', title, description, unit, targets, null) + {
      options: tableOptions,
      transformations: [{
        id: 'organize',
        options: {
          excludeByName: { [h]: true for h in ['Time'] + hide },
          renameByName: rename,
        },
      }],
    },

  // A table of instant queries joined on their label (one row per value of
  // label, e.g. per SLO; the label is the first column), one column per
  // query: columns[i] = {name, unit, decimals, thresholds (coloured text
  // when set)} names the value of targets[i]. Rows are sorted by the
  // column sortBy.
  joinedTable(title, description, label, targets, columns, sortBy, desc=false)::
    local value(i) = 'Value #' + std.char(std.codepoint('A') + i);
    local n = std.length(columns);
    panel('table', title, description, columns[0].unit, targets, null) + {
      fieldConfig+: {
        overrides: [
          {
            matcher: { id: 'byName', options: columns[i].name },
            properties: [{ id: 'unit', value: columns[i].unit }] +
                        (if std.objectHas(columns[i], 'decimals') then [{ id: 'decimals', value: columns[i].decimals }] else []) +
                        (if std.objectHas(columns[i], 'thresholds') then [
                           { id: 'thresholds', value: columns[i].thresholds },
                           { id: 'custom.cellOptions', value: { type: 'color-text' } },
                         ] else []),
          }
          for i in std.range(0, n - 1)
        ],
      },
      options: tableOptions { sortBy: [{ desc: desc, displayName: sortBy }] },
      transformations: [
        { id: 'merge', options: {} },
        {
          id: 'organize',
          options: {
            excludeByName: { Time: true },
            indexByName: { [label]: 0 } + { [value(i)]: i + 1 for i in std.range(0, n - 1) },
            renameByName: { [value(i)]: columns[i].name for i in std.range(0, n - 1) },
          },
        },
      ],
    },

  // A heatmap of pre-bucketed histogram data (format heatmap, one series
  // per le). The heatmap reads its units from its options, not from the
  // field config's standard options (it has none): yUnit, the unit of the
  // buckets, is the y axis' (options.yAxis.unit); cellUnit, what a cell
  // counts, the cells' (options.cellValues.unit, shown in the tooltip).
  heatmap(title, description, yUnit, targets, cellUnit='short')::
    panel('heatmap', title, description, null, [t { format: 'heatmap', legendFormat: '{{le}}' } for t in targets], null) + {
      fieldConfig: {
        defaults: {
          custom: {
            hideFrom: { legend: false, tooltip: false, viz: false },
            scaleDistribution: { type: 'linear' },
          },
        },
        overrides: [],
      },
      options: {
        calculate: false,
        cellGap: 1,
        cellValues: { unit: cellUnit },
        color: { exponent: 0.5, fill: 'dark-orange', mode: 'scheme', reverse: false, scale: 'exponential', scheme: 'Oranges', steps: 64 },
        // Grafana's default exemplar colour; the queries ask for none.
        exemplars: { color: 'rgba(255,0,255,0.7)' },
        legend: { show: true },
        rowsFrame: { layout: 'auto' },
        showValue: 'auto',
        tooltip: { mode: 'single', yHistogram: false },
        yAxis: { axisPlacement: 'left', unit: yUnit },
      },
    },

  // A row header. Grafana's row has no description (the schema's RowPanel:
  // Grafana drops one on load), so description is for the template's reader
  // only and is not written.
  row(title, description=null):: {
    type: 'row',
    title: title,
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
    local isRow(item) = std.objectHas(item, 'type') && item.type == 'row';
    // A line with nothing to show (a profile without SLOs) takes no room.
    local height(item) = if isRow(item) then 1 else if item.panels == [] then 0 else item.h;
    local place(item, y, id) =
      if isRow(item) then [item { id: id, gridPos: { h: 1, w: columns, x: 0, y: y } }]
      else
        local ws = [p.w for p in item.panels];
        local total = sum(ws);
        assert std.length([w for w in ws if w < 1]) == 0 :
               'a line of %d panels leaves some less than one of the %d columns; show fewer panels or one across them' % [std.length(ws), columns];
        assert total <= columns : 'a line of panels is %d columns wide; Grafana has %d' % [total, columns];
        // At most 24 panels fit a line, so these sums stay short.
        [item.panels[i] { id: id + i, gridPos: { h: item.h, w: ws[i], x: sum(ws[0:i]), y: y } } for i in std.range(0, std.length(ws) - 1)];
    local step(acc, item) =
      local placed = place(item, acc.y, acc.n + 1);
      local y = acc.y + height(item);
      local n = acc.n + std.length(placed);
      local lines = acc.lines + [placed];
      // Force the sums at each step: left lazy, each would refer to the
      // previous step's, and reading the last would recurse once per item,
      // past jsonnet's stack for a few hundred items.
      if std.isNumber(y) && std.isNumber(n) && std.isArray(lines) then { y: y, n: n, lines: lines } else error 'unreachable';
    std.flattenArrays(std.foldl(step, items, { y: 0, n: 0, lines: [] }).lines),

  datasourceVariable:: {
    name: 'datasource',
    label: 'Data source',
    type: 'datasource',
    query: 'prometheus',
    // Nothing picked: Grafana selects the default Prometheus data source.
    current: { text: '', value: '' },
    hide: 0,
    includeAll: false,
    multi: false,
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
    // All when there is an All, else nothing picked yet: Grafana selects the
    // first value the query returns, as it does for a saved value that no
    // longer exists.
    current: if includeAll then (if multi then { text: ['All'], value: ['$__all'] } else { text: 'All', value: '$__all' })
    else { text: '', value: '' },
    hide: 0,
    includeAll: includeAll,
    [if includeAll then 'allValue']: '.*',
    multi: multi,
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

  // No id: Grafana assigns its own (the schema's id is per instance; uid
  // names the dashboard everywhere). Variables other than constants carry
  // no options: Grafana lists them from the query on load.
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
    // Editable so a user can change a panel to explore and save a copy;
    // the dashboards themselves are replaced on every generate, push or
    // sidecar reload, and Grafana refuses to save over a provisioned one.
    editable: true,
    fiscalYearStartMonth: 0,
    graphTooltip: 1,
    links: links,
    panels: $.layout(items),
    refresh: '1m',
    schemaVersion: 42,
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
