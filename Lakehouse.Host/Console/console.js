// The Lakehouse console: plain JavaScript over the public REST API (docs/api.md), nothing else.
'use strict';

const $ = selector => document.querySelector(selector);
const KEY = 'lakehouse-key';
const HISTORY = 'lakehouse-sql-history';
const ROW_HEIGHT = 26;

// ---- calling the API -------------------------------------------------------------------------

/** Calls the API with the session's key; asks for a key on 401; throws an Error carrying the problem's detail. */
async function api(method, path, { json, accept } = {}) {
  const headers = {};
  const key = sessionStorage.getItem(KEY);
  if (key) headers.Authorization = 'Bearer ' + key;
  if (accept) headers.Accept = accept;
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  }
  const response = await fetch(path, { method, headers, body });
  if (response.status === 401) {
    await askForKey();
    return api(method, path, { json, accept });
  }
  if (!response.ok) throw await problemOf(response.status, await response.text());
  return response;
}

async function apiJson(method, path, options) {
  const response = await api(method, path, options);
  return response.status === 204 ? null : response.json();
}

/** The server's problem+json as an Error whose message is its title and detail. */
function problemOf(status, text) {
  let message = `${status}`;
  try {
    const problem = JSON.parse(text);
    message = [problem.title, problem.detail].filter(Boolean).join(': ') || message;
  } catch {
    if (text) message += ' ' + text.slice(0, 500);
  }
  const error = new Error(message);
  error.status = status;
  return error;
}

function showProblem(error) {
  const box = $('#problem');
  box.textContent = error.message;
  box.hidden = false;
}

function clearProblem() {
  $('#problem').hidden = true;
}

/** Runs an action, showing what the server refused instead of throwing. */
async function guarded(action) {
  clearProblem();
  try {
    return await action();
  } catch (error) {
    showProblem(error);
    return undefined;
  }
}

function askForKey() {
  const dialog = $('#key-dialog');
  if (dialog.open) return new Promise(resolve => dialog.addEventListener('close', resolve, { once: true }));
  $('#key-input').value = '';
  dialog.showModal();
  return new Promise(resolve => dialog.addEventListener('close', () => {
    sessionStorage.setItem(KEY, $('#key-input').value);
    resolve();
  }, { once: true }));
}

function confirmed(text) {
  const dialog = $('#confirm-dialog');
  $('#confirm-text').textContent = text;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise(resolve => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true }));
}

// ---- small helpers ---------------------------------------------------------------------------

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function bytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

const number = n => Number(n).toLocaleString('en-US');
const quoted = name => '"' + name.replaceAll('"', '""') + '"';
const isNumeric = type => /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL)/.test(type);

// ---- the result grid: only the rows in view are in the DOM, so 10,000 rows scroll as 50 -------

function renderGrid(container, columns, rows) {
  container.replaceChildren();
  container.scrollTop = 0;
  const head = document.createElement('div');
  head.className = 'head';
  head.setAttribute('role', 'row');
  for (const column of columns) {
    const th = document.createElement('div');
    th.className = 'cell';
    th.setAttribute('role', 'columnheader');
    th.textContent = column.name;
    th.title = `${column.name} ${column.type}`;
    head.append(th);
  }
  const width = columns.length * 12 + 'rem';
  head.style.width = width;
  const body = document.createElement('div');
  body.style.height = rows.length * ROW_HEIGHT + 'px';
  body.style.width = width;
  body.style.position = 'relative';
  container.setAttribute('role', 'grid');
  container.setAttribute('aria-rowcount', String(rows.length + 1));
  container.append(head, body);
  const numeric = columns.map(c => isNumeric(c.type));
  const draw = () => {
    const first = Math.max(0, Math.floor(container.scrollTop / ROW_HEIGHT) - 5);
    const last = Math.min(rows.length, first + Math.ceil(container.clientHeight / ROW_HEIGHT) + 10);
    const fragment = document.createDocumentFragment();
    for (let r = first; r < last; r++) {
      const line = document.createElement('div');
      line.className = 'row';
      line.setAttribute('role', 'row');
      line.setAttribute('aria-rowindex', String(r + 2));
      line.style.top = r * ROW_HEIGHT + 'px';
      rows[r].forEach((value, c) => {
        const div = document.createElement('div');
        div.className = numeric[c] ? 'cell num' : 'cell';
        div.setAttribute('role', 'gridcell');
        if (value === null) {
          div.textContent = 'NULL';
          div.classList.add('null');
        } else {
          div.textContent = typeof value === 'object' ? JSON.stringify(value) : String(value);
        }
        line.append(div);
      });
      fragment.append(line);
    }
    body.replaceChildren(fragment);
  };
  container.onscroll = () => requestAnimationFrame(draw);
  draw();
}

// ---- tabs ------------------------------------------------------------------------------------

const tabs = [...document.querySelectorAll('[role=tab]')];
const loaders = { datasets: loadDatasets, sql: () => $('#sql-editor').focus(), vectors: loadIndexes, health: loadHealth };

function select(tab) {
  for (const other of tabs) {
    const selected = other === tab;
    other.setAttribute('aria-selected', String(selected));
    other.tabIndex = selected ? 0 : -1;
    $('#' + other.getAttribute('aria-controls')).hidden = !selected;
  }
  clearProblem();
  guarded(() => loaders[tab.getAttribute('aria-controls')]());
}

tabs.forEach((tab, i) => {
  tab.addEventListener('click', () => select(tab));
  tab.addEventListener('keydown', event => {
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    const next = tabs[(i + step + tabs.length) % tabs.length];
    next.focus();
    select(next);
  });
});

// ---- datasets --------------------------------------------------------------------------------

let current = null;

async function loadDatasets() {
  const { datasets } = await apiJson('GET', '/v1/catalog/datasets');
  const body = $('#dataset-list tbody');
  body.replaceChildren();
  for (const dataset of datasets) {
    const row = body.insertRow();
    row.dataset.name = dataset.name;
    row.tabIndex = 0;
    row.classList.toggle('selected', dataset.name === current);
    cell(row, dataset.name);
    cell(row, number(dataset.row_count), 'num');
    cell(row, bytes(dataset.size_bytes), 'num');
    cell(row, dataset.version, 'num');
    cell(row, dataset.file_count, 'num');
    const open = () => guarded(() => showDataset(dataset.name));
    row.addEventListener('click', open);
    row.addEventListener('keydown', event => { if (event.key === 'Enter') open(); });
  }
}

async function showDataset(name) {
  const [manifest, { versions }] = await Promise.all([
    apiJson('GET', `/v1/catalog/datasets/${name}`),
    apiJson('GET', `/v1/catalog/datasets/${name}/versions`),
  ]);
  current = name;
  for (const row of document.querySelectorAll('#dataset-list tbody tr')) row.classList.toggle('selected', row.dataset.name === name);
  $('#dataset-detail').hidden = false;
  $('#detail-name').textContent = name;
  $('#detail-summary').textContent = `${number(manifest.row_count)} rows in ${manifest.files.length} file(s), ${bytes(manifest.size_bytes)}; version ${manifest.version}, updated ${manifest.updated_at}`;
  const schema = $('#detail-schema tbody');
  schema.replaceChildren();
  for (const column of manifest.schema) {
    const row = schema.insertRow();
    cell(row, column.name);
    cell(row, column.type);
    cell(row, column.nullable ? 'yes' : 'no');
  }
  const history = $('#detail-versions tbody');
  history.replaceChildren();
  for (const version of versions) {
    const row = history.insertRow();
    cell(row, version.version, 'num');
    cell(row, version.operation);
    cell(row, version.updated_at);
    cell(row, number(version.row_count), 'num');
    cell(row, version.file_count, 'num');
  }
  const preview = await apiJson('POST', '/v1/sql', { json: { sql: `SELECT * FROM ${quoted(name)} LIMIT 100`, max_rows: 100 } });
  renderGrid($('#detail-preview'), preview.columns, preview.rows);
}

$('#detail-delete').addEventListener('click', () => guarded(async () => {
  if (!current || !await confirmed(`Delete dataset "${current}" and its files? This cannot be undone.`)) return;
  await api('DELETE', `/v1/catalog/datasets/${current}`);
  current = null;
  $('#dataset-detail').hidden = true;
  await loadDatasets();
}));

$('#detail-query').addEventListener('click', () => {
  $('#sql-editor').value = `SELECT * FROM ${quoted(current)} LIMIT 1000`;
  select($('#tab-sql'));
});

// Upload: a multipart POST through XMLHttpRequest, whose upload progress fetch does not report.
function upload(file) {
  const dataset = $('#upload-dataset').value.trim();
  if (!$('#upload-dataset').reportValidity()) return;
  const mode = document.querySelector('input[name=mode]:checked').value;
  const progress = $('#upload-progress');
  const result = $('#upload-result');
  clearProblem();
  result.textContent = `Uploading ${file.name}…`;
  progress.hidden = false;
  progress.value = 0;
  const form = new FormData();
  form.append('file', file, file.name);
  const request = new XMLHttpRequest();
  request.open('POST', `/v1/ingest/${encodeURIComponent(dataset)}?mode=${mode}`);
  const key = sessionStorage.getItem(KEY);
  if (key) request.setRequestHeader('Authorization', 'Bearer ' + key);
  request.upload.onprogress = event => { if (event.lengthComputable) progress.value = 100 * event.loaded / event.total; };
  request.onerror = () => { result.textContent = ''; showProblem(new Error('The upload failed: the server could not be reached.')); };
  request.onload = async () => {
    progress.value = 100;
    if (request.status === 401) {
      await askForKey();
      upload(file);
      return;
    }
    if (request.status !== 201) {
      result.textContent = '';
      showProblem(problemOf(request.status, request.responseText));
      return;
    }
    const answer = JSON.parse(request.responseText);
    result.textContent = `Stored ${number(answer.rows)} rows in ${answer.dataset} (version ${answer.version}).`;
    await guarded(loadDatasets);
    await guarded(() => showDataset(answer.dataset));
  };
  request.send(form);
}

$('#upload-file').addEventListener('change', event => {
  const [file] = event.target.files;
  if (file) upload(file);
  event.target.value = '';
});
const drop = $('#drop');
drop.addEventListener('dragover', event => { event.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', event => {
  event.preventDefault();
  drop.classList.remove('over');
  const [file] = event.dataTransfer.files;
  if (file) upload(file);
});
drop.addEventListener('keydown', event => { if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); $('#upload-file').click(); } });

// ---- SQL -------------------------------------------------------------------------------------

const editor = $('#sql-editor');

function sqlRequest() {
  const max = $('#sql-max').value;
  return { sql: editor.value, max_rows: max === '' ? undefined : Number(max) };
}

async function runSql() {
  const started = performance.now();
  $('#sql-info').textContent = 'Running…';
  try {
    const result = await apiJson('POST', '/v1/sql', { json: sqlRequest() });
    renderGrid($('#sql-grid'), result.columns, result.rows);
    const wall = Math.round(performance.now() - started);
    $('#sql-info').textContent = `${number(result.row_count)} rows · ${result.elapsed_ms} ms in DuckDB, ${wall} ms here`
      + (result.truncated ? ` · truncated at ${number(result.row_count)} rows (raise Max rows)` : '');
    remember(editor.value);
  } catch (error) {
    $('#sql-info').textContent = '';
    throw error;
  }
}

$('#sql-run').addEventListener('click', () => guarded(runSql));
editor.addEventListener('keydown', event => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    guarded(runSql);
  }
});

$('#sql-download').addEventListener('click', () => guarded(async () => {
  const response = await api('POST', '/v1/sql', { json: sqlRequest(), accept: 'text/csv' });
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = 'result.csv';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}));

function remember(sql) {
  const history = JSON.parse(localStorage.getItem(HISTORY) || '[]').filter(s => s !== sql);
  history.unshift(sql);
  localStorage.setItem(HISTORY, JSON.stringify(history.slice(0, 50)));
  drawHistory();
}

function drawHistory() {
  const list = $('#sql-history');
  list.replaceChildren();
  for (const sql of JSON.parse(localStorage.getItem(HISTORY) || '[]')) {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = sql;
    button.addEventListener('click', () => { editor.value = sql; editor.focus(); });
    item.append(button);
    list.append(item);
  }
}

// ---- vectors ---------------------------------------------------------------------------------

async function loadIndexes() {
  const { indexes } = await apiJson('GET', '/v1/vectors/indexes');
  const body = $('#index-list tbody');
  body.replaceChildren();
  const choices = [$('#search-index'), $('#browse-index')];
  const chosen = choices.map(choice => choice.value);
  for (const choice of choices) choice.replaceChildren();
  for (const index of indexes) {
    const row = body.insertRow();
    cell(row, index.name);
    cell(row, index.dim, 'num');
    cell(row, index.metric);
    cell(row, index.m, 'num');
    cell(row, index.ef_construction, 'num');
    cell(row, index.ef_search, 'num');
    cell(row, number(index.count), 'num');
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'danger';
    remove.textContent = 'Delete…';
    remove.setAttribute('aria-label', `Delete index ${index.name}`);
    remove.addEventListener('click', () => guarded(async () => {
      if (!await confirmed(`Delete vector index "${index.name}" and its ${number(index.count)} items?`)) return;
      await api('DELETE', `/v1/vectors/indexes/${index.name}`);
      await loadIndexes();
    }));
    row.insertCell().append(remove);
    choices.forEach((choice, i) => choice.add(new Option(index.name, index.name, false, index.name === chosen[i])));
  }
}

$('#index-create').addEventListener('submit', event => {
  event.preventDefault();
  const form = new FormData(event.target);
  guarded(async () => {
    await api('POST', '/v1/vectors/indexes', { json: { name: form.get('name'), dim: Number(form.get('dim')), metric: form.get('metric') } });
    event.target.reset();
    await loadIndexes();
  });
});

for (const radio of document.querySelectorAll('input[name=by]')) {
  radio.addEventListener('change', () => {
    const byId = document.querySelector('input[name=by]:checked').value === 'id';
    $('#search-id-label').hidden = !byId;
    $('#search-vector-label').hidden = byId;
  });
}

$('#search').addEventListener('submit', event => {
  event.preventDefault();
  const form = new FormData(event.target);
  guarded(async () => {
    const index = form.get('index');
    let vector;
    if (form.get('by') === 'id') {
      vector = (await apiJson('GET', `/v1/vectors/indexes/${index}/items/${encodeURIComponent(form.get('id'))}`)).vector;
    } else {
      try {
        vector = JSON.parse(form.get('vector'));
      } catch {
        throw new Error('The vector must be a JSON array of numbers, like [0.1, 0.2, 0.3].');
      }
    }
    const request = { vector, k: Number(form.get('k')) };
    if (form.get('filter').trim()) {
      try {
        request.filter = JSON.parse(form.get('filter'));
      } catch {
        throw new Error('The filter must be JSON, like {"must":[{"key":"year","range":{"gte":2020}}]}.');
      }
    }
    const { results } = await apiJson('POST', `/v1/vectors/indexes/${index}/search`, { json: request });
    const body = $('#search-results tbody');
    body.replaceChildren();
    results.forEach((hit, i) => {
      const row = body.insertRow();
      cell(row, i + 1, 'num');
      cell(row, hit.id);
      cell(row, hit.distance.toPrecision(6), 'num');
      cell(row, hit.metadata === null ? '' : JSON.stringify(hit.metadata), 'meta');
    });
  });
});

// The items a filter passes, a page at a time: "More" asks for the page after the last id shown.
let browseNext = null;

async function browseItems(more) {
  const form = new FormData($('#browse'));
  const query = new URLSearchParams({ limit: '100' });
  if (form.get('filter').trim()) query.set('filter', form.get('filter'));
  if (more) query.set('after', browseNext);
  const page = await apiJson('GET', `/v1/vectors/indexes/${form.get('index')}/items?${query}`);
  const body = $('#browse-items tbody');
  if (!more) body.replaceChildren();
  for (const item of page.items) {
    const row = body.insertRow();
    cell(row, item.id);
    cell(row, item.metadata === null ? '' : JSON.stringify(item.metadata), 'meta');
  }
  $('#browse-count').textContent = `${number(page.count)} ${page.count === 1 ? 'item passes' : 'items pass'}; ${number(body.rows.length)} shown.`;
  browseNext = page.next;
  $('#browse-more').hidden = page.next === null;
}

$('#browse').addEventListener('submit', event => {
  event.preventDefault();
  guarded(() => browseItems(false));
});
$('#browse-more').addEventListener('click', () => guarded(() => browseItems(true)));

// ---- health ----------------------------------------------------------------------------------

async function fetchHealth() {
  const response = await fetch('/health');
  return response.json();
}

async function loadHealth() {
  const health = await fetchHealth();
  $('#health-body').textContent = JSON.stringify(health, null, 2);
  const text = await (await fetch('/metrics')).text();
  const sums = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match || match[1].endsWith('_bucket') || !/^(lakehouse_|process_|dotnet_)/.test(match[1])) continue;
    sums.set(match[1], (sums.get(match[1]) || 0) + Number(match[2]));
  }
  const body = $('#metrics tbody');
  body.replaceChildren();
  for (const [name, value] of [...sums].sort()) {
    const row = body.insertRow();
    cell(row, name);
    cell(row, Number.isInteger(value) ? number(value) : value.toFixed(3), 'num');
  }
}

async function refreshStatus() {
  try {
    const health = await fetchHealth();
    $('#status').textContent = `${health.status} · ${health.modules.join(', ')}`;
  } catch {
    $('#status').textContent = 'unreachable';
  }
}

// ---- start -----------------------------------------------------------------------------------

drawHistory();
refreshStatus();
setInterval(refreshStatus, 10_000);
select(tabs[0]);
