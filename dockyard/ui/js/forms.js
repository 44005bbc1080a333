// Form fields with visible labels, hints and per-field errors, and validation before submit.
// Each field reports problems in words next to it (aria-describedby) and the first invalid
// field gets the focus, so a form never reaches the API with input we already know is wrong.

import { h, errorBox } from './dom.js';

let seq = 0;

// spec: {name, label, type='text'|'number'|'checkbox'|'select'|'textarea', value, hint,
//        required, options:[[value,label]], min, max, placeholder, validate(value, values)}
export function field(spec) {
  const id = `f-${spec.name}-${++seq}`;
  const hintId = `${id}-hint`;
  const errId = `${id}-error`;
  const describedBy = [spec.hint ? hintId : null, errId].filter(Boolean).join(' ');
  let input;
  const common = { id, name: spec.name, 'aria-describedby': describedBy, required: spec.required || null };
  if (spec.type === 'select') {
    input = h('select', common, (spec.options || []).map(([v, l]) => h('option', { value: v, selected: String(v) === String(spec.value ?? '') }, l)));
  } else if (spec.type === 'textarea') {
    input = h('textarea', { ...common, rows: spec.rows || 3, placeholder: spec.placeholder, spellcheck: 'false', value: spec.value ?? '' });
  } else if (spec.type === 'checkbox') {
    input = h('input', { ...common, type: 'checkbox', checked: Boolean(spec.value) });
  } else {
    input = h('input', {
      ...common,
      type: spec.type || 'text',
      value: spec.value ?? '',
      min: spec.min,
      max: spec.max,
      step: spec.type === 'number' ? '1' : null,
      inputmode: spec.type === 'number' ? 'numeric' : null,
      placeholder: spec.placeholder,
      autocomplete: 'off',
      spellcheck: 'false',
      list: spec.list,
    });
  }
  const error = h('p', { class: 'field-error', id: errId, hidden: true });
  const label = h('label', { for: id }, spec.label, spec.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null);
  const hint = spec.hint ? h('p', { class: 'hint', id: hintId }, spec.hint) : null;
  const wrapper = spec.type === 'checkbox'
    ? h('div', { class: 'field check' }, input, label, hint, error)
    : h('div', { class: 'field' }, label, input, hint, error);
  return { spec, input, error, wrapper };
}

export function readValue(f) {
  const { spec, input } = f;
  if (spec.type === 'checkbox') return input.checked;
  const raw = input.value;
  return spec.type === 'number' ? raw.trim() : raw;
}

export function setError(f, message) {
  f.error.textContent = message || '';
  f.error.hidden = !message;
  if (message) f.input.setAttribute('aria-invalid', 'true');
  else f.input.removeAttribute('aria-invalid');
}

// Validate every field; returns {ok, values}. Built-in checks: required, integer ranges.
export function validate(fields) {
  const values = {};
  for (const f of fields) values[f.spec.name] = readValue(f);
  let first = null;
  for (const f of fields) {
    const v = values[f.spec.name];
    let msg = null;
    if (f.spec.required && f.spec.type !== 'checkbox' && String(v).trim() === '') msg = `${f.spec.label} is required.`;
    else if (f.spec.type === 'number' && String(v) !== '') {
      if (!/^-?\d+$/.test(String(v))) msg = `${f.spec.label} must be a whole number.`;
      else if (f.spec.min !== undefined && Number(v) < f.spec.min) msg = `${f.spec.label} must be at least ${f.spec.min}.`;
      else if (f.spec.max !== undefined && Number(v) > f.spec.max) msg = `${f.spec.label} must be at most ${f.spec.max}.`;
    }
    if (!msg && f.spec.validate) msg = f.spec.validate(v, values) || null;
    setError(f, msg);
    if (msg && !first) first = f;
  }
  if (first) first.input.focus();
  return { ok: !first, values };
}

// Labels as the CLI takes them: each line is one `--labels` value. A line holding several
// key=value pairs is split on "," or ";" (as python-magnumclient does); a line with one pair
// keeps commas in its value. A key given twice gets its values joined with ",".
export function parseLabels(text) {
  const labels = {};
  const errors = [];
  for (const line of String(text || '').split('\n')) {
    const trimmed = line.trim();
    if (!trimmed) continue;
    const parts = (trimmed.split('=').length > 2) ? trimmed.replace(/;/g, ',').split(',') : [trimmed];
    for (const part of parts) {
      const item = part.trim();
      if (!item) continue;
      const eq = item.indexOf('=');
      if (eq <= 0) {
        errors.push(`Labels must be key=value, not "${item}".`);
        continue;
      }
      const key = item.slice(0, eq).trim();
      const value = item.slice(eq + 1).trim();
      if (key.length > 255) errors.push(`Label key "${key.slice(0, 20)}…" is longer than 255 characters.`);
      labels[key] = key in labels ? `${labels[key]},${value}` : value;
    }
  }
  return { labels, error: errors.length ? errors.join(' ') : null };
}

export function formatLabels(labels) {
  return Object.entries(labels || {}).map(([k, v]) => `${k}=${v}`).join('\n');
}

export const labelsValidator = (v) => parseLabels(v).error;

// A form inside a dialog: fields, a slot for the API's error, submit and cancel.
export function dialogForm({ fields, submitLabel, onSubmit, onCancel, extra }) {
  const errorSlot = h('div', { class: 'form-error' });
  const submit = h('button', { type: 'submit', class: 'primary' }, submitLabel);
  const form = h('form', { class: 'form', novalidate: true },
    fields.map((f) => (f instanceof Node ? f : f.wrapper)),
    extra || null,
    errorSlot,
    h('div', { class: 'actions' }, submit, h('button', { type: 'button', class: 'secondary', onclick: onCancel }, 'Cancel')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    errorSlot.replaceChildren();
    submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      await onSubmit(errorSlot);
    } catch (err) {
      errorSlot.replaceChildren(errorBox(err));
      errorSlot.querySelector('[role=alert]')?.setAttribute('tabindex', '-1');
      errorSlot.querySelector('[role=alert]')?.focus();
    } finally {
      submit.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
  return form;
}
