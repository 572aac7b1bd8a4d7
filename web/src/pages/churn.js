// churn.js — churn risk from the predictive engine's member scores: the distribution by risk
// band and the members most at risk (GET /v1/dashboard/churn). Until `patron churn score`
// has stored scores, the API says scored: false and this page says so.
import { get } from '../api.js';
import { chart } from '../charts.js';
import { h, chartBox, empty, section, table } from '../dom.js';
import { t, fmtInt, fmtPct } from '../i18n.js';

export default {
  id: 'churn',
  filters: [],
  load: (p, signal) => get('churn', {}, signal),
  render(main, d) {
    if (!d.scored) {
      main.append(empty(t('churn.none')));
      return;
    }
    main.append(h('p', { class: 'note' }, `${t('churn.model')}: ${d.model} (${d.version}), ${d.as_of_date}`),
      section(t('churn.dist'), chartBox('ch-churn')),
      section(t('churn.top'), table(t('churn.top'), [t('seg.memberNo'), t('churn.title'), t('churn.reasons')],
        d.top.map((m) => [h('a', { href: `#/member?q=${m.member_no}` }, m.member_no), fmtPct(m.risk),
          m.reasons.replaceAll(',', ', ')]), 'tbl-churn')));
    chart(document.getElementById('ch-churn'), {
      tooltip: { trigger: 'axis', valueFormatter: fmtInt }, grid: { left: 70, right: 20 },
      xAxis: { type: 'category', data: d.bands.map((b) => `${fmtPct(b.lo, 0)}–${fmtPct(b.hi, 0)}`) },
      yAxis: { type: 'value' }, series: [{ type: 'bar', data: d.bands.map((b) => b.members) }],
    }, t('churn.dist'));
  },
};
