// overview.js — the KPI cards of a period (members, active, new, repurchase, churn, NPS, points
// liability, revenue, orders, AOV), each with its change against the previous period of the
// same length and a monthly sparkline. The figures are those of GET
// /v1/dashboard/overview, i.e. of pt_metrics_kpi — the same as `patron kpi --json`.
import { get } from '../api.js';
import { chart } from '../charts.js';
import { h, empty, section } from '../dom.js';
import { t, fmtInt, fmtMoney, fmtBp, fmtDec, fmtMonth, fmtDate } from '../i18n.js';

// key, how to format it, whether up is good, which sparkline series shows it
const CARDS = [
  ['members', 'int', true, 'members'],
  ['active', 'int', true, 'active'],
  ['members_new', 'int', true, 'members_new'],
  ['repurchase_bp', 'bp', true, 'repurchase_bp'],
  ['churn_bp', 'bp', false, 'churn_bp'],
  ['nps', 'nps', true, null],
  ['liability_points', 'int', null, null],
  ['revenue_cents', 'money', true, 'revenue_cents'],
  ['orders', 'int', true, 'orders'],
  ['aov_cents', 'money', true, 'aov_cents'],
];

function format(kind, v) {
  if (kind === 'money') return fmtMoney(v);
  if (kind === 'bp') return fmtBp(v);
  if (kind === 'nps') return v === null ? '—' : fmtDec(v / 100, 1);
  return fmtInt(v);
}

function delta(kind, cur, prev, upGood) {
  if (cur === null || prev === null || cur === undefined || prev === undefined) return h('span', { class: 'delta' }, '—');
  const d = cur - prev;
  let text;
  if (kind === 'bp') text = `${d >= 0 ? '+' : ''}${fmtDec(d / 100, 2)} pp`;
  else if (kind === 'nps') text = `${d >= 0 ? '+' : ''}${fmtDec(d / 100, 1)}`;
  else if (prev !== 0) text = `${d >= 0 ? '+' : ''}${fmtDec((100 * d) / prev, 1)} %`;
  else text = `${d >= 0 ? '+' : ''}${format(kind, d)}`;
  const good = d === 0 || upGood === null ? 'flat' : (d > 0) === upGood ? 'good' : 'bad';
  const arrow = d > 0 ? '▲' : d < 0 ? '▼' : '■';
  return h('span', { class: `delta ${good}`, title: t('previous') }, h('span', { 'aria-hidden': 'true' }, arrow, ' '), text,
    h('span', { class: 'sr-only' }, ` ${t('previous')}`));
}

export default {
  id: 'overview',
  filters: ['from', 'to', 'channel'],
  load: (p, signal) => get('overview', { from: p.from, to: p.to, channel: p.channel }, signal),
  render(main, d) {
    const cur = { ...d.period, nps: d.nps.nps_x100, liability_points: d.points?.liability_points ?? null };
    const prev = { ...d.previous, nps: d.previous_nps.nps_x100, liability_points: null };
    main.append(h('p', { class: 'period' }, `${fmtDate(d.period.from_date)} – ${fmtDate(d.period.to_date)} · ${t('previous')}: ${fmtDate(d.previous.from_date)} – ${fmtDate(d.previous.to_date)}`));
    if (!d.period.orders && !d.previous.orders) main.append(empty(t('noOrders')));
    const grid = h('div', { class: 'cards' });
    const sparks = [];
    for (const [key, kind, upGood, series] of CARDS) {
      const note = key === 'liability_points' ? t('kpi.liabilityNote') : key === 'nps' && cur.nps === null ? t('kpi.npsNone') : null;
      const card = h('article', { class: 'card', id: `kpi-${key}`, 'aria-labelledby': `kpi-${key}-l` },
        h('h3', { id: `kpi-${key}-l` }, t(`kpi.${key}`)),
        h('p', { class: 'kpi', dataset: { value: cur[key] === null ? '' : String(cur[key]) } }, format(kind, cur[key])),
        key === 'liability_points' ? null : delta(kind, cur[key], prev[key], upGood),
        note ? h('p', { class: 'note' }, note) : null,
        series ? h('div', { class: 'spark', id: `spark-${key}` }) : null);
      grid.append(card);
      if (series) sparks.push([key, series]);
    }
    main.append(section(t('nav.overview'), grid));
    for (const [key, series] of sparks) {
      const pts = d.spark.map((m) => m[series]);
      chart(document.getElementById(`spark-${key}`), {
        grid: { left: 2, right: 2, top: 4, bottom: 2 },
        xAxis: { type: 'category', show: false, data: d.spark.map((m) => fmtMonth(m.month)) },
        yAxis: { type: 'value', show: false, scale: true },
        tooltip: { trigger: 'axis', valueFormatter: (v) => format(CARDS.find((c) => c[0] === key)[1], v) },
        series: [{ type: 'line', data: pts, symbol: 'none', lineStyle: { width: 2 }, areaStyle: { opacity: 0.15 } }],
      }, `${t(`kpi.${key}`)}: ${d.spark.map((m) => `${fmtMonth(m.month)} ${format(CARDS.find((c) => c[0] === key)[1], m[series])}`).join(', ')}`);
    }
  },
};
