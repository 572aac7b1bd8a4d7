// tiers.js — members per tier and the points liability, as loaded now, and the programme's
// activity per month of the period: points earned, redeemed, expired and clawed back, reward
// redemptions, tier changes up and down (GET /v1/dashboard/tiers: pt_metrics_points and
// pt_points_activity).
import { get } from '../api.js';
import { chart } from '../charts.js';
import { h, chartBox, empty, section, table } from '../dom.js';
import { t, isZh, fmtInt, fmtMonth } from '../i18n.js';

export default {
  id: 'tiers',
  filters: ['from', 'to'],
  load: (p, signal) => get('tiers', { from: p.from, to: p.to }, signal),
  render(main, d) {
    if (!d.has_accounts) {
      main.append(empty(t('tier.noAccounts')));
      return;
    }
    const label = (code) => {
      const n = d.tier_names?.[code];
      return n ? (isZh() ? n.name_zh : n.name_en) : code;
    };
    // lowest tier first, as the programme ranks them
    const tiers = [...d.tiers].sort((a, b) => (d.tier_names?.[a.name]?.rank ?? 99) - (d.tier_names?.[b.name]?.rank ?? 99));
    const names = tiers.map((x) => label(x.name)).concat(t('tier.none'));
    const counts = tiers.map((x) => x.members).concat(d.no_tier);
    const cards = h('div', { class: 'cards' },
      [['liability_points', 'tier.liability'], ['holders', 'tier.holders'], ['pending_points', 'tier.pending'], ['overdrawn_points', 'tier.overdrawn']]
        .map(([k, l]) => h('article', { class: 'card', id: `tier-${k}` }, h('h3', {}, t(l)), h('p', { class: 'kpi', dataset: { value: String(d[k]) } }, fmtInt(d[k])))));
    const months = d.months.map((m) => fmtMonth(m.month));
    main.append(section(t('tier.liability'), cards),
      section(t('tier.dist'), chartBox('ch-tiers'), table(t('tier.dist'), [t('m.tier'), t('members')], names.map((n, i) => [n, fmtInt(counts[i])]), 'tbl-tiers')),
      section(t('tier.points'), chartBox('ch-points')),
      section(t('tier.flows'), chartBox('ch-tier-flows')),
      section(t('tier.activity'), table(t('tier.activity'),
        [t('month'), t('tier.earned'), t('tier.redeemed'), t('tier.expired'), t('tier.reversed'), t('tier.redemptions'), t('tier.up'), t('tier.down')],
        d.months.map((m) => [fmtMonth(m.month), fmtInt(m.earned), fmtInt(m.redeemed), fmtInt(m.expired), fmtInt(m.reversed),
          fmtInt(m.redemptions), fmtInt(m.tier_up), fmtInt(m.tier_down)]), 'tbl-points-months')));
    chart(document.getElementById('ch-tiers'), {
      tooltip: { trigger: 'axis', valueFormatter: fmtInt }, grid: { left: 70, right: 20 },
      xAxis: { type: 'category', data: names }, yAxis: { type: 'value', axisLabel: { formatter: fmtInt } },
      series: [{ name: t('members'), type: 'bar', data: counts, label: { show: true, position: 'top', formatter: (p) => fmtInt(p.value) } }],
    }, `${t('tier.dist')}: ${names.map((n, i) => `${n} ${fmtInt(counts[i])}`).join(', ')}`);
    const axis = { type: 'category', data: months };
    chart(document.getElementById('ch-points'), {
      tooltip: { trigger: 'axis', valueFormatter: fmtInt }, legend: {}, grid: { left: 80, right: 20 }, xAxis: axis,
      yAxis: { type: 'value', axisLabel: { formatter: fmtInt } },
      series: [
        { name: t('tier.earned'), type: 'bar', data: d.months.map((m) => m.earned) },
        { name: t('tier.redeemed'), type: 'bar', data: d.months.map((m) => m.redeemed) },
        { name: t('tier.expired'), type: 'bar', data: d.months.map((m) => m.expired) },
        { name: t('tier.reversed'), type: 'bar', data: d.months.map((m) => m.reversed) },
      ],
    }, t('tier.points'));
    chart(document.getElementById('ch-tier-flows'), {
      tooltip: { trigger: 'axis', valueFormatter: fmtInt }, legend: {}, grid: { left: 70, right: 20 }, xAxis: axis,
      yAxis: { type: 'value', axisLabel: { formatter: fmtInt } },
      series: [
        { name: t('tier.up'), type: 'bar', data: d.months.map((m) => m.tier_up) },
        { name: t('tier.down'), type: 'bar', data: d.months.map((m) => -m.tier_down) },
        { name: t('tier.redemptions'), type: 'line', data: d.months.map((m) => m.redemptions) },
      ],
    }, t('tier.flows'));
  },
};
