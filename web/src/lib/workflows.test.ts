import { describe, expect, it } from 'vitest';
import {
  addStep, allStepIds, changeStepType, changeTriggerType, defaultSettings, generalProblems, listAt, moveStep, newStep,
  parseOperand, parsePath, problemTarget, problemsOfError, removeStep, runPollInterval, setSetting, stepAt, stepProblems,
  STEP_TYPES, triggerProblems, uniqueId, updateStep, type Definition, type Workflow, manualWorkflowsFor,
} from './workflows';

const def = (): Definition => ({
  trigger: { type: 'RECORD_CREATED', object: 'companies' },
  steps: [
    { id: 'find', type: 'FIND_RECORDS', object: 'people' },
    {
      id: 'check', type: 'IF', condition: { left: '{{steps.find.count}}', op: 'gt', right: 0 },
      then: [{ id: 'mail', type: 'SEND_EMAIL', to: 'a@b.c', subject: 's', body: 'b' }, { id: 'task', type: 'CREATE_TASK', title: 't' }],
      else: [],
    },
    { id: 'loop', type: 'ITERATOR', items: '{{steps.find.records}}', steps: [{ id: 'each', type: 'CREATE_TASK', title: '{{item.email}}' }] },
  ],
});

const ids = (d: Definition, list = 'steps') => (listAt(d, list) ?? []).map((s) => s.id);

describe('parsePath', () => {
  it.each([
    ['steps', [{ key: 'steps' }]],
    ['steps[2].subject', [{ key: 'steps', index: 2 }, { key: 'subject' }]],
    ['steps[1].then[0].to', [{ key: 'steps', index: 1 }, { key: 'then', index: 0 }, { key: 'to' }]],
    ['trigger.fields[0]', [{ key: 'trigger' }, { key: 'fields', index: 0 }]],
  ])('%s', (path, segs) => expect(parsePath(path)).toEqual(segs));
});

describe('problemTarget', () => {
  it.each([
    ['steps[2].subject', { area: 'step', stepPath: 'steps[2]', key: 'subject' }],
    ['steps[1].then[0].to', { area: 'step', stepPath: 'steps[1].then[0]', key: 'to' }],
    ['steps[3].steps[0].title', { area: 'step', stepPath: 'steps[3].steps[0]', key: 'title' }],
    ['steps[1].else[2].steps[1].body', { area: 'step', stepPath: 'steps[1].else[2].steps[1]', key: 'body' }],
    ['steps[0].values.name', { area: 'step', stepPath: 'steps[0]', key: 'values' }],
    ['steps[0].headers.X-Token', { area: 'step', stepPath: 'steps[0]', key: 'headers' }],
    ['steps[0].attach.recordId', { area: 'step', stepPath: 'steps[0]', key: 'attach.recordId' }],
    ['steps[0].retry.maxAttempts', { area: 'step', stepPath: 'steps[0]', key: 'retry.maxAttempts' }],
    ['steps[1].condition', { area: 'step', stepPath: 'steps[1]', key: 'condition' }],
    ['steps[1].condition.left', { area: 'step', stepPath: 'steps[1]', key: 'condition.left' }],
    ['steps[1].then', { area: 'step', stepPath: 'steps[1]', key: 'then' }],
    ['steps[4]', { area: 'step', stepPath: 'steps[4]', key: '' }],
    ['trigger.cron', { area: 'trigger', key: 'cron' }],
    ['trigger.fields[1]', { area: 'trigger', key: 'fields' }],
    ['trigger', { area: 'trigger', key: '' }],
    ['steps', { area: 'definition', key: 'steps' }],
    ['settings.maxStepsPerRun', { area: 'settings', key: 'maxStepsPerRun' }],
    ['definition', { area: 'definition', key: 'definition' }],
  ])('%s', (field, target) => expect(problemTarget(field)).toEqual(target));
});

describe('problems by input', () => {
  const problems = [
    { field: 'steps[1].then[0].to', message: 'to is required' },
    { field: 'steps[1].then[0].to', message: "variable 'steps.nope.x' does not exist here" },
    { field: 'steps[1].condition.left', message: 'bad' },
    { field: 'steps[0].object', message: "no object 'peeple'" },
    { field: 'trigger.cron', message: 'five fields' },
    { field: 'steps', message: 'at least one step' },
    { field: 'settings.maxStepsPerRun', message: 'from 1 to 1000' },
  ];
  it.each([
    ['steps[1].then[0]', { to: ['to is required', "variable 'steps.nope.x' does not exist here"] }],
    ['steps[1]', { 'condition.left': ['bad'] }],
    ['steps[0]', { object: ["no object 'peeple'"] }],
    ['steps[2]', {}],
  ])('step %s', (path, want) => expect(stepProblems(problems, path)).toEqual(want));
  it('trigger and general problems', () => {
    expect(triggerProblems(problems)).toEqual({ cron: ['five fields'] });
    expect(generalProblems(problems).map((p) => p.field)).toEqual(['steps', 'settings.maxStepsPerRun']);
  });
});

describe('problemsOfError', () => {
  it.each([
    [{ field: 'steps[1].to', message: 'steps[1].to: to is required', details: { problems: [{ field: 'steps[1].to', message: 'to is required' }, { field: 'trigger.object', message: 'x' }] } },
      [{ field: 'steps[1].to', message: 'to is required' }, { field: 'trigger.object', message: 'x' }]],
    [{ field: 'steps[1].to', message: 'steps[1].to: to is required' }, [{ field: 'steps[1].to', message: 'to is required' }]],
    [{ field: 'status', message: 'an archived version cannot be activated' }, [{ field: 'status', message: 'an archived version cannot be activated' }]],
    [{ field: null, message: 'not found' }, []],
  ])('%#', (err, want) => expect(problemsOfError(err)).toEqual(want));
});

describe('edits by path', () => {
  it.each([
    ['steps', 'DELAY', ['find', 'check', 'loop', 'delay']],
    ['steps[1].then', 'CREATE_TASK', ['mail', 'task', 'create_task']],
    ['steps[1].else', 'SEND_EMAIL', ['send_email']],
    ['steps[2].steps', 'CREATE_TASK', ['each', 'create_task']],
  ])('adds to %s a %s step', (list, type, want) => {
    const d = def();
    const out = addStep(d, list, type);
    expect(ids(out, list)).toEqual(want);
    expect(ids(d, list)).not.toEqual(want); // the input is not changed
  });

  it('gives a new step an id not used anywhere, nested lists included', () => {
    const d = addStep(def(), 'steps', 'CREATE_TASK');
    const d2 = addStep(d, 'steps[1].then', 'CREATE_TASK');
    expect(allStepIds(d2.steps)).toEqual(['find', 'check', 'mail', 'task', 'create_task_2', 'loop', 'each', 'create_task']);
  });

  it.each([
    ['steps[0]', 'steps', ['check', 'loop']],
    ['steps[1].then[0]', 'steps[1].then', ['task']],
    ['steps[2].steps[0]', 'steps[2].steps', []],
  ])('removes %s', (path, list, want) => expect(ids(removeStep(def(), path), list)).toEqual(want));

  it.each([
    ['steps[0]', 1, 'steps', ['check', 'find', 'loop']],
    ['steps[2]', -1, 'steps', ['find', 'loop', 'check']],
    ['steps[0]', -1, 'steps', ['find', 'check', 'loop']],
    ['steps[2]', 1, 'steps', ['find', 'check', 'loop']],
    ['steps[1].then[1]', -1, 'steps[1].then', ['task', 'mail']],
  ] as const)('moves %s by %d', (path, delta, list, want) => expect(ids(moveStep(def(), path, delta), list)).toEqual(want));

  it('updates a nested step and leaves its siblings as they were', () => {
    const d = def();
    const out = updateStep(d, 'steps[1].then[0]', (s) => setSetting(s, 'subject', 'Hello'));
    expect(stepAt(out, 'steps[1].then[0]')?.subject).toBe('Hello');
    expect(stepAt(d, 'steps[1].then[0]')?.subject).toBe('s');
    expect(stepAt(out, 'steps[1].then[1]')).toBe(stepAt(d, 'steps[1].then[1]'));
    expect(out.steps[0]).toBe(d.steps[0]);
  });
});

describe('setSetting', () => {
  const base = { id: 'x', type: 'SEND_EMAIL', to: 'a' };
  it.each([
    ['subject', 'Hi', { ...base, subject: 'Hi' }],
    ['to', '', { id: 'x', type: 'SEND_EMAIL' }],
    ['to', undefined, { id: 'x', type: 'SEND_EMAIL' }],
    ['attach.object', 'quotes', { ...base, attach: { object: 'quotes' } }],
    ['retry.maxAttempts', 3, { ...base, retry: { maxAttempts: 3 } }],
  ])('%s = %j', (key, value, want) => expect(setSetting(base, key, value)).toEqual(want));
  it('drops an object left empty', () => {
    expect(setSetting({ ...base, attach: { object: 'quotes' } }, 'attach.object', '')).toEqual(base);
  });
});

describe('defaults', () => {
  it.each(Object.keys(STEP_TYPES))('%s has defaults with its required settings', (type) => {
    const d = defaultSettings(type);
    for (const spec of STEP_TYPES[type].settings.filter((x) => x.required && !x.key.includes('.'))) expect(d).toHaveProperty(spec.key);
    if (type === 'IF') expect(d).toMatchObject({ then: [], else: [] });
    if (type === 'ITERATOR') expect(d).toMatchObject({ steps: [] });
  });
  it('a new step does not share its defaults with another', () => {
    const a = newStep('CREATE_RECORD', []);
    const b = newStep('CREATE_RECORD', [a.id]);
    expect(b.id).toBe('create_record_2');
    expect(a.values).not.toBe(b.values);
  });
  it('uniqueId', () => {
    expect(uniqueId('a', [])).toBe('a');
    expect(uniqueId('a', ['a', 'a_2'])).toBe('a_3');
  });
  it('changing a step type keeps id, name, policy and the shared settings', () => {
    const s = { id: 'x', type: 'CREATE_RECORD', name: 'N', object: 'people', values: { a: 1 }, retry: { maxAttempts: 2 } };
    expect(changeStepType(s, 'UPDATE_RECORD')).toEqual({
      id: 'x', type: 'UPDATE_RECORD', name: 'N', retry: { maxAttempts: 2 }, object: 'people', recordId: '{{trigger.record.id}}', values: { a: 1 },
    });
    expect(changeStepType(s, 'DELAY')).toEqual({ id: 'x', type: 'DELAY', name: 'N', retry: { maxAttempts: 2 }, seconds: 60 });
  });
  it.each([
    [{ type: 'MANUAL' }, 'RECORD_CREATED', { type: 'RECORD_CREATED', object: 'companies' }],
    [{ type: 'RECORD_UPDATED', object: 'people', fields: ['email'], filter: 'x' }, 'RECORD_CREATED', { type: 'RECORD_CREATED', object: 'people', filter: 'x' }],
    [{ type: 'RECORD_CREATED', object: 'people' }, 'SCHEDULE', { type: 'SCHEDULE', cron: '0 9 * * 1-5', timezone: 'workspace' }],
    [{ type: 'RECORD_CREATED', object: 'people' }, 'MANUAL', { type: 'MANUAL', object: 'people' }],
    [{ type: 'MANUAL' }, 'WEBHOOK', { type: 'WEBHOOK', auth: 'signature' }],
    [{ type: 'MANUAL' }, 'ACTION', { type: 'ACTION', object: 'invoices', action: 'finalize' }],
    [{ type: 'RECORD_UPDATED', object: 'orders', fields: ['status'] }, 'ACTION', { type: 'ACTION', object: 'orders', action: 'start' }],
    [{ type: 'ACTION', object: 'quotes', action: 'accept' }, 'ACTION', { type: 'ACTION', object: 'quotes', action: 'accept' }],
    [{ type: 'RECORD_CREATED', object: 'people' }, 'ACTION', { type: 'ACTION', object: 'invoices', action: 'finalize' }],
  ])('trigger %j to %s', (t, type, want) => expect(changeTriggerType(t, type)).toEqual(want));
});

describe('operands and polling', () => {
  it.each([
    ['0', 0], ['12.5', 12.5], ['true', true], ['null', null], ['Open', 'Open'], ['{{steps.a.b}}', '{{steps.a.b}}'], [' 1', 1],
  ])('%j', (text, v) => expect(parseOperand(text)).toEqual(v));
  it.each([
    ['RUNNING', 2000], ['WAITING', 2000], ['COMPLETED', false], ['FAILED', false], [undefined, false],
  ])('%s', (status, want) => expect(runPollInterval(status)).toBe(want));
});

describe('manualWorkflowsFor', () => {
  const w = (over: Partial<Workflow>): Workflow => ({
    id: 'wfl_1', name: 'x', description: null, builtinKey: null, status: 'ACTIVE', activeVersionId: 'wfv_1', draftVersionId: null,
    triggerType: 'MANUAL', triggerObject: 'companies', maxRunsPerMinute: 600, throttledCount: 0, lastThrottledAt: null, lastRun: null, ...over,
  });
  it('keeps the active manual workflows of the object only', () => {
    const list = [
      w({ id: 'a' }), w({ id: 'b', status: 'DRAFT' }), w({ id: 'c', triggerType: 'RECORD_CREATED' }),
      w({ id: 'd', triggerObject: 'people' }), w({ id: 'e', triggerObject: null }),
    ];
    expect(manualWorkflowsFor(list, 'companies').map((x) => x.id)).toEqual(['a']);
    expect(manualWorkflowsFor(undefined, 'companies')).toEqual([]);
  });
});
