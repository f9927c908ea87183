// The relay's queue console. No framework: a few pages built with DOM calls (text only, never
// HTML from data), JSON from /api/..., charts by uPlot. Changes are POSTs with the page's token.
'use strict';

const TOKEN = document.querySelector('meta[name="relay-token"]').content;
const REFRESH_MS = 10000;
const STATES = ['queued', 'deferred', 'held', 'delivered', 'failed'];
window.relayCharts = [];

function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.substring(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

async function getJson(url) {
  const r = await fetch(url, {headers: {'Accept': 'application/json'}, credentials: 'same-origin'});
  const body = await r.json().catch(() => ({error: r.status + ' ' + r.statusText}));
  if (!r.ok) throw new Error(body.error || (r.status + ' ' + r.statusText));
  return body;
}

async function post(params) {
  const r = await fetch('/api/action', {
    method: 'POST', credentials: 'same-origin',
    headers: {'Content-Type': 'application/x-www-form-urlencoded', 'X-Relay-Token': TOKEN},
    body: new URLSearchParams(params).toString(),
  });
  const text = await r.text();
  let body;
  try { body = JSON.parse(text); } catch (e) { body = {error: text.trim() || (r.status + ' ' + r.statusText)}; }
  if (!r.ok) throw new Error(body.error);
  return body;
}

function age(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min';
  if (s < 86400) return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  return Math.floor(s / 86400) + ' d ' + Math.floor((s % 86400) / 3600) + ' h';
}

function time(epoch) {
  if (!epoch) return '–';
  return new Date(epoch * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function size(n) {
  if (n < 1024) return n + ' B';
  if (n < 1048576) return (n / 1024).toFixed(1) + ' KiB';
  return (n / 1048576).toFixed(1) + ' MiB';
}

function fmt(n) { return Number(n).toLocaleString('en'); }

function stateTag(s) { return h('span', {class: 'state ' + s}, s); }

function status(text, error) {
  const s = document.getElementById('status');
  if (!s) return;
  s.textContent = text;
  s.className = error ? 'error' : '';
}

// A confirmation that says what is touched; resolves to {reason} or null when cancelled.
function confirmAction(text, withReason) {
  const d = document.getElementById('confirm');
  document.getElementById('confirm-text').textContent = text;
  const label = document.getElementById('confirm-reason-label');
  label.hidden = !withReason;
  document.getElementById('confirm-reason').value = '';
  return new Promise(resolve => {
    d.addEventListener('close', () => {
      resolve(d.returnValue === 'ok' ? {reason: document.getElementById('confirm-reason').value} : null);
    }, {once: true});
    d.returnValue = '';
    d.showModal();
  });
}

const ACTIONS = [
  {name: 'retry', label: 'Retry'}, {name: 'hold', label: 'Hold'}, {name: 'release', label: 'Release'},
  {name: 'bounce', label: 'Bounce', danger: true}, {name: 'delete', label: 'Delete', danger: true},
];

function plural(n, word) { return fmt(n) + ' ' + word + (n === 1 ? '' : 's'); }

function describe(action, n) {
  const what = plural(n, 'message');
  switch (action) {
    case 'retry': return 'Retry ' + what + ' now?';
    case 'hold': return 'Hold ' + what + '? Held mail is not delivered until released.';
    case 'release': return 'Release ' + what + '? Their held recipients become due now.';
    case 'bounce': return 'Bounce ' + what + '? Their senders get a delivery status notification.';
    case 'delete': return 'Delete ' + what + '? They are removed without any notification; this cannot be undone.';
  }
  return action + ' ' + what + '?';
}

function done(r) {
  return r.action + ': ' + plural(r.messages, 'message') + (r.action === 'delete' ? '' : ', ' + plural(r.recipients, 'recipient') + ' changed');
}

// ---------------------------------------------------------------- overview

// The y axis as wide as its widest label (uPlot measures on its canvas), so that "250 ms" is not cut.
function axisWidth(u, values, axisIdx, cycleNum) {
  const axis = u.axes[axisIdx];
  if (cycleNum > 1) return axis._size;
  let width = axis.ticks.size + axis.gap;
  const longest = (values || []).reduce((a, v) => (String(v).length > a.length ? String(v) : a), '');
  if (longest !== '') {
    u.ctx.font = axis.font[0];
    width += u.ctx.measureText(longest).width / devicePixelRatio;
  }
  return Math.ceil(width) + 4;
}

function chart(target, title, series, colors, unit) {
  const box = h('div', {class: 'chart', 'data-chart': title}, h('h3', {}, title));
  target.append(box);
  const width = () => Math.max(240, box.clientWidth - 16);
  const opts = {
    width: width(), height: 180, legend: {show: true},
    scales: {x: {time: true}},
    axes: [{}, {size: axisWidth, values: (u, vals) => vals.map(v => v === null ? '' : fmt(v) + (unit || ''))}],
    // points as well as lines: the first minutes of a relay are single values a line cannot show
    series: [{}].concat(series.map((s, i) => ({label: s, stroke: colors[i], width: 1.5, spanGaps: false,
      points: {show: true, size: 5, stroke: colors[i], fill: colors[i]}}))),
  };
  const u = new uPlot(opts, [[]].concat(series.map(() => [])), box);
  u.relayTitle = title;
  window.relayCharts.push(u);
  new ResizeObserver(() => u.setSize({width: width(), height: 180})).observe(box);
  return u;
}

async function overview(main) {
  main.replaceChildren(h('h1', {}, 'Overview'), h('div', {id: 'status'}));
  const cards = h('div', {class: 'cards', id: 'cards'});
  const hops = h('div', {id: 'hops'});
  const charts = h('div', {class: 'charts'});
  main.append(cards, h('h2', {}, 'The last hour'), charts, h('h2', {}, 'Next hops with the most waiting mail'), hops);
  window.relayCharts = [];
  const c = {
    flow: chart(charts, 'Per minute', ['accepted', 'delivered', 'deferred', 'bounced'],
      ['#0b5cad', '#1a7f37', '#9a6700', '#b42318']),
    depth: chart(charts, 'Queue depth (recipients)', ['queued', 'deferred', 'held'], ['#0b5cad', '#9a6700', '#59636e']),
    latency: chart(charts, 'Delivery latency', ['p50', 'p95', 'p99'], ['#1a7f37', '#9a6700', '#b42318'], ' ms'),
  };
  async function load() {
    try {
      const [o, hist] = await Promise.all([getJson('/api/overview'), getJson('/api/history')]);
      renderCards(cards, o);
      renderHops(hops, o);
      c.flow.setData([hist.t, hist.accepted, hist.delivered, hist.deferred, hist.bounced]);
      c.depth.setData([hist.t, hist.queued, hist.deferred_now, hist.held]);
      c.latency.setData([hist.t, hist.p50, hist.p95, hist.p99]);
      status('Updated ' + new Date().toLocaleTimeString() + '; every ' + (REFRESH_MS / 1000) + ' s.');
    } catch (e) {
      status('Cannot read the relay: ' + e.message, true);
    }
  }
  await load();
  setInterval(load, REFRESH_MS);
}

function renderCards(cards, o) {
  const items = STATES.map(s => h('a', {class: 'card', href: '/queue?state=' + s, style: null},
    h('div', {class: 'label'}, s), h('div', {class: 'value', id: 'count-' + s}, fmt(o.states[s] || 0))));
  items.push(h('div', {class: 'card'}, h('div', {class: 'label'}, 'oldest message'),
    h('div', {class: 'value', id: 'oldest'}, o.oldest_id ? h('a', {href: '/message/' + o.oldest_id}, age(o.oldest_age)) : '–')));
  cards.replaceChildren(...items);
  const n = o.node;
  document.getElementById('node').textContent = n.host + ' · relay ' + n.version + ' · pid ' + n.pid + ' · up ' + age(o.now - n.started);
}

function renderHops(box, o) {
  if (o.hops.length === 0) {
    box.replaceChildren(h('p', {class: 'muted'}, 'No mail is waiting.'));
    return;
  }
  box.replaceChildren(h('table', {class: 'stack', id: 'hops-table'},
    h('thead', {}, h('tr', {}, h('th', {}, 'Next hop'), h('th', {class: 'num'}, 'Recipients'), h('th', {}, 'Last reply'))),
    h('tbody', {}, o.hops.map(x => h('tr', {},
      h('td', {'data-label': 'Next hop'}, x.hop === '-' ? h('span', {class: 'muted'}, 'not tried yet')
        : h('a', {href: '/queue?hop=' + encodeURIComponent(x.hop)}, x.hop)),
      h('td', {class: 'num', 'data-label': 'Recipients'}, fmt(x.recipients)),
      h('td', {class: 'reply', 'data-label': 'Last reply'}, x.last_reply || ''))))));
}

// ---------------------------------------------------------------- queue

const FILTERS = ['state', 'from', 'to', 'hop', 'older'];

async function queue(main) {
  const params = new URLSearchParams(location.search);
  const filter = {};
  for (const f of FILTERS) if (params.get(f)) filter[f] = params.get(f);
  const form = h('form', {class: 'filters', id: 'filters'},
    h('label', {}, 'State', h('select', {name: 'state'}, h('option', {value: ''}, 'any'),
      STATES.map(s => h('option', {value: s, selected: filter.state === s}, s)))),
    h('label', {}, 'Sender contains', h('input', {name: 'from', value: filter.from || '', autocomplete: 'off'})),
    h('label', {}, 'Recipient contains', h('input', {name: 'to', value: filter.to || '', autocomplete: 'off'})),
    h('label', {}, 'Next hop', h('input', {name: 'hop', value: filter.hop || '', autocomplete: 'off', placeholder: 'mx.example.org'})),
    h('label', {}, 'Older than', h('input', {name: 'older', value: filter.older || '', autocomplete: 'off', placeholder: '1h, 2d'})),
    h('button', {type: 'submit', class: 'primary', id: 'apply'}, 'Apply'));
  form.addEventListener('submit', ev => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const f of FILTERS) { const v = form.elements[f].value.trim(); if (v) q.set(f, v); }
    location.href = '/queue' + (q.toString() ? '?' + q : '');
  });
  const selected = new Set();
  const tbody = h('tbody', {id: 'rows'});
  const all = h('input', {type: 'checkbox', 'aria-label': 'select the page'});
  const table = h('table', {class: 'stack', id: 'queue-table'},
    h('thead', {}, h('tr', {}, h('th', {}, all), h('th', {}, 'Queue id'), h('th', {}, 'Arrived'),
      h('th', {class: 'num'}, 'Size'), h('th', {}, 'Sender'), h('th', {}, 'Recipients'))), tbody);
  const pager = h('div', {class: 'bar'});
  const actions = h('div', {class: 'bar', id: 'actions'});
  const scope = h('select', {id: 'scope', 'aria-label': 'what the action applies to'},
    h('option', {value: 'selected'}, 'the selected messages'), h('option', {value: 'filter'}, 'every message matching the filter'));
  actions.append(h('span', {class: 'muted'}, 'Apply to'), scope,
    ...ACTIONS.map(a => h('button', {type: 'button', id: 'action-' + a.name, class: a.danger ? 'danger' : null,
      onclick: () => act(a.name)}, a.label)));
  main.replaceChildren(h('h1', {}, 'Queue'), form, actions, h('div', {id: 'status'}), table, pager);

  const cursors = [null];
  let page = 0;
  let rows = [];

  async function load() {
    const q = new URLSearchParams(filter);
    if (cursors[page]) q.set('after', cursors[page]);
    try {
      const r = await getJson('/api/messages?' + q);
      rows = r.items;
      selected.clear();
      all.checked = false;
      cursors[page + 1] = r.next;
      render(r);
      status(r.items.length === 0 ? (page === 0 ? 'No message matches.' : 'No more messages.') : '');
    } catch (e) {
      status(e.message, true);
    }
  }

  function render(r) {
    tbody.replaceChildren(...rows.map(m => {
      const box = h('input', {type: 'checkbox', 'aria-label': 'select ' + m.id, 'data-id': m.id});
      box.addEventListener('change', () => { box.checked ? selected.add(m.id) : selected.delete(m.id); });
      return h('tr', {'data-id': m.id},
        h('td', {}, box),
        h('td', {'data-label': 'Queue id'}, h('a', {class: 'mono', href: '/message/' + m.id}, m.id)),
        h('td', {'data-label': 'Arrived', title: time(m.arrival)}, age(Date.now() / 1000 - m.arrival) + ' ago'),
        h('td', {class: 'num', 'data-label': 'Size'}, size(m.size)),
        h('td', {'data-label': 'Sender'}, m.sender),
        h('td', {'data-label': 'Recipients'}, m.recipients.map(x => h('div', {},
          stateTag(x.state), ' ', x.address,
          x.last_reply ? h('div', {class: 'reply'}, x.last_reply + (x.next_hop ? ' (at ' + x.next_hop + ')' : '')) : null))));
    }));
    pager.replaceChildren(
      h('button', {type: 'button', id: 'first', disabled: page === 0, onclick: () => { page = 0; load(); }}, 'First'),
      h('button', {type: 'button', id: 'prev', disabled: page === 0, onclick: () => { page--; load(); }}, 'Previous'),
      h('span', {class: 'muted'}, 'page ' + (page + 1)),
      h('button', {type: 'button', id: 'next', disabled: !r.next, onclick: () => { page++; load(); }}, 'Next'));
  }

  all.addEventListener('change', () => {
    for (const b of tbody.querySelectorAll('input[type=checkbox]')) {
      b.checked = all.checked;
      all.checked ? selected.add(b.dataset.id) : selected.delete(b.dataset.id);
    }
  });

  async function act(action) {
    try {
      let params;
      let n;
      if (scope.value === 'filter') {
        n = (await getJson('/api/count?' + new URLSearchParams(filter))).messages;
        if (n === 0) { status('No message matches the filter.', true); return; }
        params = Object.assign({action, scope: 'filter', expect: String(n)}, filter);
      } else {
        if (selected.size === 0) { status('Select messages first (or apply to every message matching the filter).', true); return; }
        n = selected.size;
        params = {action, id: [...selected].join(',')};
      }
      const text = describe(action, n) + (scope.value === 'filter' && Object.keys(filter).length === 0
        ? ' No filter is set: this is the whole queue.' : '');
      const ok = await confirmAction(text, action === 'bounce');
      if (!ok) return;
      if (ok.reason) params.reason = ok.reason;
      const r = await post(params);
      await load();
      status(done(r));
    } catch (e) {
      status(e.message, true);
    }
  }

  await load();
}

// ---------------------------------------------------------------- one message

async function message(main, id) {
  main.replaceChildren(h('h1', {}, 'Message ', h('span', {class: 'mono'}, id)), h('div', {id: 'status'}));
  let m;
  try {
    m = await getJson('/api/message/' + encodeURIComponent(id));
  } catch (e) {
    main.append(h('p', {}, e.message), h('p', {}, h('a', {href: '/queue'}, 'Back to the queue')));
    return;
  }
  const c = m.client || {};
  main.append(
    h('div', {class: 'bar', id: 'actions'}, ACTIONS.map(a => h('button', {type: 'button', id: 'action-' + a.name,
      class: a.danger ? 'danger' : null, onclick: () => act(a.name)}, a.label))),
    h('h2', {}, 'Envelope'),
    h('dl', {class: 'envelope'},
      h('dt', {}, 'Arrived'), h('dd', {}, time(m.arrival) + ' (' + age(Date.now() / 1000 - m.arrival) + ' ago)'),
      h('dt', {}, 'Size'), h('dd', {}, size(m.size)),
      h('dt', {}, 'Sender'), h('dd', {}, m.sender),
      h('dt', {}, 'Parameters'), h('dd', {class: 'mono'}, m.parameters || '–'),
      h('dt', {}, 'Client'), h('dd', {}, (c.address || '–') + (c.helo ? ' (HELO ' + c.helo + ')' : '')
        + (c.protocol ? ', ' + c.protocol : '') + (c.user ? ', user ' + c.user : ''))),
    h('h2', {}, 'Recipients'),
    h('table', {class: 'stack', id: 'recipients'},
      h('thead', {}, h('tr', {}, h('th', {}, 'Recipient'), h('th', {}, 'State'), h('th', {class: 'num'}, 'Attempts'),
        h('th', {}, 'Next attempt'), h('th', {}, 'Last reply'))),
      h('tbody', {}, m.recipients.map(r => h('tr', {},
        h('td', {'data-label': 'Recipient'}, r.address),
        h('td', {'data-label': 'State'}, stateTag(r.state)),
        h('td', {class: 'num', 'data-label': 'Attempts'}, r.attempts),
        h('td', {'data-label': 'Next attempt'}, r.next_attempt ? time(r.next_attempt) : '–'),
        h('td', {class: 'reply', 'data-label': 'Last reply'}, (r.last_reply || '') + (r.next_hop ? ' (at ' + r.next_hop + ')' : '')))))),
    h('h2', {}, 'Attempts'),
    m.history.length === 0 ? h('p', {class: 'muted'}, 'Not tried yet.') :
      h('table', {class: 'stack', id: 'history'},
        h('thead', {}, h('tr', {}, h('th', {}, 'Time'), h('th', {}, 'Recipient'), h('th', {}, 'Next hop'),
          h('th', {}, 'Outcome'), h('th', {}, 'Reply'))),
        h('tbody', {}, m.history.map(a => h('tr', {},
          h('td', {'data-label': 'Time'}, time(a.time)), h('td', {'data-label': 'Recipient'}, a.recipient || '?'),
          h('td', {'data-label': 'Next hop'}, a.next_hop || '–'), h('td', {'data-label': 'Outcome'}, stateTag(a.outcome)),
          h('td', {class: 'reply', 'data-label': 'Reply'}, a.reply || ''))))),
    h('h2', {}, 'Headers'),
    h('pre', {id: 'headers'}, m.headers || '(none)'),
    h('h2', {}, 'Body'),
    h('div', {id: 'body'}, h('button', {type: 'button', id: 'show-body', onclick: showBody}, 'Show the whole message')));

  async function showBody() {
    const box = document.getElementById('body');
    try {
      const r = await fetch('/api/message/' + encodeURIComponent(id) + '/body', {credentials: 'same-origin'});
      if (!r.ok) throw new Error((await r.text()) || r.statusText);
      const cut = r.headers.get('X-Relay-Truncated');
      const text = await r.text();
      box.replaceChildren(h('div', {}, h('pre', {id: 'body-text'}, text),
        cut ? h('p', {class: 'muted'}, 'Only the first ' + size(Number(cut)) + ' are shown; relayctl show --body ' + id + ' prints all.') : null));
    } catch (e) {
      status(e.message, true);
    }
  }

  async function act(action) {
    const ok = await confirmAction(describe(action, 1), action === 'bounce');
    if (!ok) return;
    try {
      const params = {action, id};
      if (ok.reason) params.reason = ok.reason;
      const r = await post(params);
      if (action === 'delete') {
        location.href = '/queue';
        return;
      }
      await message(main, id);
      status(done(r));
    } catch (e) {
      status(e.message, true);
    }
  }
}

// ---------------------------------------------------------------- start

async function nodeLine() {
  try {
    const o = await getJson('/api/overview');
    const n = o.node;
    document.getElementById('node').textContent = n.host + ' · relay ' + n.version + ' · pid ' + n.pid + ' · up ' + age(o.now - n.started);
  } catch (e) { /* the page says what failed */ }
}

document.addEventListener('DOMContentLoaded', async () => {
  const main = document.getElementById('main');
  const path = location.pathname;
  document.body.dataset.page = path === '/' ? 'overview' : path === '/queue' ? 'queue' : 'message';
  if (path === '/') {
    document.getElementById('nav-overview').classList.add('current');
    await overview(main);
  } else if (path === '/queue') {
    document.getElementById('nav-queue').classList.add('current');
    nodeLine();
    await queue(main);
  } else if (path.startsWith('/message/')) {
    document.getElementById('nav-queue').classList.add('current');
    nodeLine();
    await message(main, decodeURIComponent(path.substring('/message/'.length)));
  }
  document.body.dataset.ready = 'true';
});
