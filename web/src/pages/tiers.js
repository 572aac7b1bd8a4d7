// tiers.js — members per tier and the points liability, as loaded now (not per period)
// (GET /v1/dashboard/tiers, pt_metrics_points).
import { get } from '../api.js';
import { chart } from '../charts.js';
import { h, chartBox, empty, section, table } from '../dom.js';
import { t, fmtInt } from '../i18n.js';

export default {
  id: 'tiers',
  filters: [],
  load: (p, signal) => get('tiers', {}, signal),
  render(main, d) {
    if (!d.has_accounts) {
      main.append(empty(t('tier.noAccounts')));
      return;
    }
    const names = d.tiers.map((x) => x.name).concat(t('tier.none'));
    const counts = d.tiers.map((x) => x.members).concat(d.no_tier);
    const cards = h('div', { class: 'cards' },
      [['liability_points', 'tier.liability'], ['holders', 'tier.holders'], ['pending_points', 'tier.pending'], ['overdrawn_points', 'tier.overdrawn']]
        .map(([k, l]) => h('article', { class: 'card', id: `tier-${k}` }, h('h3', {}, t(l)), h('p', { class: 'kpi', dataset: { value: String(d[k]) } }, fmtInt(d[k])))));
    main.append(section(t('tier.liability'), cards),
      section(t('tier.dist'), chartBox('ch-tiers'), table(t('tier.dist'), [t('m.tier'), t('members')], names.map((n, i) => [n, fmtInt(counts[i])]), 'tbl-tiers')));
    chart(document.getElementById('ch-tiers'), {
      tooltip: { trigger: 'axis', valueFormatter: fmtInt }, grid: { left: 70, right: 20 },
      xAxis: { type: 'category', data: names }, yAxis: { type: 'value', axisLabel: { formatter: fmtInt } },
      series: [{ name: t('members'), type: 'bar', data: counts, label: { show: true, position: 'top', formatter: (p) => fmtInt(p.value) } }],
    }, `${t('tier.dist')}: ${names.map((n, i) => `${n} ${fmtInt(counts[i])}`).join(', ')}`);
  },
};
