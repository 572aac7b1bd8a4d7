// cohorts.js — retention by first-purchase month: a heat map of the share of each cohort who
// bought again in month +k, with the cohort sizes; unobserved cells stay empty
// (GET /v1/dashboard/cohorts, pt_metrics_cohorts).
import { get } from '../api.js';
import { chart } from '../charts.js';
import { chartBox, empty, section, table } from '../dom.js';
import { t, fmtInt, fmtMonth, fmtPct } from '../i18n.js';

export default {
  id: 'cohorts',
  filters: ['from', 'to'],
  load: (p, signal) => get('cohorts', { from: p.from, to: p.to, months: 12 }, signal),
  render(main, d) {
    const rows = d.cohorts.filter((c) => c.size > 0);
    if (!rows.length) {
      main.append(empty(t('noOrders')));
      return;
    }
    const ks = Array.from({ length: d.months }, (_, i) => i + 1);
    const cells = [];
    rows.forEach((c, y) => ks.forEach((k) => {
      if (k <= c.observed) cells.push([k - 1, y, Number((c.retained[k] / c.size).toFixed(4))]);
    }));
    main.append(section(t('co.heat'), chartBox('ch-cohorts', true),
      table(t('co.heat'), [t('co.cohort'), t('co.size'), ...ks.map((k) => t('co.monthK', { k }))],
        rows.map((c) => [fmtMonth(c.month), fmtInt(c.size), ...ks.map((k) => (k <= c.observed ? fmtPct(c.retained[k] / c.size) : ''))]), 'tbl-cohorts')));
    chart(document.getElementById('ch-cohorts'), {
      tooltip: { formatter: (p) => `${fmtMonth(rows[p.value[1]].month)} · ${t('co.monthK', { k: p.value[0] + 1 })}: ${fmtPct(p.value[2])}` },
      grid: { left: 140, right: 20, bottom: 70 },
      xAxis: { type: 'category', data: ks.map((k) => t('co.monthK', { k })), axisLabel: { rotate: 30 } },
      yAxis: { type: 'category', inverse: true, data: rows.map((c) => `${fmtMonth(c.month)} (${fmtInt(c.size)})`) },
      visualMap: { min: 0, max: Math.max(0.01, ...cells.map((c) => c[2])), show: false, inRange: { color: ['#f7fcf5', '#00441b'] } },
      series: [{ type: 'heatmap', data: cells, label: { show: true, fontSize: 10, formatter: (p) => fmtPct(p.value[2], 0) } }],
    }, t('co.heat'));
  },
};
