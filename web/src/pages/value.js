// value.js — customer lifetime value as of the period's end (BG/NBD + Gamma-Gamma fitted on the
// snapshot, 12-month horizon): the distribution, the top members, P(alive) against value, and
// the at-risk high-value members a retention team acts on — those who spent the most so far and
// are likely gone (GET /v1/dashboard/value).
import { get } from '../api.js';
import { chart } from '../charts.js';
import { h, chartBox, empty, section, table } from '../dom.js';
import { t, fmtInt, fmtMoney, fmtMoneyShort, fmtPct, fmtDec, fmtDate } from '../i18n.js';

const link = (m) => h('a', { href: `#/member?q=${m.member_no}` }, m.member_no);
const rows = (list) => list.map((m) => [link(m), fmtMoney(m.clv_cents), fmtPct(m.p_alive), fmtDec(m.expected_purchases, 2)]);
const riskRows = (list) => list.map((m) => [link(m), fmtMoney(m.past_value_cents), fmtPct(m.p_alive), fmtMoney(m.clv_cents)]);

export default {
  id: 'value',
  filters: ['to'],
  load: (p, signal) => get('value', { as_of: p.to }, signal),
  render(main, d) {
    if (!d.fitted) {
      main.append(empty(t('val.none')));
      return;
    }
    const heads = [t('seg.memberNo'), t('val.clv'), t('val.palive'), t('val.expected')];
    const riskHeads = [t('seg.memberNo'), t('val.past'), t('val.palive'), t('val.clv')];
    main.append(h('p', { class: 'note' }, t('val.model', { m: d.model, n: fmtInt(d.members), d: fmtDate(d.as_of_date) })),
      section(t('val.hist'), chartBox('ch-clv-hist')),
      section(t('val.scatter'), chartBox('ch-clv-scatter')),
      section(t('val.atRisk'), d.at_risk.length ? table(t('val.atRisk'), riskHeads, riskRows(d.at_risk), 'tbl-at-risk') : empty(t('noData'))),
      section(t('val.top'), table(t('val.top'), heads, rows(d.top), 'tbl-clv-top')));
    const labels = d.histogram.map((b) => `${fmtMoneyShort(b.lo_cents)}–${fmtMoneyShort(b.hi_cents)}`);
    chart(document.getElementById('ch-clv-hist'), {
      tooltip: { trigger: 'axis', valueFormatter: fmtInt }, grid: { left: 70, right: 20, bottom: 70 },
      xAxis: { type: 'category', data: labels, axisLabel: { rotate: 30 } }, yAxis: { type: 'value', axisLabel: { formatter: fmtInt } },
      series: [{ name: t('members'), type: 'bar', data: d.histogram.map((b) => b.members) }],
    }, t('val.hist'));
    chart(document.getElementById('ch-clv-scatter'), {
      tooltip: { formatter: (p) => `${t('val.palive')} ${fmtPct(p.value[0])} · ${t('val.clv')} ${fmtMoney(p.value[1])}` },
      grid: { left: 80, right: 20 },
      xAxis: { type: 'value', min: 0, max: 1, name: t('val.palive'), axisLabel: { formatter: (v) => fmtPct(v, 0) } },
      yAxis: { type: 'value', name: t('val.clv'), axisLabel: { formatter: fmtMoneyShort } },
      series: [{ type: 'scatter', symbolSize: 4, data: d.scatter, large: true }],
    }, t('val.scatter'));
  },
};
