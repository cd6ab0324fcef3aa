// Workflows (docs/workflows.md): the list, a workflow's page with its trigger-and-steps
// editor, versions and runs, and a run's page with each step's input, output and error.
// Everyone reads; changes are for ADMINs (the server says so too, and its 403 is shown).
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { useList, useQuery } from '../api/hooks';
import { ApiError } from '../api/client';
import { mutate, store } from '../api/store';
import { Card, CopyButton, EmptyState, ErrorBox, Modal, Spinner, StatusBadge, useToast } from '../components/ui';
import { useFormat, useSession } from '../session';
import { OBJECTS, OBJECT_BY_NAME } from '../lib/objects';
import {
  CONDITION_OPS, EMPTY_DEFINITION, LIFECYCLE_ACTIONS, STEP_TYPES, TRIGGER_SETTINGS, TRIGGER_TYPES, TRIGGER_VARIABLES,
  addStep, changeStepType, changeTriggerType, generalProblems, getSetting, hasCondition, listAt, moveStep,
  nestedLists, normalizeDefinition, operandText, parseList, parseOperand, problemTarget, problemsOfError, removeStep,
  runPollInterval, setSetting, stepProblems, triggerProblems, updateStep,
  type Definition, type Problem, type Step, type Trigger, type Workflow, type WorkflowDetail, type WorkflowRun,
  type WorkflowRunDetail, type WorkflowVersion,
} from '../lib/workflows';

const OBJECT_NAMES = OBJECTS.map((o) => o.name);

function invalidateWorkflows() {
  store.invalidate('/rest/workflows', '/rest/workflow-versions', '/rest/workflow-runs');
}

/** The id of the input showing a problem field: steps[1].then[0] + to → wf-steps-1-then-0-to. */
export function inputId(area: string, key: string): string {
  return `wf-${area}-${key}`.replace(/[^A-Za-z0-9_-]+/g, '-');
}
function problemInputId(field: string): string {
  const t = problemTarget(field);
  if (t.area === 'trigger') return inputId('trigger', t.key || 'type');
  if (t.area === 'step') return inputId(t.stepPath!, t.key || 'id');
  return 'wf-problems';
}

/** Focuses the input showing a problem, else the first input of its step (or of the trigger). */
function focusProblem(field: string) {
  const t = problemTarget(field);
  const el = document.getElementById(problemInputId(field))
    ?? (t.area === 'step' ? document.getElementById(inputId(t.stepPath!, 'id')) : null)
    ?? (t.area === 'trigger' ? document.getElementById(inputId('trigger', 'type')) : null);
  el?.focus();
  el?.scrollIntoView?.({ block: 'center' });
}

// --- the list -----------------------------------------------------------------------------------

export function WorkflowsPage() {
  const { isAdmin } = useSession();
  const fmt = useFormat();
  const { data, error, loading, reload } = useQuery<Workflow[]>('/rest/workflows');
  const [creating, setCreating] = useState(false);
  return (
    <div className="page">
      <header className="page-head">
        <h1>Workflows</h1>
        <div className="page-actions">
          {isAdmin && (
            <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
              New workflow
            </button>
          )}
        </div>
      </header>
      <p className="muted small">A trigger and a list of steps that Settle runs by itself. Every run, and each of its steps, is kept with its input, output and error.</p>
      <ErrorBox error={error} onRetry={() => void reload()} />
      {!data && loading && <Spinner />}
      {data && data.length === 0 && <EmptyState>No workflows yet.</EmptyState>}
      {data && data.length > 0 && (
        <div className="table-wrap">
          <table className="table compact" aria-label="Workflows">
            <thead>
              <tr>
                <th>Name</th>
                <th>Trigger</th>
                <th>Status</th>
                <th>Last run</th>
                <th><span className="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {data.map((w) => (
                <tr key={w.id}>
                  <td>
                    <Link to={`/workflows/${w.id}`} className="row-link">{w.name}</Link>{' '}
                    {w.builtinKey && <span className="badge badge-blue" title="Built-in workflow">{w.builtinKey}</span>}
                    {w.description && <div className="small muted">{w.description}</div>}
                    {w.throttledCount > 0 && (
                      <div className="small text-warn" role="note">
                        ⚠ rate limit hit {w.throttledCount} {w.throttledCount === 1 ? 'time' : 'times'}
                        {w.lastThrottledAt && <>, last at {fmt.dateTime(w.lastThrottledAt)}</>}
                      </div>
                    )}
                  </td>
                  <td><code>{w.triggerType ?? '—'}</code></td>
                  <td><StatusBadge status={w.status} /></td>
                  <td>
                    {w.lastRun ? (
                      <Link to={`/workflow-runs/${w.lastRun.id}`} className="nowrap">
                        <StatusBadge status={w.lastRun.status} /> <span className="small muted">{fmt.dateTime(w.lastRun.createdAt)}</span>
                      </Link>
                    ) : (
                      <span className="muted small">never</span>
                    )}
                  </td>
                  <td className="num">
                    <Link to={`/workflows/${w.id}`} className="btn btn-small" aria-label={`Open ${w.name}`}>Open</Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {creating && <NewWorkflowDialog onClose={() => setCreating(false)} />}
    </div>
  );
}

function NewWorkflowDialog({ onClose }: { onClose: () => void }) {
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const w = await mutate<Workflow>('POST', '/rest/workflows', {
        name, description: description || null, definition: EMPTY_DEFINITION,
      });
      onClose();
      navigate(`/workflows/${w.id}`);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title="New workflow" onClose={onClose}>
      <form onSubmit={submit} className="stack">
        <div className="field">
          <label htmlFor="nwf-name" className="field-label">Name <span className="req">*</span></label>
          <input id="nwf-name" className="input" required value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="nwf-desc" className="field-label">Description</label>
          <textarea id="nwf-desc" className="input" rows={3} value={description} onChange={(e) => setDescription(e.target.value)} />
        </div>
        <ErrorBox error={error} />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy || !name.trim()}>{busy ? 'Creating…' : 'Create workflow'}</button>
          <button type="button" className="btn" onClick={onClose}>Cancel</button>
        </div>
      </form>
    </Modal>
  );
}

// --- a workflow -------------------------------------------------------------------------------

export function WorkflowPage() {
  const { id = '' } = useParams();
  const path = `/rest/workflows/${id}`;
  const { data, error, loading, reload } = useQuery<WorkflowDetail>(path);
  if (!data) {
    return (
      <div className="page">
        <WfBreadcrumb title={loading ? '…' : 'Not found'} />
        {loading ? <Spinner /> : <ErrorBox error={error} onRetry={() => void reload()} />}
      </div>
    );
  }
  return <WorkflowView key={data.id} w={data} reload={reload} />;
}

function WfBreadcrumb({ title, workflow }: { title: string; workflow?: { id: string; name: string } }) {
  return (
    <nav className="breadcrumb" aria-label="Breadcrumb">
      <Link to="/workflows">Workflows</Link>
      {workflow && (
        <>
          <span aria-hidden="true"> / </span>
          <Link to={`/workflows/${workflow.id}`}>{workflow.name}</Link>
        </>
      )}
      <span aria-hidden="true"> / </span>
      <span aria-current="page">{title}</span>
    </nav>
  );
}

type Tab = 'editor' | 'runs' | 'versions';

function WorkflowView({ w, reload }: { w: WorkflowDetail; reload: () => Promise<unknown> }) {
  const { isAdmin } = useSession();
  const fmt = useFormat();
  const toast = useToast();
  const navigate = useNavigate();
  const shown = w.draft ?? w.current ?? null;
  const [def, setDef] = useState<Definition>(() => normalizeDefinition(shown?.definition ?? EMPTY_DEFINITION));
  const [problems, setProblems] = useState<Problem[]>(() => shown?.problems ?? []);
  const [dirty, setDirty] = useState(false);
  const [revision, setRevision] = useState(0);
  const [tab, setTab] = useState<Tab>('editor');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [running, setRunning] = useState(false);
  const [secret, setSecret] = useState<{ secret: string; header?: string; scheme?: string } | null>(null);

  // The server's copy replaces the editor's only while nothing is being edited.
  useEffect(() => {
    if (dirty) return;
    const s = w.draft ?? w.current;
    if (s?.definition) setDef(normalizeDefinition(s.definition));
  }, [w, dirty]);

  const change = (d: Definition, structural = false) => {
    setDef(d);
    setDirty(true);
    // Problem paths name positions: after a step moves they would point at another step.
    if (structural) setProblems([]);
  };

  const run = async (label: string, fn: () => Promise<void>) => {
    setBusy(label);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(null);
    }
  };

  const saveDraft = async (): Promise<WorkflowVersion> => {
    const v = await mutate<WorkflowVersion>('PUT', `/rest/workflows/${w.id}/draft`, { definition: def });
    setProblems(v.problems ?? []);
    setDirty(false);
    if (v.definition) setDef(normalizeDefinition(v.definition));
    invalidateWorkflows();
    return v;
  };

  const save = () =>
    run('save', async () => {
      const v = await saveDraft();
      const n = v.problems?.length ?? 0;
      toast(n ? `Draft saved (version ${v.number}); ${n} ${n === 1 ? 'problem' : 'problems'} to fix before activation` : `Draft saved (version ${v.number})`);
    });

  const activate = () =>
    run('activate', async () => {
      let versionId = w.draftVersionId;
      if (dirty || !versionId) versionId = (await saveDraft()).id;
      try {
        const v = await mutate<WorkflowVersion>('POST', `/rest/workflow-versions/${versionId}/activate`);
        setProblems([]);
        toast(`Version ${v.number} is active`);
      } catch (err) {
        const e = err as ApiError;
        const found = e instanceof ApiError && e.status === 422 ? problemsOfError(e) : [];
        if (found.length) {
          setProblems(found);
          throw new ApiError(e.status, e.code, `Not activated: ${found.length} ${found.length === 1 ? 'problem' : 'problems'} in the definition (see below).`, e.field, e.details);
        }
        throw e;
      } finally {
        invalidateWorkflows();
      }
    });

  const deactivate = () =>
    run('deactivate', async () => {
      if (!w.activeVersionId) return;
      await mutate('POST', `/rest/workflow-versions/${w.activeVersionId}/deactivate`);
      invalidateWorkflows();
      toast('Workflow deactivated');
    });

  const copy = () =>
    run('copy', async () => {
      const c = await mutate<Workflow>('POST', `/rest/workflows/${w.id}/copy`);
      toast(`Copied to “${c.name}”`);
      navigate(`/workflows/${c.id}`);
    });

  const remove = () =>
    run('delete', async () => {
      if (!window.confirm(`Delete the workflow “${w.name}”? It is deactivated and hidden; its runs stay.`)) return;
      await mutate('DELETE', `/rest/workflows/${w.id}`);
      toast('Workflow deleted');
      navigate('/workflows');
    });

  const newSecret = () =>
    run('secret', async () => {
      if (w.hasWebhookSecret && !window.confirm('Make a new signing secret? The current one stops working.')) return;
      const s = await mutate<{ secret: string; header?: string; scheme?: string }>('POST', `/rest/workflows/${w.id}/webhook-secret`);
      setSecret(s);
      invalidateWorkflows();
    });

  const activeTrigger = (w.current?.status === 'ACTIVE' ? w.current.definition?.trigger : undefined) as Trigger | undefined;
  const triggerType = w.triggerType ?? def.trigger.type;
  const canRun = w.status === 'ACTIVE' && activeTrigger?.type === 'MANUAL';

  return (
    <div className="page page-wide">
      <WfBreadcrumb title={w.name} />
      <header className="record-head">
        <div>
          <div className="record-title">
            <h1>{w.name}</h1>
            <StatusBadge status={w.status} />
            {w.builtinKey && <span className="badge badge-blue" title="Built-in workflow">{w.builtinKey}</span>}
            {dirty && <span className="badge badge-grey">unsaved changes</span>}
          </div>
          {w.description && <p className="muted wf-description">{w.description}</p>}
          <p className="small muted">
            Trigger <code>{triggerType}</code>
            {w.lastRun && (
              <>
                {' '}· last run <Link to={`/workflow-runs/${w.lastRun.id}`}>{w.lastRun.status}</Link> {fmt.relative(w.lastRun.createdAt)}
              </>
            )}
          </p>
          {w.throttledCount > 0 && (
            <div className="alert alert-warn" role="status">
              Rate limit hit {w.throttledCount} {w.throttledCount === 1 ? 'time' : 'times'}
              {w.lastThrottledAt && <>, last at {fmt.dateTime(w.lastThrottledAt)}</>}: those triggers started no run (limit {w.maxRunsPerMinute} runs a minute).
            </div>
          )}
        </div>
        <div className="record-actions">
          <div className="btn-row">
            {isAdmin && (
              <>
                <button type="button" className="btn btn-primary" onClick={() => void save()} disabled={!!busy}>
                  {busy === 'save' ? 'Saving…' : 'Save draft'}
                </button>
                <button type="button" className="btn" onClick={() => void activate()} disabled={!!busy || (!dirty && !w.draftVersionId)}
                  title={!dirty && !w.draftVersionId ? 'No draft to activate: edit the workflow first' : 'Validates the draft and makes it the active version'}>
                  {busy === 'activate' ? 'Activating…' : 'Activate'}
                </button>
                {w.activeVersionId && (
                  <button type="button" className="btn" onClick={() => void deactivate()} disabled={!!busy}>
                    {busy === 'deactivate' ? 'Deactivating…' : 'Deactivate'}
                  </button>
                )}
                <button type="button" className="btn" onClick={() => void copy()} disabled={!!busy}>Copy</button>
              </>
            )}
            {canRun && (
              <button type="button" className="btn" onClick={() => setRunning(true)} disabled={!!busy}>Run now</button>
            )}
            {isAdmin && triggerType === 'WEBHOOK' && (
              <button type="button" className="btn" onClick={() => void newSecret()} disabled={!!busy}>
                {w.hasWebhookSecret ? 'New webhook secret' : 'Webhook secret'}
              </button>
            )}
            {isAdmin && (
              <button type="button" className="btn btn-danger" onClick={() => void remove()} disabled={!!busy}>Delete</button>
            )}
          </div>
          <ErrorBox error={error} />
        </div>
      </header>
      {!isAdmin && <p className="alert alert-info">Workflows are changed by workspace admins; you can read them{canRun ? ' and run this one' : ''}.</p>}

      <div className="tabs" role="tablist" aria-label="Workflow sections">
        {(['editor', 'runs', 'versions'] as Tab[]).map((t) => (
          <button key={t} type="button" role="tab" aria-selected={tab === t} className={tab === t ? 'active' : ''} onClick={() => setTab(t)}>
            {t === 'editor' ? 'Definition' : t === 'runs' ? 'Runs' : 'Versions'}
          </button>
        ))}
      </div>

      {tab === 'editor' && (
        <>
          {isAdmin && <DetailsForm w={w} reload={reload} />}
          {triggerType === 'WEBHOOK' && (
            <Card title="Webhook">
              <p className="small">
                <code>POST {window.location.origin}/webhooks/workflows/{w.id}</code> with <code>Authorization: Bearer &lt;API key&gt;</code> or{' '}
                <code>Settle-Signature: t=…,v1=…</code> (HMAC-SHA256 of <code>&lt;t&gt;.&lt;raw body&gt;</code> under the workflow's secret).{' '}
                {w.hasWebhookSecret ? 'A signing secret is set.' : 'No signing secret yet.'}
              </p>
            </Card>
          )}
          <DefinitionEditor
            key={revision}
            def={def}
            problems={problems}
            disabled={!isAdmin}
            onChange={change}
            onReplace={(d) => {
              change(d, true);
              setRevision((r) => r + 1);
            }}
          />
        </>
      )}
      {tab === 'runs' && <RunsList workflowId={w.id} />}
      {tab === 'versions' && <VersionsList versions={w.versions} />}

      {running && <RunDialog w={w} trigger={activeTrigger} onClose={() => setRunning(false)} onDone={() => setTab('runs')} />}
      {secret && (
        <Modal title="Webhook signing secret" onClose={() => setSecret(null)}>
          <div className="stack">
            <p className="alert alert-warn">Shown once: copy it now. Settle keeps it encrypted and cannot show it again.</p>
            <div className="paylink">
              <input className="input mono" readOnly aria-label="Webhook secret" value={secret.secret} />
              <CopyButton text={secret.secret} />
            </div>
            {secret.scheme && <p className="small muted">Header <code>{secret.header ?? 'Settle-Signature'}</code>: <code>{secret.scheme}</code></p>}
            <div className="form-actions">
              <button type="button" className="btn btn-primary" onClick={() => setSecret(null)}>Done</button>
            </div>
          </div>
        </Modal>
      )}
    </div>
  );
}

function DetailsForm({ w, reload }: { w: WorkflowDetail; reload: () => Promise<unknown> }) {
  const toast = useToast();
  const [name, setName] = useState(w.name);
  const [description, setDescription] = useState(w.description ?? '');
  const [max, setMax] = useState(String(w.maxRunsPerMinute ?? ''));
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const changed = name !== w.name || description !== (w.description ?? '') || max !== String(w.maxRunsPerMinute ?? '');
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const body: Record<string, unknown> = {};
    if (name !== w.name) body.name = name;
    if (description !== (w.description ?? '')) body.description = description || null;
    if (max !== String(w.maxRunsPerMinute ?? '')) body.maxRunsPerMinute = Number(max);
    setBusy(true);
    setError(null);
    try {
      await mutate('PATCH', `/rest/workflows/${w.id}`, body);
      await reload();
      toast('Workflow details saved');
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <details className="card wf-details">
      <summary className="card-head">Name, description and rate limit</summary>
      <form onSubmit={submit} className="card-body wf-grid">
        <div className="field">
          <label htmlFor="wf-name" className="field-label">Name</label>
          <input id="wf-name" className="input" value={name} onChange={(e) => setName(e.target.value)} required />
        </div>
        <div className="field">
          <label htmlFor="wf-max" className="field-label">Max runs per minute</label>
          <input id="wf-max" className="input" inputMode="numeric" value={max} onChange={(e) => setMax(e.target.value)} />
        </div>
        <div className="field wf-span">
          <label htmlFor="wf-description" className="field-label">Description</label>
          <textarea id="wf-description" className="input" rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />
        </div>
        <div className="form-actions wf-span">
          <button type="submit" className="btn" disabled={busy || !changed}>{busy ? 'Saving…' : 'Save details'}</button>
          <ErrorBox error={error} title={error?.field ? `${error.field}:` : undefined} />
        </div>
      </form>
    </details>
  );
}

// --- the editor ---------------------------------------------------------------------------------

function DefinitionEditor({
  def, problems, disabled, onChange, onReplace,
}: {
  def: Definition;
  problems: Problem[];
  disabled: boolean;
  onChange: (d: Definition, structural?: boolean) => void;
  onReplace: (d: Definition) => void;
}) {
  const [json, setJson] = useState(false);
  const general = generalProblems(problems);
  return (
    <div className="wf-editor">
      {problems.length > 0 && (
        <div className="alert alert-error" role="alert" id="wf-problems" data-testid="wf-problems">
          <div>
            <strong>{problems.length} {problems.length === 1 ? 'problem stops' : 'problems stop'} activation:</strong>
            <ul className="wf-problem-list">
              {problems.map((p, i) => (
                <li key={i}>
                  <button type="button" className="link-button" onClick={() => focusProblem(p.field)}>
                    <code>{p.field}</code>
                  </button>{' '}
                  {p.message}
                </li>
              ))}
            </ul>
          </div>
        </div>
      )}
      <div className="toolbar">
        <label className="inline-field small">
          <input type="checkbox" className="checkbox" checked={json} onChange={(e) => setJson(e.target.checked)} /> Advanced: JSON
        </label>
      </div>
      {json ? (
        <JsonDefinition def={def} disabled={disabled} onApply={(d) => { onReplace(d); setJson(false); }} />
      ) : (
        <fieldset disabled={disabled} className="wf-fieldset">
          <TriggerForm
            trigger={def.trigger}
            problems={triggerProblems(problems)}
            onChange={(t) => onChange({ ...def, trigger: t })}
          />
          <Card title="Settings">
            <div className="wf-grid">
              <SettingField
                id={inputId('settings', 'maxStepsPerRun')}
                label="Max steps per run (default 200, at most 1000)"
                kind="number"
                value={(def.settings as Record<string, unknown> | undefined)?.maxStepsPerRun}
                problems={general.filter((p) => p.field === 'settings.maxStepsPerRun').map((p) => p.message)}
                onChange={(v) => {
                  const settings = { ...(def.settings ?? {}) } as Record<string, unknown>;
                  if (v === undefined || v === '') delete settings.maxStepsPerRun;
                  else settings.maxStepsPerRun = v;
                  const next: Definition = { ...def, settings };
                  if (Object.keys(settings).length === 0) delete next.settings;
                  onChange(next);
                }}
              />
            </div>
          </Card>
          <h2 className="wf-section-title">Steps</h2>
          {general.filter((p) => p.field === 'steps').map((p, i) => <p key={i} className="problem">{p.message}</p>)}
          <StepList def={def} listPath="steps" problems={problems} onChange={onChange} label="workflow" />
        </fieldset>
      )}
    </div>
  );
}

function JsonDefinition({ def, disabled, onApply }: { def: Definition; disabled: boolean; onApply: (d: Definition) => void }) {
  const [text, setText] = useState(() => JSON.stringify(def, null, 2));
  const [error, setError] = useState<string | null>(null);
  const apply = () => {
    try {
      const parsed = JSON.parse(text);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('a definition is an object with trigger and steps');
      setError(null);
      onApply(normalizeDefinition(parsed));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <Card title="Definition (JSON)">
      <textarea
        className={`input mono wf-json ${error ? 'invalid' : ''}`}
        aria-label="Definition JSON"
        rows={24}
        value={text}
        readOnly={disabled}
        onChange={(e) => setText(e.target.value)}
        spellCheck={false}
      />
      {error && <p className="problem">Not valid: {error}</p>}
      {!disabled && (
        <div className="form-actions">
          <button type="button" className="btn" onClick={apply}>Apply JSON</button>
          <span className="hint">Apply puts it into the editor; Save draft stores it.</span>
        </div>
      )}
    </Card>
  );
}

function ProblemText({ list, id }: { list?: string[]; id?: string }) {
  if (!list || list.length === 0) return null;
  return (
    <span className="problem" id={id}>
      {list.join('; ')}
    </span>
  );
}

/** One input of a setting: text, textarea, number (a template stays text), checkbox, JSON, object or select. */
function SettingField({
  id, label, kind, value, onChange, problems, options, placeholder, hint, required,
}: {
  id: string;
  label: string;
  kind: string;
  value: unknown;
  onChange: (v: unknown) => void;
  problems?: string[];
  options?: readonly string[];
  placeholder?: string;
  hint?: string;
  required?: boolean;
}) {
  const invalid = !!problems?.length;
  const common = {
    id,
    'aria-invalid': invalid || undefined,
    'aria-describedby': invalid ? `${id}-problem` : undefined,
  };
  let input: ReactNode;
  if (kind === 'bool') {
    return (
      <div className="field">
        <label className="inline-field">
          <input {...common} type="checkbox" className="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked ? true : undefined)} />
          <span className="field-label">{label}</span>
        </label>
        <ProblemText list={problems} id={`${id}-problem`} />
      </div>
    );
  }
  if (kind === 'textarea') {
    input = <textarea {...common} className={`input ${invalid ? 'invalid' : ''}`} rows={5} placeholder={placeholder} value={value == null ? '' : String(value)} onChange={(e) => onChange(e.target.value)} />;
  } else if (kind === 'json') {
    input = <JsonInput {...common} invalid={invalid} value={value} placeholder={placeholder} onChange={onChange} />;
  } else if (kind === 'object' || kind === 'select') {
    const opts = kind === 'object' ? ['', ...OBJECT_NAMES] : [...(options ?? [])];
    const v = value == null ? '' : String(value);
    if (!opts.includes(v)) opts.push(v);
    input = (
      <select {...common} className={`input ${invalid ? 'invalid' : ''}`} value={v} onChange={(e) => onChange(e.target.value)}>
        {opts.map((o) => (
          <option key={o} value={o}>{o === '' ? '—' : kind === 'object' ? `${OBJECT_BY_NAME[o]?.label ?? o} (${o})` : o}</option>
        ))}
      </select>
    );
  } else {
    const text = value == null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
    input = (
      <input
        {...common}
        className={`input ${kind === 'number' ? '' : 'mono-ish'} ${invalid ? 'invalid' : ''}`}
        inputMode={kind === 'number' ? 'numeric' : undefined}
        placeholder={placeholder}
        value={text}
        onChange={(e) => onChange(kind === 'number' ? numberOrText(e.target.value) : e.target.value)}
      />
    );
  }
  return (
    <div className={`field ${kind === 'textarea' || kind === 'json' ? 'wf-span' : ''}`}>
      <label htmlFor={id} className="field-label">
        {label} {required && <span className="req" aria-hidden="true">*</span>}
      </label>
      {input}
      {hint && <span className="hint">{hint}</span>}
      <ProblemText list={problems} id={`${id}-problem`} />
    </div>
  );
}

function numberOrText(t: string): unknown {
  if (t.trim() === '') return undefined;
  return /^-?\d+$/.test(t.trim()) ? Number(t.trim()) : t;
}

/** A JSON value typed as text: the value changes only when the text parses. */
function JsonInput({
  id, value, onChange, placeholder, invalid, ...rest
}: {
  id: string;
  value: unknown;
  onChange: (v: unknown) => void;
  placeholder?: string;
  invalid: boolean;
  'aria-invalid'?: boolean;
  'aria-describedby'?: string;
}) {
  const pretty = (v: unknown) => (v === undefined ? '' : JSON.stringify(v, null, 2));
  const [text, setText] = useState(() => pretty(value));
  const [bad, setBad] = useState<string | null>(null);
  const [focused, setFocused] = useState(false);
  useEffect(() => {
    if (!focused) {
      setText(pretty(value));
      setBad(null);
    }
  }, [value, focused]);
  return (
    <>
      <textarea
        id={id}
        {...rest}
        className={`input mono ${invalid || bad ? 'invalid' : ''}`}
        rows={Math.min(10, Math.max(3, text.split('\n').length))}
        placeholder={placeholder}
        spellCheck={false}
        value={text}
        onFocus={() => setFocused(true)}
        onBlur={() => setFocused(false)}
        onChange={(e) => {
          setText(e.target.value);
          if (e.target.value.trim() === '') {
            setBad(null);
            onChange(undefined);
            return;
          }
          try {
            const v = JSON.parse(e.target.value);
            setBad(null);
            onChange(v);
          } catch (err) {
            setBad((err as Error).message);
          }
        }}
      />
      {bad && <span className="problem">Not valid JSON yet: {bad}</span>}
    </>
  );
}

/** A comma-separated list held as an array. */
function ListField({ id, label, value, onChange, problems, placeholder }: {
  id: string; label: string; value: unknown; onChange: (v: string[] | undefined) => void; problems?: string[]; placeholder?: string;
}) {
  const join = (v: unknown) => (Array.isArray(v) ? v.join(', ') : typeof v === 'string' ? v : '');
  const [text, setText] = useState(() => join(value));
  const [focused, setFocused] = useState(false);
  useEffect(() => {
    if (!focused) setText(join(value));
  }, [value, focused]);
  const invalid = !!problems?.length;
  return (
    <div className="field">
      <label htmlFor={id} className="field-label">{label}</label>
      <input
        id={id}
        className={`input ${invalid ? 'invalid' : ''}`}
        aria-invalid={invalid || undefined}
        aria-describedby={invalid ? `${id}-problem` : undefined}
        placeholder={placeholder}
        value={text}
        onFocus={() => setFocused(true)}
        onBlur={() => setFocused(false)}
        onChange={(e) => {
          setText(e.target.value);
          const l = parseList(e.target.value);
          onChange(l.length ? l : undefined);
        }}
      />
      <span className="hint">Separated by commas.</span>
      <ProblemText list={problems} id={`${id}-problem`} />
    </div>
  );
}

function TriggerForm({ trigger, problems, onChange }: { trigger: Trigger; problems: Record<string, string[]>; onChange: (t: Trigger) => void }) {
  const type = trigger.type;
  const settings = TRIGGER_SETTINGS[type] ?? [];
  const set = (k: string, v: unknown) => {
    const t: Trigger = { ...trigger };
    if (v === undefined || v === '') delete t[k];
    else t[k] = v;
    onChange(t);
  };
  const pid = (k: string) => inputId('trigger', k);
  const merged = (k: string) => [...(problems[k] ?? [])];
  return (
    <Card title="Trigger">
      <ProblemText list={problems['']} />
      <div className="wf-grid">
        <SettingField
          id={pid('type')} label="Trigger type" kind="select" options={TRIGGER_TYPES} value={type}
          problems={problems.type} onChange={(v) => onChange(changeTriggerType(trigger, String(v || 'MANUAL')))}
        />
        {type === 'ACTION' && (
          <>
            <SettingField
              id={pid('object')} label="Object" kind="select" options={Object.keys(LIFECYCLE_ACTIONS)} value={trigger.object}
              problems={problems.object} required
              onChange={(v) => onChange({ ...trigger, object: v, action: LIFECYCLE_ACTIONS[String(v)]?.[0] ?? '' })}
            />
            <SettingField
              id={pid('action')} label="Action (the workflow runs in the request, before it answers)" kind="select"
              options={LIFECYCLE_ACTIONS[String(trigger.object)] ?? []} value={trigger.action} problems={problems.action} required
              onChange={(v) => set('action', v)}
              hint="If the workflow ends without moving the record, the plain action follows."
            />
          </>
        )}
        {settings.includes('object') && type !== 'ACTION' && (
          <SettingField
            id={pid('object')} label={type === 'MANUAL' ? 'Object (optional: runs once per selected record)' : 'Object'} kind="object"
            value={trigger.object} problems={problems.object} onChange={(v) => set('object', v)} required={type !== 'MANUAL'}
          />
        )}
        {settings.includes('filter') && (
          <SettingField
            id={pid('filter')} label={type === 'RECORD_UPDATED' ? 'Filter (on the record after the change)' : 'Filter'} kind="text"
            placeholder="status[eq]:Fulfilled" value={trigger.filter} problems={problems.filter} onChange={(v) => set('filter', v)}
            hint="The list-query language of /rest/{object}."
          />
        )}
        {settings.includes('fields') && (
          <ListField id={pid('fields')} label="Only when one of these fields changed" value={trigger.fields} problems={merged('fields')}
            placeholder="status, amount" onChange={(v) => set('fields', v)} />
        )}
        {settings.includes('eventTypes') && (
          <ListField id={pid('eventTypes')} label="Stripe event types (* for any)" value={trigger.eventTypes} problems={merged('eventTypes')}
            placeholder="invoice.payment_failed" onChange={(v) => set('eventTypes', v)} />
        )}
        {settings.includes('cron') && (
          <SettingField id={pid('cron')} label="Cron (5 fields or @daily)" kind="text" placeholder="0 9 * * 1-5" value={trigger.cron}
            problems={problems.cron} onChange={(v) => set('cron', v)} />
        )}
        {settings.includes('timezone') && (
          <SettingField id={pid('timezone')} label="Time zone (IANA name, or workspace)" kind="text" placeholder="workspace"
            value={trigger.timezone} problems={problems.timezone} onChange={(v) => set('timezone', v)} />
        )}
        {settings.includes('auth') && (
          <SettingField id={pid('auth')} label="Authentication" kind="select" options={['apiKey', 'signature']} value={trigger.auth}
            problems={problems.auth} onChange={(v) => set('auth', v)} />
        )}
      </div>
      <p className="hint">
        Variables: {(TRIGGER_VARIABLES[type] ?? []).map((v) => <code key={v}>{`{{${v}}}`}</code>)} <code>{'{{steps.<id>.<field>}}'}</code>{' '}
        <code>{'{{workflow.name}}'}</code> <code>{'{{run.id}}'}</code> <code>{'{{now}}'}</code>
      </p>
    </Card>
  );
}

function StepList({
  def, listPath, problems, onChange, label,
}: {
  def: Definition;
  listPath: string;
  problems: Problem[];
  onChange: (d: Definition, structural?: boolean) => void;
  label: string;
}) {
  const steps = listAt(def, listPath) ?? [];
  const [newType, setNewType] = useState('CREATE_TASK');
  const top = listPath === 'steps';
  return (
    <div className={top ? 'wf-steps' : 'wf-steps wf-nested'}>
      {steps.length === 0 && <p className="muted small">No steps{top ? ' yet' : ''}.</p>}
      <ol className="wf-step-list">
        {steps.map((st, i) => (
          <StepCard
            key={i}
            def={def}
            path={`${listPath}[${i}]`}
            step={st}
            index={i}
            count={steps.length}
            problems={problems}
            onChange={onChange}
          />
        ))}
      </ol>
      <div className="inline-field wf-add">
        <label htmlFor={inputId(listPath, 'new-type')} className="visually-hidden">New step type ({label})</label>
        <select id={inputId(listPath, 'new-type')} className="input input-small" value={newType} onChange={(e) => setNewType(e.target.value)}>
          {Object.entries(STEP_TYPES).map(([t, spec]) => <option key={t} value={t}>{spec.label} ({t})</option>)}
        </select>
        <button type="button" className="btn btn-small" aria-label={top ? 'Add step' : `Add step to ${label}`} onClick={() => onChange(addStep(def, listPath, newType), true)}>
          + Add step
        </button>
      </div>
    </div>
  );
}

const POLICY_KEYS = ['retry.maxAttempts', 'retry.baseSeconds', 'continueOnFailure', 'timeoutSeconds'];

function StepCard({
  def, path, step, index, count, problems, onChange,
}: {
  def: Definition;
  path: string;
  step: Step;
  index: number;
  count: number;
  problems: Problem[];
  onChange: (d: Definition, structural?: boolean) => void;
}) {
  const spec = STEP_TYPES[step.type];
  const mine = useMemo(() => stepProblems(problems, path), [problems, path]);
  const update = (fn: (s: Step) => Step) => onChange(updateStep(def, path, fn));
  const set = (key: string, v: unknown) => update((s) => setSetting(s, key, v));
  const pid = (k: string) => inputId(path, k);
  const cond = hasCondition(step.type);
  const lists = nestedLists(step.type);
  // Problems whose input is not on this card are listed at its top.
  const shownKeys = new Set(['id', 'type', 'name', ...(spec?.settings.map((x) => x.key) ?? []), ...POLICY_KEYS, ...lists,
    ...(cond ? ['condition', 'condition.left', 'condition.op', 'condition.right'] : [])]);
  const loose = Object.entries(mine).filter(([k]) => !shownKeys.has(k)).flatMap(([k, l]) => l.map((m) => (k ? `${k}: ${m}` : m)));
  const policyProblems = POLICY_KEYS.some((k) => mine[k]);
  const title = `${step.id || '(no id)'}`;
  return (
    <li className={`wf-step ${Object.keys(mine).length ? 'has-problems' : ''}`}>
      <section aria-label={`Step ${title}`} className="card">
        <header className="card-head">
          <h3 className="wf-step-title">
            <span className="wf-step-num">{index + 1}</span> <code>{title}</code> <span className="muted">{spec?.label ?? step.type}</span>
            {step.name && <span className="muted"> · {step.name}</span>}
          </h3>
          <div className="card-actions btn-row">
            <button type="button" className="btn btn-ghost btn-icon" aria-label={`Move ${title} up`} disabled={index === 0}
              onClick={() => onChange(moveStep(def, path, -1), true)}>↑</button>
            <button type="button" className="btn btn-ghost btn-icon" aria-label={`Move ${title} down`} disabled={index === count - 1}
              onClick={() => onChange(moveStep(def, path, 1), true)}>↓</button>
            <button type="button" className="btn btn-ghost btn-icon btn-danger-text" aria-label={`Remove ${title}`}
              onClick={() => onChange(removeStep(def, path), true)}>×</button>
          </div>
        </header>
        <div className="card-body">
          {loose.length > 0 && <ProblemText list={loose} />}
          <div className="wf-grid">
            <SettingField id={pid('id')} label="Id" kind="text" value={step.id} problems={mine.id} required
              onChange={(v) => update((s) => ({ ...s, id: String(v ?? '') }))} hint="Lower-case letters, digits and _; used as {{steps.<id>…}}." />
            <SettingField id={pid('type')} label="Type" kind="select" options={Object.keys(STEP_TYPES)} value={step.type} problems={mine.type}
              onChange={(v) => update((s) => changeStepType(s, String(v)))} />
            <SettingField id={pid('name')} label="Name" kind="text" value={step.name} problems={mine.name} onChange={(v) => set('name', v)} />
            {spec?.settings.map((x) => (
              <SettingField
                key={x.key}
                id={pid(x.key)}
                label={x.label}
                kind={x.kind}
                options={x.options}
                placeholder={x.placeholder}
                hint={x.hint}
                required={x.required}
                value={getSetting(step, x.key)}
                problems={x.key === 'attach.object' ? [...(mine['attach.object'] ?? []), ...(mine.attach ?? [])] : mine[x.key]}
                onChange={(v) => set(x.key, v)}
              />
            ))}
          </div>
          {cond && <ConditionForm path={path} value={step.condition} problems={mine} onChange={(c) => set('condition', c)} />}
          {lists.map((k) => (
            <div key={k} className="wf-branch">
              <h4 className="wf-branch-title">{k === 'then' ? 'Then' : k === 'else' ? 'Else' : 'Steps for each item'}</h4>
              <ProblemText list={mine[k]} />
              <StepList def={def} listPath={`${path}.${k}`} problems={problems} onChange={onChange} label={`${k} of ${title}`} />
            </div>
          ))}
          <details className="wf-policy" open={policyProblems || undefined}>
            <summary className="small">Retry, timeout and failure</summary>
            <div className="wf-grid">
              <SettingField id={pid('retry.maxAttempts')} label="Retry: max attempts (1–10)" kind="number" value={getSetting(step, 'retry.maxAttempts')}
                problems={[...(mine['retry.maxAttempts'] ?? []), ...(mine.retry ?? [])]} onChange={(v) => set('retry.maxAttempts', v)} />
              <SettingField id={pid('retry.baseSeconds')} label="Retry: base seconds (1–3600)" kind="number" value={getSetting(step, 'retry.baseSeconds')}
                problems={mine['retry.baseSeconds']} onChange={(v) => set('retry.baseSeconds', v)} hint="Wait before attempt n+1: base · 2^(n−1)." />
              <SettingField id={pid('timeoutSeconds')} label="Timeout seconds (1–300)" kind="number" value={step.timeoutSeconds}
                problems={mine.timeoutSeconds} onChange={(v) => set('timeoutSeconds', v)} />
              <SettingField id={pid('continueOnFailure')} label="Continue on failure (its error becomes its output)" kind="bool"
                value={step.continueOnFailure} problems={mine.continueOnFailure} onChange={(v) => set('continueOnFailure', v)} />
            </div>
          </details>
          {spec && <p className="hint">Output: {spec.output}</p>}
        </div>
      </section>
    </li>
  );
}

function ConditionForm({ path, value, problems, onChange }: { path: string; value: unknown; problems: Record<string, string[]>; onChange: (c: unknown) => void }) {
  const c = (value && typeof value === 'object' && !Array.isArray(value) ? value : {}) as Record<string, unknown>;
  const simple = !('all' in c) && !('any' in c) && !('not' in c);
  const [asJson, setAsJson] = useState(!simple);
  const pid = (k: string) => inputId(path, k);
  const unary = c.op === 'isEmpty' || c.op === 'isNotEmpty';
  return (
    <div className="wf-condition">
      <div className="inline-field">
        <h4 className="wf-branch-title">Condition</h4>
        <label className="inline-field small">
          <input type="checkbox" className="checkbox" checked={asJson} onChange={(e) => setAsJson(e.target.checked)} /> as JSON (all / any / not)
        </label>
      </div>
      <ProblemText list={problems.condition} />
      {asJson ? (
        <SettingField id={pid('condition')} label="Condition (JSON)" kind="json" value={value} onChange={onChange}
          placeholder='{"all": [{"left": "{{trigger.record.status}}", "op": "eq", "right": "Open"}]}' />
      ) : (
        <div className="wf-grid wf-grid-3">
          <SettingField id={pid('condition.left')} label="Left" kind="text" value={c.left} problems={problems['condition.left']}
            placeholder="{{steps.find.count}}" onChange={(v) => onChange({ ...c, left: v ?? '' })} />
          <SettingField id={pid('condition.op')} label="Operator" kind="select" options={CONDITION_OPS} value={c.op ?? 'eq'}
            problems={problems['condition.op']} onChange={(v) => onChange({ ...c, op: v })} />
          {!unary && (
            <SettingField id={pid('condition.right')} label="Right" kind="text" value={operandText(c.right)} problems={problems['condition.right']}
              placeholder="0" hint="Numbers, true, false and null keep their type." onChange={(v) => onChange({ ...c, right: parseOperand(String(v ?? '')) })} />
          )}
        </div>
      )}
    </div>
  );
}

// --- manual runs ---------------------------------------------------------------------------------

function RunDialog({ w, trigger, onClose, onDone }: { w: Workflow; trigger?: Trigger; onClose: () => void; onDone: () => void }) {
  const toast = useToast();
  const navigate = useNavigate();
  const object = typeof trigger?.object === 'string' && trigger.object ? trigger.object : null;
  const meta = object ? OBJECT_BY_NAME[object] : undefined;
  const records = useList<Record<string, unknown> & { id: string }>(object, { limit: 50, ...(meta ? { orderBy: [meta.defaultSort] } : {}) });
  const [selected, setSelected] = useState<string[]>([]);
  const [idsText, setIdsText] = useState('');
  const [payload, setPayload] = useState('');
  const [error, setError] = useState<ApiError | Error | null>(null);
  const [busy, setBusy] = useState(false);
  const go = async (withRecords: boolean) => {
    setError(null);
    let body: Record<string, unknown>;
    if (withRecords) {
      const ids = [...new Set([...selected, ...parseList(idsText)])];
      if (ids.length === 0) return setError(new Error('Pick at least one record, or run without records.'));
      body = { recordIds: ids };
    } else {
      try {
        body = { payload: payload.trim() ? JSON.parse(payload) : {} };
      } catch (e) {
        return setError(new Error(`The payload is not valid JSON: ${(e as Error).message}`));
      }
    }
    setBusy(true);
    try {
      const out = await mutate<{ runs?: { id: string }[] }>('POST', `/rest/workflows/${w.id}/run`, body);
      invalidateWorkflows();
      const runs = out?.runs ?? [];
      toast(`${runs.length} ${runs.length === 1 ? 'run' : 'runs'} started`);
      onClose();
      if (runs.length === 1) navigate(`/workflow-runs/${runs[0].id}`);
      else onDone();
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={`Run “${w.name}”`} onClose={onClose}>
      <div className="stack">
        {object && meta && (
          <>
            <p className="small muted">One run per selected {meta.singular}: the run has it as <code>{'{{trigger.record}}'}</code>.</p>
            <div className="wf-record-pick" role="group" aria-label={`${meta.label} to run on`}>
              {records.loading && !records.data && <Spinner />}
              <ErrorBox error={records.error} />
              {records.data?.data.map((r) => (
                <label key={r.id} className="inline-field small">
                  <input
                    type="checkbox"
                    className="checkbox"
                    checked={selected.includes(r.id)}
                    onChange={(e) => setSelected((s) => (e.target.checked ? [...s, r.id] : s.filter((x) => x !== r.id)))}
                  />
                  {meta.title(r)} <span className="muted">{r.id}</span>
                </label>
              ))}
            </div>
            <div className="field">
              <label htmlFor="run-ids" className="field-label">Or record ids (comma separated)</label>
              <input id="run-ids" className="input mono" value={idsText} onChange={(e) => setIdsText(e.target.value)} />
            </div>
            <div className="form-actions">
              <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void go(true)}>Run on selected records</button>
            </div>
            <hr className="wf-hr" />
          </>
        )}
        <div className="field">
          <label htmlFor="run-payload" className="field-label">Payload (JSON, optional: {'{{trigger.payload}}'})</label>
          <textarea id="run-payload" className="input mono" rows={4} value={payload} onChange={(e) => setPayload(e.target.value)} placeholder="{}" />
        </div>
        <ErrorBox error={error} />
        <div className="form-actions">
          <button type="button" className={object ? 'btn' : 'btn btn-primary'} disabled={busy} onClick={() => void go(false)}>
            {busy ? 'Starting…' : 'Run without records'}
          </button>
          <button type="button" className="btn btn-ghost" onClick={onClose}>Cancel</button>
        </div>
      </div>
    </Modal>
  );
}

// --- versions and runs ---------------------------------------------------------------------------

function VersionsList({ versions }: { versions: WorkflowVersion[] }) {
  const fmt = useFormat();
  return (
    <Card title="Versions">
      {versions.length === 0 ? (
        <p className="muted">No versions.</p>
      ) : (
        <table className="table compact" aria-label="Versions">
          <thead>
            <tr>
              <th className="num">Version</th>
              <th>Status</th>
              <th>Trigger</th>
              <th>Created</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <tr key={v.id}>
                <td className="num">{v.number}</td>
                <td><StatusBadge status={v.status} /></td>
                <td><code>{v.triggerType}</code></td>
                <td>{fmt.dateTime(v.createdAt)}</td>
                <td>{v.updatedAt ? fmt.dateTime(v.updatedAt) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

function RunsList({ workflowId }: { workflowId: string }) {
  const fmt = useFormat();
  const [status, setStatus] = useState('');
  const path = `/rest/workflow-runs?workflowId=${encodeURIComponent(workflowId)}${status ? `&status=${status}` : ''}&limit=50`;
  const { data, error, reload } = useQuery<WorkflowRun[]>(path, { poll: 2000 });
  return (
    <Card
      title="Runs"
      actions={
        <>
          <label htmlFor="runs-status" className="visually-hidden">Run status</label>
          <select id="runs-status" className="input input-small" value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">All statuses</option>
            {['RUNNING', 'WAITING', 'COMPLETED', 'FAILED'].map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
          <button type="button" className="btn btn-small" onClick={() => void reload()}>Refresh</button>
        </>
      }
    >
      <ErrorBox error={error} onRetry={() => void reload()} />
      {!data && !error && <Spinner />}
      {data && data.length === 0 && <p className="muted">No runs{status ? ` ${status}` : ''} yet.</p>}
      {data && data.length > 0 && (
        <table className="table compact" aria-label="Runs">
          <thead>
            <tr>
              <th>Started</th>
              <th>Status</th>
              <th>Trigger</th>
              <th className="num">Steps</th>
              <th className="num">Depth</th>
              <th>Ended</th>
              <th>Error</th>
            </tr>
          </thead>
          <tbody>
            {data.map((r) => (
              <tr key={r.id}>
                <td><Link to={`/workflow-runs/${r.id}`}>{fmt.dateTime(r.createdAt)}</Link></td>
                <td><StatusBadge status={r.status} /></td>
                <td><code>{r.triggerType}</code></td>
                <td className="num">{r.stepsExecuted}</td>
                <td className="num">{r.depth}</td>
                <td>{r.endedAt ? fmt.dateTime(r.endedAt) : '—'}</td>
                <td className="small">{r.error ? <span className="text-red">{r.errorStep ? `${r.errorStep}: ` : ''}{r.error}</span> : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

// --- a run --------------------------------------------------------------------------------------

export function WorkflowRunPage() {
  const { id = '' } = useParams();
  const path = `/rest/workflow-runs/${id}`;
  const first = useQuery<WorkflowRunDetail>(path);
  const { data: run, error, loading, reload } = useQuery<WorkflowRunDetail>(path, { poll: runPollInterval(first.data?.status) });
  const wf = useQuery<WorkflowDetail>(run ? `/rest/workflows/${run.workflowId}` : null);
  const { isAdmin } = useSession();
  const fmt = useFormat();
  const toast = useToast();
  const [retryError, setRetryError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  if (!run) {
    return (
      <div className="page">
        <WfBreadcrumb title={loading ? '…' : 'Run not found'} />
        {loading ? <Spinner /> : <ErrorBox error={error} onRetry={() => void reload()} />}
      </div>
    );
  }
  const retry = async () => {
    setBusy(true);
    setRetryError(null);
    try {
      await mutate('POST', `/rest/workflow-runs/${run.id}/retry`);
      invalidateWorkflows();
      await reload();
      toast('The run goes on from its failed step');
    } catch (err) {
      setRetryError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const polling = !!runPollInterval(run.status);
  return (
    <div className="page page-wide">
      <WfBreadcrumb title={`Run ${run.id.slice(-8)}`} workflow={wf.data ? { id: wf.data.id, name: wf.data.name } : { id: run.workflowId, name: 'Workflow' }} />
      <header className="record-head">
        <div>
          <div className="record-title">
            <h1>Run</h1>
            <StatusBadge status={run.status} />
            {polling && <span className="live"><span className="live-dot" aria-hidden="true" /> live</span>}
          </div>
          <p className="small muted">
            <code>{run.id}</code> · trigger <code>{run.triggerType}</code> · depth {run.depth} · {run.stepsExecuted} steps executed
          </p>
          <p className="small muted">
            Created {fmt.dateTime(run.createdAt)}
            {run.startedAt && <> · started {fmt.dateTime(run.startedAt)}</>}
            {run.endedAt && <> · ended {fmt.dateTime(run.endedAt)}</>}
            {run.nextAttemptAt && run.status === 'WAITING' && <> · next attempt {fmt.dateTime(run.nextAttemptAt)}</>}
          </p>
        </div>
        <div className="record-actions">
          {isAdmin && run.status === 'FAILED' && (
            <button type="button" className="btn btn-primary" onClick={() => void retry()} disabled={busy}>{busy ? 'Retrying…' : 'Retry'}</button>
          )}
          <ErrorBox error={retryError} />
        </div>
      </header>
      {run.error && (
        <div className="alert alert-error" role="alert">
          <div>
            <strong>{run.errorStep ? `Step ${run.errorStep} failed: ` : 'Failed: '}</strong>
            {run.error}
          </div>
        </div>
      )}
      <Card title="Trigger data">
        <JsonBlock label="Trigger data" value={run.trigger} />
      </Card>
      <Card title="Steps">
        {run.steps.length === 0 && <p className="muted">No step has started yet.</p>}
        <ol className="wf-run-steps">
          {run.steps.map((s) => (
            <li key={s.key} className="wf-run-step" aria-label={`Step ${s.key}`}>
              <div className="wf-run-step-head">
                <code className="wf-run-key">{s.key}</code>
                <span className="muted">{s.type}</span>
                <StatusBadge status={s.status} />
                <span className="small muted">
                  {s.attempts} {s.attempts === 1 ? 'attempt' : 'attempts'}
                  {s.startedAt && <> · started {fmt.dateTime(s.startedAt)}</>}
                  {s.endedAt && <> · ended {fmt.dateTime(s.endedAt)}</>}
                  {s.retryAt && <> · retry at {fmt.dateTime(s.retryAt)}</>}
                </span>
              </div>
              {s.error && <p className="text-red small wf-run-error">{s.error}</p>}
              <div className="wf-run-io">
                <JsonBlock label={`Input of ${s.key}`} title="Input" value={s.input} />
                <JsonBlock label={`Output of ${s.key}`} title="Output" value={s.output} open={s.status === 'COMPLETED'} />
              </div>
            </li>
          ))}
        </ol>
      </Card>
    </div>
  );
}

function JsonBlock({ label, title, value, open }: { label: string; title?: string; value: unknown; open?: boolean }) {
  const empty = value === null || value === undefined;
  return (
    <details className="wf-json-block" open={open || undefined}>
      <summary className="small">{title ?? 'Show'}{empty ? ' (none)' : ''}</summary>
      <pre className="mono wf-pre" aria-label={label}>{empty ? 'null' : JSON.stringify(value, null, 2)}</pre>
    </details>
  );
}
