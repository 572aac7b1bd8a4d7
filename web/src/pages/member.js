// member.js — the member 360 view: search by member number; profile (masked, or absent for a
// key that may not see personal data), identities across channels, consent, tier, points
// balance and history, orders, and the analytics of that member (RFM segment, lifecycle
// stage, CLV) (GET /v1/dashboard/member?q=NO).
import { get } from '../api.js';
import { h, empty, section, table } from '../dom.js';
import { t, isZh, fmtInt, fmtMoney, fmtPct, fmtDec } from '../i18n.js';

function kv(rows, id) {
  return h('dl', { class: 'kv', id }, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '—')]));
}

export default {
  id: 'member',
  filters: [],
  load: (p, signal) => (p.q ? get('member', { q: p.q, by: p.by }, signal) : Promise.resolve(null)),
  render(main, d, ctx) {
    const input = h('input', { id: 'm-q', type: 'search', value: ctx.params.q || '', required: true, 'aria-describedby': 'm-hint' });
    // search by phone or email only for keys that may see personal data (masked)
    const mayFind = ctx.meta.personal === 'masked';
    const by = mayFind ? h('select', { id: 'm-by', 'aria-label': t('m.by') },
      ['no', 'phone', 'email'].map((k) => h('option', { value: k, selected: (ctx.params.by || 'no') === k }, t(`m.by.${k}`)))) : null;
    main.append(h('form', { class: 'search', role: 'search', onsubmit: (e) => {
      e.preventDefault();
      const q = input.value.trim();
      if (by && by.value !== 'no') ctx.goPrivate({ q, by: by.value });
      else ctx.go({ q, by: undefined });
    } },
      h('label', { for: 'm-q' }, t('m.search')), by, input, h('button', { type: 'submit', id: 'm-go' }, t('m.go')),
      h('p', { id: 'm-hint', class: 'note' }, t(mayFind ? 'm.hintPersonal' : 'm.hint'))));
    if (!d) return;
    if (!d.found) {
      main.append(empty(t('m.notFound', { q: d.q || '' })));
      return;
    }
    const p = d.profile;
    const personal = p
      ? [[t('m.name'), p.name], [t('m.phone'), p.phone], [t('m.email'), p.email]]
      : [[t('m.name'), t('m.hidden')], [t('m.phone'), t('m.hidden')], [t('m.email'), t('m.hidden')]];
    main.append(h('div', { class: 'cols' },
      section(t('m.profile'), kv([[t('seg.memberNo'), d.member_no], [t('m.status'), d.status], [t('m.registered'), d.registered_at],
        [t('m.channel'), d.registration_channel], ...personal,
        [t('m.consent'), Object.entries(d.consent).filter(([, c]) => c.given).map(([k]) => k).join(', ') || '—']], 'm-profile')),
      section(t('m.tier'), kv([[t('m.tier'), d.points?.tier || '—'], [t('m.balance'), fmtInt(d.points?.balance)],
        [t('m.pending'), fmtInt(d.points?.pending)],
        [t('m.segment'), d.rfm ? `${isZh() ? d.rfm.segment_zh : d.rfm.segment_en} (${d.rfm.r} ${d.rfm.f} ${d.rfm.m})` : '—'],
        [t('m.stage'), d.lifecycle ? (isZh() ? d.lifecycle.name_zh : d.lifecycle.name_en) : '—'],
        [t('m.clv'), d.clv ? `${fmtMoney(d.clv.clv_cents)} · ${t('val.palive')} ${fmtPct(d.clv.p_alive)} · ${fmtDec(d.clv.expected_purchases, 2)}` : '—']], 'm-analytics'))));
    main.append(section(t('m.identities'), d.identifiers.length
      ? table(t('m.identities'), [t('m.kind'), t('value'), t('m.channel'), t('m.when')], d.identifiers.map((i) => [i.kind, i.value, i.source, i.added_at]), 'tbl-m-ids')
      : empty(p ? t('noData') : t('m.hidden'))));
    main.append(section(t('m.orders'), d.orders.length
      ? table(t('m.orders'), [t('m.orderNo'), t('m.when'), t('m.channel'), t('m.amount'), t('m.status')],
        d.orders.map((o) => [o.order_no, o.ordered_at, o.channel, fmtMoney(o.amount_cents), o.status]), 'tbl-m-orders')
      : empty(t('noData'))));
    main.append(section(t('m.history'), d.history.length
      ? table(t('m.history'), [t('m.when'), t('m.kind'), t('m.points'), ''], d.history.map((e) => [e.at, e.kind, fmtInt(e.points), e.ref || '']), 'tbl-m-history')
      : empty(t('noData'))));
  },
};
