// trends.js — per month of the period: members, active, new and churned members; revenue and
// paid orders; average order value (GET /v1/dashboard/trends, pt_metrics_kpi per month).
import { get } from '../api.js';
import { chart } from '../charts.js';
import { h, chartBox, empty, section, table } from '../dom.js';
import { t, fmtInt, fmtMoney, fmtMoneyShort, fmtMonth } from '../i18n.js';

export default {
  id: 'trends',
  filters: ['from', 'to', 'channel'],
  load: (p, signal) => get('trends', { from: p.from, to: p.to, channel: p.channel }, signal),
  render(main, d) {
    if (!d.months.length) {
      main.append(empty(t('noData')));
      return;
    }
    const months = d.months.map((m) => fmtMonth(m.month));
    main.append(section(t('trends.members'), chartBox('ch-trend-members')),
      section(t('trends.revenue'), chartBox('ch-trend-revenue')),
      section(t('trends.aov'), chartBox('ch-trend-aov')),
      section(t('nav.trends'), table(t('nav.trends'),
        [t('month'), t('members'), t('active'), t('newMembers'), t('churned'), t('orders'), t('revenue'), t('aov')],
        d.months.map((m) => [fmtMonth(m.month), fmtInt(m.members), fmtInt(m.active), fmtInt(m.members_new), fmtInt(m.churned),
          fmtInt(m.orders), fmtMoney(m.revenue_cents), fmtMoney(m.aov_cents)]), 'tbl-trends')));
    const axis = { type: 'category', data: months };
    chart(document.getElementById('ch-trend-members'), {
      tooltip: { trigger: 'axis', valueFormatter: fmtInt }, legend: {}, xAxis: axis, yAxis: { type: 'value', axisLabel: { formatter: fmtInt } },
      grid: { left: 70, right: 20 },
      series: [
        { name: t('members'), type: 'line', data: d.months.map((m) => m.members) },
        { name: t('active'), type: 'line', data: d.months.map((m) => m.active) },
        { name: t('newMembers'), type: 'bar', data: d.months.map((m) => m.members_new) },
        { name: t('churned'), type: 'bar', data: d.months.map((m) => m.churned) },
      ],
    }, t('trends.members'));
    chart(document.getElementById('ch-trend-revenue'), {
      tooltip: { trigger: 'axis' }, legend: {}, xAxis: axis, grid: { left: 80, right: 70 },
      yAxis: [{ type: 'value', axisLabel: { formatter: fmtMoneyShort } }, { type: 'value', axisLabel: { formatter: fmtInt } }],
      series: [
        { name: t('revenue'), type: 'bar', data: d.months.map((m) => m.revenue_cents), tooltip: { valueFormatter: fmtMoney } },
        { name: t('orders'), type: 'line', yAxisIndex: 1, data: d.months.map((m) => m.orders), tooltip: { valueFormatter: fmtInt } },
      ],
    }, t('trends.revenue'));
    chart(document.getElementById('ch-trend-aov'), {
      tooltip: { trigger: 'axis', valueFormatter: fmtMoney }, xAxis: axis, grid: { left: 80, right: 20 },
      yAxis: { type: 'value', axisLabel: { formatter: fmtMoneyShort } },
      series: [{ name: t('aov'), type: 'line', data: d.months.map((m) => m.aov_cents) }],
    }, t('trends.aov'));
  },
};
