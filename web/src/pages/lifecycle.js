// lifecycle.js — lifecycle stage counts at each month start of the period (stacked bars) and
// the stage-to-stage transition matrix from the period's start to its end, as a heat map with
// the counts in the cells and in a table (GET /v1/dashboard/lifecycle).
import { get } from '../api.js';
import { chart } from '../charts.js';
import { h, chartBox, empty, section, table } from '../dom.js';
import { t, isZh, fmtInt, fmtDate } from '../i18n.js';

export default {
  id: 'lifecycle',
  filters: ['from', 'to'],
  load: (p, signal) => get('lifecycle', { from: p.from, to: p.to }, signal),
  render(main, d) {
    const names = d.stages.map((s) => (isZh() ? s.name_zh : s.name_en));
    main.append(h('p', { class: 'note' }, t('lc.thresholds', { a: fmtInt(d.thresholds.active_days), c: fmtInt(d.thresholds.churn_days), n: fmtInt(d.thresholds.new_days) })));
    if (!d.months.length) {
      main.append(empty(t('noData')));
      return;
    }
    const title = t('lc.matrix', { a: fmtDate(d.transitions.from_date), b: fmtDate(d.transitions.to_date) });
    main.append(section(t('lc.counts'), chartBox('ch-lc-counts')), section(title, chartBox('ch-lc-matrix', true),
      table(title, [`${t('lc.fromStage')} \\ ${t('lc.toStage')}`, ...names],
        d.transitions.matrix.map((row, i) => [names[i], ...row.map(fmtInt)]), 'tbl-lc-matrix')));
    chart(document.getElementById('ch-lc-counts'), {
      tooltip: { trigger: 'axis', valueFormatter: fmtInt }, legend: { type: 'scroll' }, grid: { left: 70, right: 20 },
      xAxis: { type: 'category', data: d.months.map((m) => fmtDate(m.as_of_date)) },
      yAxis: { type: 'value', axisLabel: { formatter: fmtInt } },
      series: d.stages.map((s, k) => ({ name: names[k], type: 'bar', stack: 'all', data: d.months.map((m) => m.counts[k]) })),
    }, t('lc.counts'));
    const cells = [];
    let max = 1;
    d.transitions.matrix.forEach((row, i) => row.forEach((v, j) => { cells.push([j, i, v]); max = Math.max(max, v); }));
    chart(document.getElementById('ch-lc-matrix'), {
      tooltip: { formatter: (p) => `${names[p.value[1]]} → ${names[p.value[0]]}: ${fmtInt(p.value[2])}` },
      grid: { left: 110, right: 20, bottom: 80 },
      xAxis: { type: 'category', data: names, name: t('lc.toStage'), nameLocation: 'middle', nameGap: 60, axisLabel: { rotate: 30 } },
      yAxis: { type: 'category', data: names, name: t('lc.fromStage'), inverse: true },
      visualMap: { min: 0, max, calculable: false, orient: 'horizontal', left: 'center', bottom: 0, show: false, inRange: { color: ['#f7fbff', '#08306b'] } },
      series: [{ type: 'heatmap', data: cells, label: { show: true, formatter: (p) => fmtInt(p.value[2]) } }],
    }, title);
  },
};
