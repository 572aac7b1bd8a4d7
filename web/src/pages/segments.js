// segments.js — the RFM segment map as of the period's end: a treemap (area = members) and a
// table with counts, revenue share and average R/F/M, switchable between the 11-segment and the
// 8-class map; choosing a segment lists its members (paged, pseudonymous member numbers) and
// exports them as CSV for a campaign (GET /v1/dashboard/segments[/members]).
import { get, download } from '../api.js';
import { chart } from '../charts.js';
import { h, chartBox, empty, section, table } from '../dom.js';
import { t, isZh, fmtInt, fmtMoney, fmtPct, fmtDec, fmtDate } from '../i18n.js';

const PER_PAGE = 20;

function segName(s) { return isZh() ? s.name_zh : s.name_en; }

async function showMembers(box, d, seg, page, signal) {
  box.replaceChildren(h('p', { class: 'loading', role: 'status' }, t('loading')));
  const r = await get('segments/members', { map: d.map, segment: seg.key, as_of: d.as_of_date, page, per_page: PER_PAGE }, signal);
  const pages = Math.max(1, Math.ceil(r.total / r.per_page));
  box.replaceChildren(
    h('h3', { id: 'seg-list-title' }, t('seg.list', { seg: segName(seg) }), ` (${fmtInt(r.total)})`),
    table(t('seg.list', { seg: segName(seg) }), [t('seg.memberNo'), t('m.recency'), t('orders'), t('revenue'), t('seg.rfm')],
      r.members.map((m) => [h('a', { href: `#/member?q=${m.member_no}` }, m.member_no), fmtInt(m.recency_days), fmtInt(m.frequency),
        fmtMoney(m.revenue_cents), `${m.r} ${m.f} ${m.m}`]), 'tbl-seg-members'),
    h('div', { class: 'pager' },
      h('button', { type: 'button', disabled: page <= 1, onclick: () => showMembers(box, d, seg, page - 1) }, t('seg.prev')),
      h('span', {}, t('seg.page', { p: fmtInt(page), n: fmtInt(pages) })),
      h('button', { type: 'button', disabled: page >= pages, onclick: () => showMembers(box, d, seg, page + 1) }, t('seg.next')),
      h('button', { type: 'button', id: 'seg-export', onclick: () => download('segments/members', { map: d.map, segment: seg.key, as_of: d.as_of_date, format: 'csv' }, `segment-${seg.key}.csv`) }, t('seg.export'))));
}

export default {
  id: 'segments',
  filters: ['to'],
  load: (p, signal) => get('segments', { map: p.map || '11', as_of: p.to }, signal),
  render(main, d, ctx) {
    const shown = d.segments.filter((s) => s.members > 0);
    const mapSel = h('select', { id: 'seg-map', onchange: (e) => ctx.go({ map: e.target.value }) },
      h('option', { value: '11', selected: d.map === 11 }, t('seg.map11')),
      h('option', { value: '8', selected: d.map === 8 }, t('seg.map8')));
    main.append(h('p', { class: 'field' }, h('label', { for: 'seg-map' }, t('seg.map')), mapSel, ' ', t('seg.asOf', { d: fmtDate(d.as_of_date) })));
    if (!d.totals.scored) {
      main.append(empty(t('noOrders')));
      return;
    }
    const listBox = h('div', { id: 'seg-members', 'aria-live': 'polite' });
    const open = (s) => showMembers(listBox, d, s, 1).catch((e) => listBox.replaceChildren(h('p', { class: 'error', role: 'alert' }, t('error'), e.message)));
    main.append(section(t('seg.treemap'), chartBox('ch-seg-treemap', true)),
      section(t('seg.table'), table(t('seg.table'),
        [t('seg.segment'), t('members'), t('share'), t('seg.revShare'), t('seg.avgR'), t('seg.avgF'), t('seg.avgM'), ''],
        shown.map((s) => [segName(s), fmtInt(s.members), fmtPct(s.share_members), fmtPct(s.share_revenue),
          fmtDec(s.avg_recency_days, 0), fmtDec(s.avg_frequency, 1), fmtMoney(Math.round(s.avg_monetary_cents)),
          s.listable ? h('button', { type: 'button', class: 'link', 'data-seg': s.key, onclick: () => open(s) }, t('seg.open')) : '']), 'tbl-segments'),
      listBox));
    const c = chart(document.getElementById('ch-seg-treemap'), {
      tooltip: { formatter: (p) => `${p.name}<br>${t('members')}: ${fmtInt(p.value)}` },
      series: [{
        type: 'treemap', roam: false, nodeClick: false, breadcrumb: { show: false },
        // dark text with a white halo: readable on every palette colour
        label: { formatter: (p) => `${p.name}\n${fmtInt(p.value)}`, color: '#111', textBorderColor: '#fff', textBorderWidth: 3, fontSize: 13 },
        itemStyle: { borderColor: '#fff', borderWidth: 2, gapWidth: 2 },
        data: shown.filter((s) => s.listable).map((s) => ({ name: segName(s), value: s.members, key: s.key })),
      }],
    }, `${t('seg.treemap')}: ${shown.map((s) => `${segName(s)} ${fmtInt(s.members)}`).join(', ')}`);
    c.on('click', (p) => {
      const s = shown.find((x) => x.key === p.data?.key);
      if (s) open(s);
    });
  },
};
