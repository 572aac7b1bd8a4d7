// i18n.js — every label of the dashboard in English and zh-CN, and the number, money, percent
// and date formatters of the current locale (Intl). The language comes from localStorage, else
// from the browser (navigator.languages: any zh* → zh-CN), else English. Money arrives from
// the API as integer cents and is divided only here, for display; rates arrive as basis points.

const STRINGS = {
  en: {
    title: 'Patron member analytics', language: 'Language', apiKey: 'API key', signIn: 'Sign in',
    skip: 'Skip to content', pages: 'Pages', filters: 'Filters',
    'nav.overview': 'Overview', 'nav.trends': 'Trends', 'nav.segments': 'Segments', 'nav.lifecycle': 'Lifecycle',
    'nav.cohorts': 'Cohorts', 'nav.tiers': 'Tiers and points', 'nav.value': 'Value', 'nav.churn': 'Churn risk',
    'nav.member': 'Member 360',
    from: 'From', to: 'To (exclusive)', channel: 'Channel', allChannels: 'All channels', apply: 'Apply',
    loading: 'Computing…', error: 'Could not load: ', retry: 'Retry', previous: 'vs previous period',
    noOrders: 'No orders in this period. Import orders with `patron import orders FILE`, or widen the dates.',
    noData: 'No data for this selection.',
    needKey: 'Sign in with an API key to see the dashboard.',
    'kpi.members': 'Members', 'kpi.active': 'Active members', 'kpi.members_new': 'New members',
    'kpi.repurchase_bp': 'Repurchase rate', 'kpi.churn_bp': 'Churn rate', 'kpi.nps': 'NPS',
    'kpi.liability_points': 'Points liability', 'kpi.revenue_cents': 'Revenue from members',
    'kpi.orders': 'Paid orders', 'kpi.aov_cents': 'Average order value',
    'kpi.liabilityNote': 'now, not per period', 'kpi.npsNone': 'no answers',
    month: 'Month', value: 'Value', count: 'Count', share: 'Share', members: 'Members', revenue: 'Revenue',
    orders: 'Orders', aov: 'AOV', churned: 'Churned', active: 'Active', newMembers: 'New',
    'trends.members': 'Members, active, new and churned per month', 'trends.revenue': 'Revenue and orders per month',
    'trends.aov': 'Average order value per month',
    'seg.map': 'Segment map', 'seg.map11': '11 segments', 'seg.map8': '8 classes (重要价值…)',
    'seg.treemap': 'Members by RFM segment (area = members)', 'seg.table': 'Segments',
    'seg.segment': 'Segment', 'seg.revShare': 'Revenue share', 'seg.avgR': 'Avg. recency (days)',
    'seg.avgF': 'Avg. orders', 'seg.avgM': 'Avg. spend', 'seg.list': 'Members of {seg}',
    'seg.export': 'Export CSV', 'seg.prev': 'Previous', 'seg.next': 'Next', 'seg.page': 'Page {p} of {n}',
    'seg.memberNo': 'Member', 'seg.rfm': 'R F M', 'seg.asOf': 'as of {d}', 'seg.open': 'List members',
    'lc.counts': 'Members per stage at each month start', 'lc.matrix': 'Stage transitions from {a} to {b}',
    'lc.fromStage': 'Stage at start', 'lc.toStage': 'Stage at end', 'lc.thresholds':
      'Active: last purchase within {a} days; churned: more than {c} days ago; new: first purchase within {n} days.',
    'co.heat': 'Retention by first-purchase month (% who bought again in month +k)', 'co.cohort': 'Cohort',
    'co.size': 'Size', 'co.monthK': 'Month +{k}',
    'tier.dist': 'Members per tier', 'tier.none': '(no tier)', 'tier.liability': 'Points liability',
    'tier.holders': 'Members holding points', 'tier.pending': 'Pending points', 'tier.overdrawn': 'Overdrawn points',
    'tier.noAccounts': 'No points accounts yet. Load a programme (`patron programme load FILE`) and replay orders.',
    'tier.points': 'Points earned, redeemed, expired and clawed back per month', 'tier.flows': 'Tier changes per month (up, down) and reward redemptions',
    'tier.activity': 'Programme activity per month', 'tier.earned': 'Earned', 'tier.redeemed': 'Redeemed', 'tier.expired': 'Expired',
    'tier.reversed': 'Clawed back (refunds)', 'tier.redemptions': 'Rewards redeemed', 'tier.up': 'Tier up', 'tier.down': 'Tier down',
    'val.hist': 'Distribution of 12-month customer lifetime value', 'val.top': 'Top members by CLV',
    'val.scatter': 'P(alive) against CLV', 'val.atRisk': 'At-risk high-value members (spend to date in the top quarter, P(alive) < 50 %)', 'val.past': 'Spend to date',
    'val.clv': 'CLV', 'val.palive': 'P(alive)', 'val.expected': 'Expected purchases', 'val.model': 'Model: {m}, {n} members fitted, as of {d}',
    'val.none': 'Not enough purchase history to fit a CLV model.',
    'churn.title': 'Churn risk', 'churn.none': 'Not yet scored. Churn risk scores appear here once `patron churn score` has written member scores to the store.',
    'churn.dist': 'Members by churn risk', 'churn.top': 'Highest churn risk', 'churn.reasons': 'Main reasons',
    'churn.model': 'Model',
    'm.search': 'Find member', 'm.go': 'Search', 'm.profile': 'Profile', 'm.tier': 'Tier', 'm.balance': 'Points balance',
    'm.pending': 'Pending', 'm.history': 'Points history', 'm.orders': 'Orders', 'm.segment': 'RFM segment',
    'm.stage': 'Lifecycle stage', 'm.status': 'Status', 'm.registered': 'Registered', 'm.consent': 'Consent',
    'm.name': 'Name', 'm.phone': 'Phone', 'm.email': 'Email', 'm.identities': 'Identities', 'm.notFound': 'No member {q}.',
    'm.hint': 'Enter a member number, e.g. 1000000018.', 'm.when': 'When', 'm.kind': 'Kind', 'm.points': 'Points',
    'm.amount': 'Amount', 'm.channel': 'Channel', 'm.orderNo': 'Order', 'm.clv': '12-month CLV', 'm.hidden': 'hidden for this key',
    'm.recency': 'Days since last order', 'm.by': 'Search by', 'm.by.no': 'Member number', 'm.by.phone': 'Phone',
    'm.by.email': 'Email', 'm.hintPersonal': 'A member number (e.g. 1000000018), a phone number or an email address.',
  },
  'zh-CN': {
    title: 'Patron 会员分析', language: '语言', apiKey: 'API 密钥', signIn: '登录',
    skip: '跳到正文', pages: '页面', filters: '筛选',
    'nav.overview': '概览', 'nav.trends': '趋势', 'nav.segments': '分群', 'nav.lifecycle': '生命周期',
    'nav.cohorts': '留存', 'nav.tiers': '等级与积分', 'nav.value': '客户价值', 'nav.churn': '流失风险',
    'nav.member': '会员 360',
    from: '开始', to: '结束(不含)', channel: '渠道', allChannels: '全部渠道', apply: '应用',
    loading: '计算中…', error: '加载失败:', retry: '重试', previous: '较上一周期',
    noOrders: '该时段没有订单。请用 `patron import orders FILE` 导入订单,或扩大日期范围。',
    noData: '当前选择没有数据。',
    needKey: '请使用 API 密钥登录以查看仪表盘。',
    'kpi.members': '会员数', 'kpi.active': '活跃会员', 'kpi.members_new': '新会员',
    'kpi.repurchase_bp': '复购率', 'kpi.churn_bp': '流失率', 'kpi.nps': '净推荐值',
    'kpi.liability_points': '积分负债', 'kpi.revenue_cents': '会员销售额',
    'kpi.orders': '已付订单', 'kpi.aov_cents': '客单价',
    'kpi.liabilityNote': '当前值,不按时段', 'kpi.npsNone': '无答卷',
    month: '月份', value: '数值', count: '数量', share: '占比', members: '会员', revenue: '销售额',
    orders: '订单', aov: '客单价', churned: '流失', active: '活跃', newMembers: '新增',
    'trends.members': '每月会员、活跃、新增与流失', 'trends.revenue': '每月销售额与订单',
    'trends.aov': '每月客单价',
    'seg.map': '分群模型', 'seg.map11': '11 分群', 'seg.map8': '8 类(重要价值…)',
    'seg.treemap': 'RFM 分群会员数(面积 = 会员数)', 'seg.table': '分群',
    'seg.segment': '分群', 'seg.revShare': '销售额占比', 'seg.avgR': '平均最近购买(天)',
    'seg.avgF': '平均订单数', 'seg.avgM': '平均消费', 'seg.list': '{seg} 的会员',
    'seg.export': '导出 CSV', 'seg.prev': '上一页', 'seg.next': '下一页', 'seg.page': '第 {p} 页,共 {n} 页',
    'seg.memberNo': '会员', 'seg.rfm': 'R F M', 'seg.asOf': '截至 {d}', 'seg.open': '查看会员',
    'lc.counts': '每月初各阶段会员数', 'lc.matrix': '{a} 至 {b} 的阶段迁移', 'lc.fromStage': '起始阶段',
    'lc.toStage': '结束阶段', 'lc.thresholds': '活跃:{a} 天内有购买;流失:超过 {c} 天未购买;新客:首购在 {n} 天内。',
    'co.heat': '按首购月份的留存(第 k 月再次购买的比例)', 'co.cohort': '首购月份', 'co.size': '人数', 'co.monthK': '第 {k} 月',
    'tier.dist': '各等级会员数', 'tier.none': '(无等级)', 'tier.liability': '积分负债',
    'tier.holders': '持有积分的会员', 'tier.pending': '待生效积分', 'tier.overdrawn': '透支积分',
    'tier.noAccounts': '还没有积分账户。请加载积分规则(`patron programme load FILE`)并回放订单。',
    'tier.points': '每月积分发放、兑换、过期与退款扣回', 'tier.flows': '每月等级升降与礼品兑换',
    'tier.activity': '每月积分活动', 'tier.earned': '发放', 'tier.redeemed': '兑换', 'tier.expired': '过期',
    'tier.reversed': '退款扣回', 'tier.redemptions': '礼品兑换', 'tier.up': '升级', 'tier.down': '降级',
    'val.hist': '12 个月客户生命周期价值分布', 'val.top': 'CLV 最高的会员', 'val.scatter': '存活概率与 CLV',
    'val.atRisk': '高价值流失风险会员(累计消费位于前四分之一,存活概率 < 50%)', 'val.past': '累计消费',
    'val.clv': 'CLV', 'val.palive': '存活概率', 'val.expected': '预期购买次数', 'val.model': '模型:{m},拟合 {n} 位会员,截至 {d}',
    'val.none': '购买记录不足,无法拟合 CLV 模型。',
    'churn.title': '流失风险', 'churn.none': '尚未评分。运行 `patron churn score` 将会员评分写入存储后,流失风险会显示在这里。',
    'churn.dist': '各流失风险区间的会员数', 'churn.top': '流失风险最高', 'churn.reasons': '主要原因',
    'churn.model': '模型',
    'm.search': '查找会员', 'm.go': '搜索', 'm.profile': '会员资料', 'm.tier': '等级', 'm.balance': '积分余额',
    'm.pending': '待生效', 'm.history': '积分明细', 'm.orders': '订单', 'm.segment': 'RFM 分群',
    'm.stage': '生命周期阶段', 'm.status': '状态', 'm.registered': '注册时间', 'm.consent': '授权',
    'm.name': '姓名', 'm.phone': '手机号', 'm.email': '邮箱', 'm.identities': '身份标识', 'm.notFound': '没有会员 {q}。',
    'm.hint': '输入会员号,例如 1000000018。', 'm.when': '时间', 'm.kind': '类型', 'm.points': '积分',
    'm.amount': '金额', 'm.channel': '渠道', 'm.orderNo': '订单号', 'm.clv': '12 个月 CLV', 'm.hidden': '此密钥不可见',
    'm.recency': '距上次购买天数', 'm.by': '查找方式', 'm.by.no': '会员号', 'm.by.phone': '手机号',
    'm.by.email': '邮箱', 'm.hintPersonal': '会员号(例如 1000000018)、手机号或邮箱。',
  },
};

let lang = pickLang();
const listeners = [];

function pickLang() {
  const saved = globalThis.localStorage?.getItem('patron.lang');
  if (saved && STRINGS[saved]) return saved;
  const prefs = globalThis.navigator?.languages || [globalThis.navigator?.language || 'en'];
  return prefs.some((l) => /^zh/i.test(l)) ? 'zh-CN' : 'en';
}

export function getLang() { return lang; }

export function setLang(l) {
  if (!STRINGS[l] || l === lang) return;
  lang = l;
  localStorage.setItem('patron.lang', l);
  document.documentElement.lang = l;
  listeners.forEach((f) => f(l));
}

export function onLangChange(f) { listeners.push(f); }

/** The label `key`, with {name} placeholders filled from vars. */
export function t(key, vars = {}) {
  const s = STRINGS[lang][key] ?? STRINGS.en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? ''));
}

export function isZh() { return lang === 'zh-CN'; }

// Formatters are cached per language: Intl constructors are slow and pages format thousands.
const cache = {};
function fmt(kind, make) {
  const k = `${lang}|${kind}`;
  return (cache[k] ??= make());
}

export function fmtInt(n) {
  if (n === null || n === undefined) return '—';
  return fmt('int', () => new Intl.NumberFormat(lang, { maximumFractionDigits: 0 })).format(n);
}

export function fmtDec(n, digits = 2) {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  return fmt(`dec${digits}`, () => new Intl.NumberFormat(lang, { minimumFractionDigits: digits, maximumFractionDigits: digits })).format(n);
}

/** Integer cents as the tenant's currency (CNY), two decimals. */
export function fmtMoney(cents) {
  if (cents === null || cents === undefined) return '—';
  return fmt('money', () => new Intl.NumberFormat(lang, { style: 'currency', currency: 'CNY', currencyDisplay: 'narrowSymbol' })).format(cents / 100);
}

/** Compact money for axes (¥1.2M / ¥120万). */
export function fmtMoneyShort(cents) {
  return fmt('moneyShort', () => new Intl.NumberFormat(lang, { style: 'currency', currency: 'CNY', currencyDisplay: 'narrowSymbol', notation: 'compact', maximumFractionDigits: 1 })).format(cents / 100);
}

/** Basis points (1 bp = 0.01 %) as a percentage with two decimals. */
export function fmtBp(bp) {
  if (bp === null || bp === undefined) return '—';
  return fmt('pct', () => new Intl.NumberFormat(lang, { style: 'percent', minimumFractionDigits: 2, maximumFractionDigits: 2 })).format(bp / 10000);
}

export function fmtPct(frac, digits = 1) {
  if (frac === null || frac === undefined || Number.isNaN(frac)) return '—';
  return fmt(`pct${digits}`, () => new Intl.NumberFormat(lang, { style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits })).format(frac);
}

/** "YYYY-MM-DD" (a local date of the tenant, from the API) for display. */
export function fmtDate(ymd) {
  if (!ymd) return '—';
  const [y, m, d] = ymd.split('-').map(Number);
  return fmt('date', () => new Intl.DateTimeFormat(lang, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' })).format(Date.UTC(y, m - 1, d));
}

/** "YYYY-MM" for display. */
export function fmtMonth(ym) {
  if (!ym) return '—';
  const [y, m] = ym.split('-').map(Number);
  return fmt('month', () => new Intl.DateTimeFormat(lang, { year: 'numeric', month: 'short', timeZone: 'UTC' })).format(Date.UTC(y, m - 1, 1));
}

/** Epoch seconds as a date and time in the tenant's zone. */
export function fmtTime(epoch, zone) {
  if (epoch === null || epoch === undefined) return '—';
  return fmt(`time|${zone}`, () => new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short', timeZone: zone || 'UTC' })).format(epoch * 1000);
}
