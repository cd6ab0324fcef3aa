// The pure side of the workflow editor (docs/workflows.md): the trigger and step types with
// the settings each one has, default steps, edits of a definition by step path
// ("steps[1].then[0]"), and the mapping of the server's problem paths ("steps[2].subject",
// "trigger.cron") to the inputs that show them. No React here, so that it can be unit-tested.

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface Step {
  id: string;
  type: string;
  name?: string;
  [k: string]: unknown;
}
export interface Trigger {
  type: string;
  [k: string]: unknown;
}
export interface Definition {
  trigger: Trigger;
  steps: Step[];
  settings?: Record<string, unknown>;
  [k: string]: unknown;
}
export interface Problem {
  field: string;
  message: string;
}

export interface WorkflowRunSummary {
  id: string;
  status: string;
  createdAt: string;
  endedAt?: string | null;
  error?: string | null;
}
export interface Workflow {
  id: string;
  name: string;
  description: string | null;
  builtinKey: string | null;
  status: 'ACTIVE' | 'DRAFT' | 'DEACTIVATED' | string;
  activeVersionId: string | null;
  draftVersionId: string | null;
  triggerType: string | null;
  /** The object the trigger names (record triggers, and MANUAL workflows run on records). */
  triggerObject?: string | null;
  maxRunsPerMinute: number;
  throttledCount: number;
  lastThrottledAt: string | null;
  hasWebhookSecret?: boolean;
  lastRun: WorkflowRunSummary | null;
  createdAt?: string;
  updatedAt?: string;
}
export interface WorkflowVersion {
  id: string;
  workflowId: string;
  number: number;
  status: string;
  triggerType: string;
  createdAt: string;
  updatedAt?: string;
  definition?: Definition;
  problems?: Problem[];
}
export interface WorkflowDetail extends Workflow {
  versions: WorkflowVersion[];
  draft: WorkflowVersion | null;
  current?: WorkflowVersion | null;
}
export interface WorkflowRun {
  id: string;
  workflowId: string;
  versionId: string;
  status: 'RUNNING' | 'WAITING' | 'COMPLETED' | 'FAILED' | string;
  triggerType: string;
  depth: number;
  stepsExecuted: number;
  error: string | null;
  errorStep: string | null;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  nextAttemptAt?: string | null;
}
export interface RunStep {
  key: string;
  stepId: string;
  type: string;
  status: string;
  attempts: number;
  input: unknown;
  output: unknown;
  error: string | null;
  startedAt: string | null;
  endedAt: string | null;
  retryAt: string | null;
}
export interface WorkflowRunDetail extends WorkflowRun {
  trigger: unknown;
  steps: RunStep[];
}

// --- catalog ----------------------------------------------------------------------------------

export const TRIGGER_TYPES = ['RECORD_CREATED', 'RECORD_UPDATED', 'RECORD_DELETED', 'ACTION', 'STRIPE_EVENT', 'SCHEDULE', 'MANUAL', 'WEBHOOK'] as const;

/** The lifecycle actions an ACTION trigger may name, by object. */
export const LIFECYCLE_ACTIONS: Record<string, readonly string[]> = {
  quotes: ['finalize', 'accept', 'cancel'],
  orders: ['start', 'fulfill', 'cancel', 'invoice'],
  invoices: ['finalize', 'void', 'mark_uncollectible'],
};

/** The settings each trigger type has (besides `type`). */
export const TRIGGER_SETTINGS: Record<string, string[]> = {
  RECORD_CREATED: ['object', 'filter'],
  RECORD_UPDATED: ['object', 'fields', 'filter'],
  RECORD_DELETED: ['object', 'filter'],
  ACTION: ['object', 'action'],
  STRIPE_EVENT: ['eventTypes'],
  SCHEDULE: ['cron', 'timezone'],
  MANUAL: ['object'],
  WEBHOOK: ['auth'],
};

export const TRIGGER_VARIABLES: Record<string, string[]> = {
  RECORD_CREATED: ['trigger.record'],
  RECORD_UPDATED: ['trigger.record', 'trigger.before', 'trigger.changedFields'],
  RECORD_DELETED: ['trigger.record'],
  ACTION: ['trigger.record', 'trigger.action', 'trigger.body', 'trigger.startedBy'],
  STRIPE_EVENT: ['trigger.event', 'trigger.object'],
  SCHEDULE: ['trigger.scheduledAt', 'trigger.localTime'],
  MANUAL: ['trigger.record', 'trigger.payload'],
  WEBHOOK: ['trigger.body', 'trigger.headers'],
};

export type SettingKind = 'text' | 'textarea' | 'number' | 'bool' | 'json' | 'object' | 'select';
export interface SettingSpec {
  key: string;
  label: string;
  kind: SettingKind;
  options?: readonly string[];
  required?: boolean;
  placeholder?: string;
  hint?: string;
}

const s = (key: string, label: string, kind: SettingKind, extra: Partial<SettingSpec> = {}): SettingSpec => ({ key, label, kind, ...extra });

/** The settings form of each step type. IF, FILTER and ITERATOR have their own parts too
 * (the condition, the nested step lists); SEND_EMAIL's attachment is `attach.object` and
 * `attach.recordId`. */
export const STEP_TYPES: Record<string, { label: string; settings: SettingSpec[]; output: string }> = {
  CREATE_RECORD: {
    label: 'Create record',
    settings: [s('object', 'Object', 'object', { required: true }), s('values', 'Values (JSON)', 'json', { required: true, placeholder: '{"name": "{{trigger.record.name}}"}' })],
    output: 'the record',
  },
  UPDATE_RECORD: {
    label: 'Update record',
    settings: [
      s('object', 'Object', 'object', { required: true }), s('recordId', 'Record id', 'text', { required: true }),
      s('values', 'Values (JSON)', 'json', { required: true }),
    ],
    output: 'the record',
  },
  DELETE_RECORD: {
    label: 'Delete record',
    settings: [s('object', 'Object', 'object', { required: true }), s('recordId', 'Record id', 'text', { required: true })],
    output: 'the record',
  },
  FIND_RECORDS: {
    label: 'Find records',
    settings: [
      s('object', 'Object', 'object', { required: true }), s('filter', 'Filter', 'text', { placeholder: 'status[eq]:Open' }),
      s('orderBy', 'Order by', 'text', { placeholder: 'createdAt[DescNullsLast]' }), s('limit', 'Limit (≤ 200)', 'number'),
    ],
    output: 'records, count, first',
  },
  UPSERT_RECORD: {
    label: 'Create or update record',
    settings: [
      s('object', 'Object', 'object', { required: true }), s('match', 'Match (JSON)', 'json', { required: true, placeholder: '{"email": "{{trigger.body.email}}"}' }),
      s('values', 'Values (JSON)', 'json'),
    ],
    output: 'the record, created',
  },
  CREATE_TASK: {
    label: 'Create task',
    settings: [
      s('title', 'Title', 'text', { required: true }), s('body', 'Body', 'textarea'), s('assigneeId', 'Assignee id', 'text'),
      s('dueInDays', 'Due in days', 'number'), s('targetObject', 'About (object)', 'object'), s('targetId', 'About (id)', 'text'),
    ],
    output: 'the task',
  },
  SEND_EMAIL: {
    label: 'Send email',
    settings: [
      s('to', 'To', 'text', { required: true }),
      s('template', 'Mail template (Settings → Mail), instead of subject and body', 'select', {
        options: ['', 'payment_failed', 'welcome', 'payment_receipt', 'quote_sent', 'invoice_sent', 'invoice_reminder_1', 'invoice_reminder_2', 'invoice_reminder_3'],
      }),
      s('data', 'Template model (JSON)', 'json', { placeholder: '{"contact": {"firstName": "{{steps.contact.first.firstName}}"}}' }),
      s('subject', 'Subject', 'text'), s('body', 'Body', 'textarea'), s('draft', 'Queue as a draft for review (do not send)', 'bool'),
      s('attach.object', 'Attach (object)', 'select', { options: ['', 'quotes', 'invoices'] }), s('attach.recordId', 'Attach (record id)', 'text'),
    ],
    output: 'messageId, to, status',
  },
  HTTP_REQUEST: {
    label: 'HTTP request',
    settings: [
      s('method', 'Method', 'select', { options: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] }), s('url', 'URL', 'text', { required: true }),
      s('headers', 'Headers (JSON)', 'json'), s('body', 'Body (JSON)', 'json'),
    ],
    output: 'status, body, headers',
  },
  IF: { label: 'If / else', settings: [], output: 'result' },
  FILTER: { label: 'Filter (stop when false)', settings: [], output: 'passed' },
  ITERATOR: {
    label: 'For each item',
    settings: [s('items', 'Items', 'text', { required: true, placeholder: '{{steps.find.records}}', hint: 'Inside, {{item}} is the current item and {{index}} its position.' })],
    output: 'count',
  },
  DELAY: {
    label: 'Delay',
    settings: [s('seconds', 'Seconds', 'number'), s('until', 'Until (date or timestamp)', 'text')],
    output: 'until',
  },
  STRIPE_FINALIZE: {
    label: 'Finalize quote / invoice',
    settings: [s('object', 'Object', 'select', { options: ['quotes', 'invoices'], required: true }), s('recordId', 'Record id', 'text', { required: true })],
    output: 'the record',
  },
  STRIPE_SYNC: {
    label: 'Apply the Stripe event',
    settings: [],
    output: 'ignored, outcome, object, recordId, record',
  },
  RECORD_ACTION: {
    label: 'Order action',
    settings: [
      s('object', 'Object', 'select', { options: ['orders'], required: true }), s('recordId', 'Record id', 'text', { required: true }),
      s('action', 'Action', 'select', { options: ['start', 'fulfill', 'cancel', 'invoice'], required: true, hint: 'invoice answers the order\'s draft invoice.' }),
    ],
    output: 'the record (for invoice: the invoice)',
  },
  RUN_WORKFLOW: {
    label: 'Run workflow',
    settings: [s('workflowId', 'Workflow id', 'text', { required: true }), s('payload', 'Payload (JSON)', 'json')],
    output: 'runId',
  },
  EXPIRE_QUOTES: { label: 'Expire quotes', settings: [], output: 'quotes, count' },
  MATCH_PROJECT: { label: 'Match expense to project', settings: [s('expenseId', 'Expense id', 'text', { required: true })], output: 'projectId, rule, candidates' },
  BUDGET_REPORT: { label: 'Budget report', settings: [], output: 'rows, text, count' },
  FIND_MEMBERS: { label: 'Find members', settings: [s('role', 'Role', 'select', { options: ['', 'ADMIN', 'MEMBER'] })], output: 'members, count' },
};

export const CONDITION_OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'contains', 'in', 'isEmpty', 'isNotEmpty'] as const;

/** The keys of a step that hold nested step lists, by type. */
export function nestedLists(type: string): ('then' | 'else' | 'steps')[] {
  if (type === 'IF') return ['then', 'else'];
  if (type === 'ITERATOR') return ['steps'];
  return [];
}

export function hasCondition(type: string): boolean {
  return type === 'IF' || type === 'FILTER';
}

/** The settings a new step of `type` starts with (besides id and type). */
export function defaultSettings(type: string): Record<string, unknown> {
  switch (type) {
    case 'CREATE_RECORD': return { object: 'companies', values: {} };
    case 'UPDATE_RECORD': return { object: 'companies', recordId: '{{trigger.record.id}}', values: {} };
    case 'DELETE_RECORD': return { object: 'companies', recordId: '{{trigger.record.id}}' };
    case 'FIND_RECORDS': return { object: 'people', filter: '', limit: 10 };
    case 'UPSERT_RECORD': return { object: 'people', match: {}, values: {} };
    case 'CREATE_TASK': return { title: '' };
    case 'SEND_EMAIL': return { to: '', subject: '', body: '' };
    case 'HTTP_REQUEST': return { method: 'POST', url: '' };
    case 'IF': return { condition: { left: '', op: 'eq', right: '' }, then: [], else: [] };
    case 'FILTER': return { condition: { left: '', op: 'eq', right: '' } };
    case 'ITERATOR': return { items: '', steps: [] };
    case 'DELAY': return { seconds: 60 };
    case 'STRIPE_FINALIZE': return { object: 'invoices', recordId: '' };
    case 'RECORD_ACTION': return { object: 'orders', recordId: '{{trigger.record.id}}', action: 'invoice' };
    case 'RUN_WORKFLOW': return { workflowId: '', payload: {} };
    case 'MATCH_PROJECT': return { expenseId: '{{trigger.record.id}}' };
    case 'FIND_MEMBERS': return {};
    default: return {};
  }
}

/** The base of a new step's id from its type: SEND_EMAIL → send_email. */
export function idBase(type: string): string {
  return type.toLowerCase().replace(/[^a-z0-9_]/g, '_') || 'step';
}

/** Every step id in the definition, nested lists included. */
export function allStepIds(steps: Step[] | undefined): string[] {
  const out: string[] = [];
  const walk = (list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const st of list as Step[]) {
      if (!st || typeof st !== 'object') continue;
      if (typeof st.id === 'string') out.push(st.id);
      for (const k of ['then', 'else', 'steps']) walk((st as Record<string, unknown>)[k]);
    }
  };
  walk(steps);
  return out;
}

export function uniqueId(base: string, taken: string[]): string {
  const set = new Set(taken);
  if (!set.has(base)) return base;
  for (let n = 2; ; n++) if (!set.has(`${base}_${n}`)) return `${base}_${n}`;
}

export function newStep(type: string, taken: string[]): Step {
  return { id: uniqueId(idBase(type), taken), type, ...structuredCloneJson(defaultSettings(type)) };
}

/** Changes a step's type: keeps id, name and the policy settings, takes the new type's defaults. */
export function changeStepType(step: Step, type: string): Step {
  const keep: Record<string, unknown> = {};
  for (const k of ['name', 'retry', 'continueOnFailure', 'timeoutSeconds']) if (step[k] !== undefined) keep[k] = step[k];
  const defaults = defaultSettings(type);
  // Settings the two types share (object, recordId, values...) keep what was typed.
  for (const k of Object.keys(defaults)) if (step[k] !== undefined && !nestedLists(type).includes(k as 'then')) defaults[k] = step[k];
  for (const k of nestedLists(type)) if (Array.isArray(step[k])) defaults[k] = step[k];
  return { id: step.id, type, ...keep, ...structuredCloneJson(defaults) };
}

function structuredCloneJson<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

// --- paths ------------------------------------------------------------------------------------

export interface Seg {
  key: string;
  index?: number;
}

/** "steps[1].then[0].to" → [{key: steps, index: 1}, {key: then, index: 0}, {key: to}]. */
export function parsePath(path: string): Seg[] {
  const out: Seg[] = [];
  const re = /([^.[\]]+)((?:\[\d+\])*)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path))) {
    const idx = [...m[2].matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1]));
    if (idx.length === 0) out.push({ key: m[1] });
    else {
      out.push({ key: m[1], index: idx[0] });
      // "fields[0][1]" (not used by Settle): further indexes become their own segments.
      for (const i of idx.slice(1)) out.push({ key: '', index: i });
    }
  }
  return out;
}

/** A step path: "steps[i]" followed by any number of ".then[i]", ".else[i]", ".steps[i]". */
export function isStepPath(path: string): boolean {
  return /^steps\[\d+\](\.(then|else|steps)\[\d+\])*$/.test(path);
}

/** The list a step path is in, and its index: "steps[1].then[0]" → ["steps[1].then", 0]. */
export function splitStepPath(path: string): [string, number] {
  const m = /^(.*)\[(\d+)\]$/.exec(path);
  if (!m) throw new Error(`not a step path: ${path}`);
  return [m[1], Number(m[2])];
}

export function stepAt(def: Definition, path: string): Step | undefined {
  const [list, i] = splitStepPath(path);
  return listAt(def, list)?.[i];
}

/** The step list at a list path ("steps", "steps[1].then"), or undefined. */
export function listAt(def: Definition, listPath: string): Step[] | undefined {
  let cur: unknown = def;
  for (const seg of parsePath(listPath)) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg.key];
    if (seg.index !== undefined) cur = Array.isArray(cur) ? cur[seg.index] : undefined;
  }
  return Array.isArray(cur) ? (cur as Step[]) : undefined;
}

/** A copy of the definition with the list at `listPath` replaced by `fn(list)`; a missing list is []. */
export function withList(def: Definition, listPath: string, fn: (list: Step[]) => Step[]): Definition {
  const segs = parsePath(listPath);
  const rec = (node: unknown, i: number): unknown => {
    if (i === segs.length) return fn(Array.isArray(node) ? (node as Step[]) : []);
    const seg = segs[i];
    const obj = (node && typeof node === 'object' ? node : {}) as Record<string, unknown>;
    if (seg.index === undefined) return { ...obj, [seg.key]: rec(obj[seg.key], i + 1) };
    const arr = Array.isArray(obj[seg.key]) ? [...(obj[seg.key] as unknown[])] : [];
    if (seg.index >= arr.length) throw new Error(`no ${seg.key}[${seg.index}] in ${listPath}`);
    arr[seg.index] = rec(arr[seg.index], i + 1);
    return { ...obj, [seg.key]: arr };
  };
  return rec(def, 0) as Definition;
}

export function addStep(def: Definition, listPath: string, type: string, at?: number): Definition {
  const step = newStep(type, allStepIds(def.steps));
  return withList(def, listPath, (l) => {
    const out = [...l];
    out.splice(at ?? out.length, 0, step);
    return out;
  });
}

export function removeStep(def: Definition, stepPath: string): Definition {
  const [list, i] = splitStepPath(stepPath);
  return withList(def, list, (l) => l.filter((_, j) => j !== i));
}

/** Moves a step up (-1) or down (+1) in its list; at either end nothing changes. */
export function moveStep(def: Definition, stepPath: string, delta: -1 | 1): Definition {
  const [list, i] = splitStepPath(stepPath);
  const l = listAt(def, list) ?? [];
  const j = i + delta;
  if (j < 0 || j >= l.length) return def;
  return withList(def, list, (arr) => {
    const out = [...arr];
    [out[i], out[j]] = [out[j], out[i]];
    return out;
  });
}

export function updateStep(def: Definition, stepPath: string, fn: (s: Step) => Step): Definition {
  const [list, i] = splitStepPath(stepPath);
  return withList(def, list, (l) => l.map((st, j) => (j === i ? fn(st) : st)));
}

/** Sets a setting of a step; `key` may be "attach.object" or "retry.maxAttempts". An
 * undefined (or empty-string) value removes it, and an object left empty goes too. */
export function setSetting(step: Step, key: string, value: unknown): Step {
  const empty = value === undefined || value === '';
  const [head, sub] = key.split('.', 2) as [string, string | undefined];
  const out: Step = { ...step };
  if (sub === undefined) {
    if (empty) delete out[head];
    else out[head] = value;
    return out;
  }
  const inner = { ...((step[head] && typeof step[head] === 'object' ? step[head] : {}) as Record<string, unknown>) };
  if (empty) delete inner[sub];
  else inner[sub] = value;
  if (Object.keys(inner).length === 0) delete out[head];
  else out[head] = inner;
  return out;
}

export function getSetting(step: Step, key: string): unknown {
  const [head, sub] = key.split('.', 2);
  if (sub === undefined) return step[head];
  const o = step[head];
  return o && typeof o === 'object' ? (o as Record<string, unknown>)[sub] : undefined;
}

/** The trigger after a change of type: keeps only the settings the new type has. */
export function changeTriggerType(trigger: Trigger, type: string): Trigger {
  const out: Trigger = { type };
  for (const k of TRIGGER_SETTINGS[type] ?? []) if (trigger[k] !== undefined) out[k] = trigger[k];
  if (['RECORD_CREATED', 'RECORD_UPDATED', 'RECORD_DELETED'].includes(type) && !out.object) out.object = 'companies';
  if (type === 'SCHEDULE') {
    out.cron ??= '0 9 * * 1-5';
    out.timezone ??= 'workspace';
  }
  if (type === 'STRIPE_EVENT') out.eventTypes ??= ['invoice.payment_failed'];
  if (type === 'ACTION') {
    if (!LIFECYCLE_ACTIONS[String(out.object)]) out.object = 'invoices';
    const actions = LIFECYCLE_ACTIONS[String(out.object)];
    if (!actions.includes(String(out.action))) out.action = actions[0];
  }
  if (type === 'WEBHOOK') out.auth ??= 'signature';
  return out;
}

/** "a, b ,c" → ["a", "b", "c"]; an empty text is []. */
export function parseList(text: string): string[] {
  return text.split(',').map((x) => x.trim()).filter(Boolean);
}

/** A condition operand typed in a text box: numbers, true/false/null keep their JSON type. */
export function parseOperand(text: string): unknown {
  const t = text.trim();
  if (/^-?\d+(\.\d+)?$/.test(t) || t === 'true' || t === 'false' || t === 'null') return JSON.parse(t);
  return text;
}
export function operandText(v: unknown): string {
  if (v === undefined || v === null) return v === null ? 'null' : '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

// --- problems ---------------------------------------------------------------------------------

export interface ProblemTarget {
  /** 'trigger', 'step', 'settings' or 'definition' (the whole definition, or its step list). */
  area: 'trigger' | 'step' | 'settings' | 'definition';
  /** The step the problem is in, for 'step': "steps[1].then[0]". */
  stepPath?: string;
  /** The input that shows it: "to", "attach.object", "retry.maxAttempts", "condition.left",
   * "then" (the nested list itself), or "" for the step (or trigger) as a whole. */
  key: string;
}

// Settings whose parts have inputs of their own.
const TWO_LEVEL = new Set(['attach', 'retry', 'condition']);

/** Where a problem field of the server is shown in the editor. */
export function problemTarget(field: string): ProblemTarget {
  const segs = parsePath(field);
  if (segs.length === 0) return { area: 'definition', key: '' };
  if (segs[0].key === 'trigger') return { area: 'trigger', key: segs[1]?.key ?? '' };
  if (segs[0].key === 'settings') return { area: 'settings', key: segs[1]?.key ?? '' };
  if (segs[0].key !== 'steps' || segs[0].index === undefined) return { area: 'definition', key: segs[0].key };
  // The deepest step: follow then/else/steps segments that carry an index.
  let n = 1;
  while (n < segs.length && ['then', 'else', 'steps'].includes(segs[n].key) && segs[n].index !== undefined) n++;
  const stepPath = segs.slice(0, n).map((x) => `${x.key}[${x.index}]`).join('.');
  const rest = segs.slice(n);
  if (rest.length === 0) return { area: 'step', stepPath, key: '' };
  const head = rest[0].key;
  if (TWO_LEVEL.has(head) && rest.length > 1 && rest[1].key) return { area: 'step', stepPath, key: `${head}.${rest[1].key}` };
  return { area: 'step', stepPath, key: head };
}

/** The problems of one step, by input key. */
export function stepProblems(problems: Problem[], stepPath: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const p of problems) {
    const t = problemTarget(p.field);
    if (t.area !== 'step' || t.stepPath !== stepPath) continue;
    (out[t.key] ??= []).push(p.message);
  }
  return out;
}

/** The trigger's problems, by setting ("" for the trigger as a whole). */
export function triggerProblems(problems: Problem[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const p of problems) {
    const t = problemTarget(p.field);
    if (t.area === 'trigger') (out[t.key] ??= []).push(p.message);
  }
  return out;
}

/** Problems that no input shows (the definition as a whole, the step list, settings). */
export function generalProblems(problems: Problem[]): Problem[] {
  return problems.filter((p) => {
    const a = problemTarget(p.field).area;
    return a === 'definition' || a === 'settings';
  });
}

/** The problems of an activation refusal: the details' list, else the error's own field. */
export function problemsOfError(e: { field?: string | null; message: string; details?: unknown }): Problem[] {
  const d = e.details as { problems?: unknown } | undefined;
  if (d && Array.isArray(d.problems)) {
    return d.problems.filter((p): p is Problem => !!p && typeof p === 'object' && typeof (p as Problem).field === 'string')
      .map((p) => ({ field: p.field, message: String(p.message ?? '') }));
  }
  if (e.field) {
    // The message may repeat the field as a prefix ("steps[1].to: ...").
    const prefix = `${e.field}: `;
    return [{ field: e.field, message: e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message }];
  }
  return [];
}

/** A definition as the editor holds it: trigger and steps always present. */
export function normalizeDefinition(d: unknown): Definition {
  const o = (d && typeof d === 'object' && !Array.isArray(d) ? d : {}) as Record<string, unknown>;
  const trigger = (o.trigger && typeof o.trigger === 'object' ? o.trigger : { type: 'MANUAL' }) as Trigger;
  const steps = Array.isArray(o.steps) ? (o.steps as Step[]) : [];
  return { ...o, trigger, steps };
}

export const EMPTY_DEFINITION: Definition = { trigger: { type: 'MANUAL' }, steps: [] };

/** Poll while a run can still change. */
/** The workflows a user can run on one record of `object`: ACTIVE, MANUAL, naming it. */
export function manualWorkflowsFor(workflows: Workflow[] | undefined, object: string): Workflow[] {
  return (workflows ?? []).filter((w) => w.status === 'ACTIVE' && w.triggerType === 'MANUAL' && w.triggerObject === object);
}

export function runPollInterval(status: string | undefined): number | false {
  return status === 'RUNNING' || status === 'WAITING' ? 2000 : false;
}
