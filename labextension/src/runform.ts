// The quick-run form: one field per flow parameter (JSON, or plain text), then create_flow_run.
import { ApiError } from './api';
import { h } from './dom';
import { createFlowRun, IFlow, IParameter } from './queries';

/** A parameter's field value: its default as JSON, or "" when it has none. */
function initialValue(p: IParameter): string {
  return p.default === undefined || p.default === null ? '' : JSON.stringify(p.default);
}

/** The value a field means: JSON when it parses, else the text itself. */
export function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** The form for `flow`; calls `onCreated(runId)` after the run was created. */
export function runForm(
  flow: IFlow,
  onCreated: (runId: string, runName: string) => void
): HTMLFormElement {
  const form = h('form', 'pj-lab-runform');
  form.dataset.flowId = flow.id;
  const fields: [IParameter, HTMLInputElement][] = [];
  for (const p of flow.parameters || []) {
    const label = h('label', 'pj-lab-param', form);
    h('span', 'pj-lab-param-name', label, p.required ? `${p.name} *` : p.name);
    const input = h('input', 'pj-lab-param-value', label);
    input.name = p.name;
    input.value = initialValue(p);
    input.placeholder = p.required ? 'required (JSON or text)' : 'default (JSON or text)';
    fields.push([p, input]);
  }
  if (!fields.length) {
    h('div', 'pj-lab-note', form, 'This flow has no parameters.');
  }
  const button = h('button', 'pj-lab-run-button jp-mod-styled jp-mod-accept', form, 'Run');
  button.type = 'submit';
  const message = h('div', 'pj-lab-form-message', form);
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    const parameters: Record<string, unknown> = {};
    const missing: string[] = [];
    for (const [p, input] of fields) {
      const raw = input.value.trim();
      if (raw === '') {
        if (p.required) {
          missing.push(p.name);
        }
        continue;
      }
      parameters[p.name] = parseValue(raw);
    }
    if (missing.length) {
      message.textContent = `Fill in the required parameter(s): ${missing.join(', ')}.`;
      message.dataset.kind = 'error';
      return;
    }
    button.disabled = true;
    message.textContent = 'Creating a run…';
    message.dataset.kind = 'info';
    try {
      const id = await createFlowRun(flow.id, parameters);
      message.textContent = `Created run ${id.slice(0, 8)}; an agent will pick it up.`;
      onCreated(id, flow.name);
    } catch (err) {
      message.textContent = err instanceof ApiError ? err.message : String(err);
      message.dataset.kind = 'error';
    } finally {
      button.disabled = false;
    }
  });
  return form;
}
