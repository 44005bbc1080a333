// A list page's table with search, a filter, sortable columns, row selection and bulk delete.
//
// The toolbar stays in the page while the table under it is re-rendered by polling, so what the
// user typed, chose, sorted and ticked survives every refresh. Rows that vanish leave the
// selection. Nothing here talks to the API except through the caller's `bulkDelete.run`.

import { confirmDialog, dash, errorBox, h, toast } from '../dom.js';

let seq = 0;

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

function compare(a, b) {
  if (a === b) return 0;
  if (a === null || a === undefined || a === '') return 1;
  if (b === null || b === undefined || b === '') return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return collator.compare(String(a), String(b));
}

// spec:
//   noun: 'clusters' (plural, for labels); columns: [{label, render(row) | key, class,
//   sort(row) -> value (or sortable by key)}]; rowKey(row); rowAttrs(row); empty: text;
//   search(row) -> text to match; filter: {label, value(row)}; initialSort: {index, dir};
//   bulkDelete: {name(row), run(row) -> Promise, disabled(row) -> reason|null, onDone()}.
export function listView(spec) {
  const id = `list-${++seq}`;
  const state = { query: '', filter: '', sort: spec.initialSort || null, selected: new Set(), rows: [] };
  const searchInput = h('input', { type: 'search', id: `${id}-search`, placeholder: `Name, ID, status…`, autocomplete: 'off', spellcheck: 'false' });
  const filterSelect = spec.filter ? h('select', { id: `${id}-filter` }) : null;
  const count = h('span', { class: 'muted small list-count', 'aria-live': 'polite' });
  const bulkButton = spec.bulkDelete ? h('button', { type: 'button', class: 'danger', disabled: true }, 'Delete selected') : null;
  const errorSlot = h('div', {});
  const tableSlot = h('div', { class: 'table-scroll' });
  const toolbar = h('div', { class: 'list-tools' },
    h('div', { class: 'field' }, h('label', { for: `${id}-search` }, `Search ${spec.noun}`), searchInput),
    filterSelect ? h('div', { class: 'field' }, h('label', { for: `${id}-filter` }, spec.filter.label), filterSelect) : null,
    count,
    bulkButton);
  const element = h('div', { class: 'list-view' }, toolbar, errorSlot, tableSlot);

  const key = (row) => spec.rowKey(row);
  const matches = (row) => {
    if (state.filter && spec.filter.value(row) !== state.filter) return false;
    if (!state.query) return true;
    return spec.search(row).toLowerCase().includes(state.query.toLowerCase());
  };

  function visibleRows() {
    const rows = state.rows.filter(matches);
    if (state.sort) {
      const column = spec.columns[state.sort.index];
      const value = column.sort || ((row) => row[column.key]);
      rows.sort((a, b) => compare(value(a), value(b)) * (state.sort.dir === 'asc' ? 1 : -1));
    }
    return rows;
  }

  function renderFilterOptions() {
    if (!filterSelect) return;
    const values = [...new Set(state.rows.map(spec.filter.value).filter(Boolean))].sort(collator.compare);
    if (state.filter && !values.includes(state.filter)) values.push(state.filter);
    const wanted = ['', ...values];
    const have = [...filterSelect.options].map((o) => o.value);
    if (JSON.stringify(wanted) === JSON.stringify(have)) return;
    filterSelect.replaceChildren(...wanted.map((v) => h('option', { value: v, selected: v === state.filter }, v || 'All')));
  }

  function sortButton(column, index) {
    const sortable = Boolean(column.sort || column.key);
    if (!sortable) return column.label;
    const on = state.sort && state.sort.index === index;
    return h('button', {
      type: 'button', class: 'sort', 'data-focus-key': `sort-${index}`,
      onclick: () => {
        state.sort = { index, dir: on && state.sort.dir === 'asc' ? 'desc' : 'asc' };
        render();
      },
    }, column.label, h('span', { 'aria-hidden': 'true', class: 'sort-mark' }, on ? (state.sort.dir === 'asc' ? ' ▲' : ' ▼') : ''));
  }

  function render() {
    const hadFocus = element.contains(document.activeElement) && tableSlot.contains(document.activeElement) ? document.activeElement.dataset.focusKey : null;
    const rows = visibleRows();
    const present = new Set(state.rows.map(key));
    for (const k of [...state.selected]) if (!present.has(k)) state.selected.delete(k);
    const bulk = spec.bulkDelete;
    const headCells = spec.columns.map((c, i) => {
      const on = state.sort && state.sort.index === i;
      return h('th', { scope: 'col', class: c.class ? c.class.replace('mono', '').trim() || null : null,
        'aria-sort': on ? (state.sort.dir === 'asc' ? 'ascending' : 'descending') : null }, sortButton(c, i));
    });
    let selectAll = null;
    if (bulk) {
      const selectable = rows.filter((r) => !(bulk.disabled && bulk.disabled(r)));
      selectAll = h('input', { type: 'checkbox', 'aria-label': `Select every ${spec.noun.replace(/s$/, '')} shown`, 'data-focus-key': 'select-all',
        checked: selectable.length > 0 && selectable.every((r) => state.selected.has(key(r))) });
      selectAll.addEventListener('change', () => {
        for (const r of selectable) {
          if (selectAll.checked) state.selected.add(key(r));
          else state.selected.delete(key(r));
        }
        render();
      });
      headCells.unshift(h('th', { scope: 'col', class: 'select' }, selectAll));
    }
    const body = rows.length
      ? rows.map((row) => {
        const cells = spec.columns.map((c, i) => {
          const value = c.render ? c.render(row) : dash(row[c.key]);
          return i === 0 ? h('th', { scope: 'row', class: c.class }, value) : h('td', { class: c.class }, value);
        });
        if (bulk) {
          const reason = bulk.disabled ? bulk.disabled(row) : null;
          const box = h('input', { type: 'checkbox', 'aria-label': `Select ${bulk.name(row)}`, 'data-focus-key': `select-${key(row)}`,
            checked: state.selected.has(key(row)), disabled: Boolean(reason), title: reason });
          box.addEventListener('change', () => {
            if (box.checked) state.selected.add(key(row));
            else state.selected.delete(key(row));
            render();
          });
          cells.unshift(h('td', { class: 'select' }, box));
        }
        return h('tr', spec.rowAttrs ? spec.rowAttrs(row) : {}, cells);
      })
      : [h('tr', {}, h('td', { colspan: spec.columns.length + (bulk ? 1 : 0), class: 'empty' },
        state.rows.length ? `No ${spec.noun} match.` : spec.empty))];
    tableSlot.replaceChildren(h('table', { class: 'data', 'aria-label': spec.noun[0].toUpperCase() + spec.noun.slice(1) },
      h('thead', {}, h('tr', {}, headCells)), h('tbody', {}, body)));
    count.textContent = rows.length === state.rows.length ? `${rows.length} ${spec.noun}` : `${rows.length} of ${state.rows.length} ${spec.noun}`;
    if (bulkButton) {
      bulkButton.textContent = state.selected.size ? `Delete selected (${state.selected.size})` : 'Delete selected';
      bulkButton.disabled = state.selected.size === 0;
    }
    if (hadFocus) tableSlot.querySelector(`[data-focus-key="${CSS.escape(hadFocus)}"]`)?.focus();
  }

  searchInput.addEventListener('input', () => { state.query = searchInput.value.trim(); render(); });
  if (filterSelect) filterSelect.addEventListener('change', () => { state.filter = filterSelect.value; render(); });
  if (bulkButton) {
    bulkButton.addEventListener('click', async () => {
      const bulk = spec.bulkDelete;
      const chosen = state.rows.filter((r) => state.selected.has(key(r)));
      if (!chosen.length) return;
      const names = chosen.map(bulk.name);
      const ok = await confirmDialog({
        title: `Delete ${chosen.length} ${chosen.length === 1 ? spec.noun.replace(/s$/, '') : spec.noun}`,
        message: `Delete ${names.join(', ')}?`,
        confirmLabel: 'Delete',
        danger: true,
      });
      if (!ok) return;
      const results = await Promise.allSettled(chosen.map((r) => bulk.run(r)));
      const failed = results.map((r, i) => [r, names[i]]).filter(([r]) => r.status === 'rejected');
      for (const r of chosen) state.selected.delete(key(r));
      const done = chosen.length - failed.length;
      if (done) toast(`Deleting ${done} of ${chosen.length} ${spec.noun}.`, 'good');
      errorSlot.replaceChildren(...failed.map(([r, name]) => errorBox(r.reason, { context: `Could not delete ${name}` })));
      render();
      if (bulk.onDone) bulk.onDone();
    });
  }

  return {
    element,
    update(rows) {
      state.rows = rows;
      renderFilterOptions();
      render();
    },
  };
}
