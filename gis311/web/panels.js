// The side panel: the list of cases, a case's details and history (with its status form for
// crews, staff and admins), and an asset with its open cases.

import {
  age, el, patchJSON, request, say, STATUS_LABELS, when,
} from './api.js';
import { colourOf, selectCase } from './layers.js';

const WRITERS = ['crew', 'staff', 'admin'];
const CLOSURE_REASONS = [
  ['resolved', 'Resolved'], ['no_action', 'No action needed'], ['invalid', 'Invalid'],
  ['referred', 'Referred elsewhere'],
];

function serviceName(ctx, code) {
  return ctx.services.get(code) || code;
}

function caseButton(ctx, c, extra) {
  const repeats = c.duplicate_count ? ` · ${c.duplicate_count} repeat${c.duplicate_count > 1 ? 's' : ''}` : '';
  return el('button', {
    type: 'button', 'data-number': c.number, onclick: () => showCase(ctx, c.number),
  },
  el('span', { class: 'swatch', style: { background: colourOf(ctx.palette, c.service_code) }, 'aria-hidden': 'true' }),
  el('span', {},
    el('strong', {}, c.number), ' ', serviceName(ctx, c.service_code),
    el('br'),
    el('span', { class: 'meta' },
      `${STATUS_LABELS[c.status]} · ${age(c.requested_at)} old${repeats}${extra || ''}`)));
}

export function renderList(ctx, title, cases, { append = false, more = null, distances = null } = {}) {
  document.getElementById('list-title').textContent = title;
  const list = document.getElementById('case-list');
  if (!append) list.replaceChildren();
  for (const c of cases) {
    const distance = distances ? ` · ${Math.round(distances.get(c.number))} m away` : '';
    list.append(el('li', {}, caseButton(ctx, c, distance)));
  }
  const shown = list.children.length;
  document.getElementById('list-count').textContent = shown
    ? `${shown}${more ? '+' : ''} case${shown === 1 ? '' : 's'}` : 'No cases match.';
  const button = document.getElementById('list-more');
  button.hidden = !more;
  ctx.nextPage = more;
}

function panel(title, ...body) {
  const section = document.getElementById('detail');
  const close = el('button', { type: 'button', onclick: closePanel }, 'Close');
  section.replaceChildren(el('header', {}, el('h2', { id: 'detail-title' }, title), close), ...body);
  section.hidden = false;
  section.focus();
  return section;
}

export function closePanel() {
  const section = document.getElementById('detail');
  section.hidden = true;
  section.replaceChildren();
  if (window.map && window.map.getLayer('case-selected')) selectCase(window.map, null);
}

function facts(pairs) {
  return el('dl', {}, pairs.filter(([, v]) => v !== null && v !== undefined && v !== '')
    .flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

function history(events) {
  if (!events || !events.length) return el('p', { class: 'muted' }, 'No history.');
  return el('ol', { class: 'history' }, events.map((e) => el('li', {},
    el('strong', {}, e.kind.replace(/_/g, ' ')), ` — ${when(e.at)}`,
    e.note ? el('span', {}, `: ${e.note}`) : null,
    el('span', { class: 'meta' }, ` (${e.actor})`))));
}

function statusForm(ctx, c) {
  const status = el('select', { id: 'new-status', name: 'status' },
    Object.entries(STATUS_LABELS).map(([value, label]) => el('option', { value, selected: value === c.status }, label)));
  const reason = el('select', { id: 'closure-reason', name: 'closure_reason', disabled: c.status !== 'closed' },
    CLOSURE_REASONS.map(([value, label]) => el('option', { value }, label)));
  const note = el('textarea', { id: 'status-note', name: 'note', rows: 2, maxlength: 4000 });
  status.addEventListener('change', () => { reason.disabled = status.value !== 'closed'; });
  const form = el('form', { class: 'status-form', 'aria-label': `Change the status of case ${c.number}` },
    el('h3', {}, 'Change status'),
    el('div', { class: 'row' }, el('label', { for: 'new-status' }, 'New status'), status),
    el('div', { class: 'row' }, el('label', { for: 'closure-reason' }, 'Closure reason'), reason),
    el('div', { class: 'row' }, el('label', { for: 'status-note' }, 'Note (public)'), note),
    el('button', { type: 'submit', class: 'primary' }, 'Save status'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { status: status.value };
    if (status.value === 'closed') body.closure_reason = reason.value;
    if (note.value.trim()) body.note = note.value.trim();
    try {
      const updated = await patchJSON(`api/v1/cases/${encodeURIComponent(c.number)}`, body);
      say(`Case ${updated.number} is now ${STATUS_LABELS[updated.status]}.`);
      renderCase(ctx, updated);
      ctx.changed();
    } catch (error) {
      say(`Could not change case ${c.number}: ${error.message}`);
    }
  });
  return form;
}

function renderCase(ctx, c) {
  const asset = c.asset
    ? el('button', { type: 'button', class: 'linklike', onclick: () => showAsset(ctx, c.asset.asset_id) },
      `${c.asset.type} ${c.asset.asset_id}`)
    : 'none';
  const districts = Object.entries(c.districts || {}).map(([layer, d]) => `${layer} ${d.code}`).join(', ');
  const parent = c.parent
    ? el('button', { type: 'button', class: 'linklike', onclick: () => showCase(ctx, c.parent) }, c.parent)
    : null;
  const body = [
    facts([
      ['Number', c.number],
      ['Service', serviceName(ctx, c.service_code)],
      ['Status', STATUS_LABELS[c.status] + (c.closure_reason ? ` (${c.closure_reason.replace('_', ' ')})` : '')],
      ['Asset', asset],
      ['Age', `${age(c.requested_at)} (filed ${when(c.requested_at)})`],
      ['Address', c.address],
      ['Repeats', c.duplicate_count ? String(c.duplicate_count) : null],
      ['Repeat of', parent],
      ['Districts', districts],
      ['Description', c.description],
    ]),
    el('h3', {}, 'History'),
    history(c.history),
  ];
  if (WRITERS.includes(ctx.me.role) && !c.parent) body.push(statusForm(ctx, c));
  else if (ctx.state.view === 'crew' && !c.parent) {
    body.push(el('p', { class: 'muted' }, 'Use a crew key to change the status.'));
  }
  panel(`Case ${c.number}`, ...body);
  if (window.map) selectCase(window.map, c.number);
}

export async function showCase(ctx, number) {
  try {
    renderCase(ctx, await request(`api/v1/cases/${encodeURIComponent(number)}`));
  } catch (error) {
    say(`Could not load case ${number}: ${error.message}`);
  }
}

export async function showAsset(ctx, assetId) {
  try {
    const id = encodeURIComponent(assetId);
    const [asset, open] = await Promise.all([
      request(`api/v1/assets/${id}`),
      request(`api/v1/cases?asset_id=${id}&status=open,in_progress&limit=50`),
    ]);
    const p = asset.properties;
    const list = el('ol', { class: 'case-list' },
      open.cases.map((c) => el('li', {}, caseButton(ctx, c))));
    panel(`${ctx.typeNames.get(p.type) || p.type} ${p.asset_id}`,
      facts([
        ['Asset', p.asset_id], ['Type', ctx.typeNames.get(p.type) || p.type],
        ['Status', p.status.replace(/_/g, ' ')],
        ['Condition', p.condition_score === null ? null : `${p.condition_score} / 100`],
      ]),
      el('h3', {}, `Open cases (${open.cases.length})`),
      open.cases.length ? list : el('p', { class: 'muted' }, 'No open case on this asset.'));
  } catch (error) {
    say(`Could not load asset ${assetId}: ${error.message}`);
  }
}
