import { lazy, Suspense, type ReactNode } from 'react';
import { Navigate, Route, Routes } from 'react-router-dom';
import { useSession } from './session';
import { Layout } from './components/Layout';
import { Login, NoWorkspace } from './pages/Login';
import { AcceptInvitation } from './pages/AcceptInvitation';
import { ValidateDomain, VerifyEmail } from './pages/MailLinks';
import { Account } from './pages/Account';
import { Dashboard } from './pages/Dashboard';
import { ListPage } from './pages/ListPage';
import { RecordPage } from './pages/RecordPage';
import { CreatePage } from './pages/CreatePage';
import { BoardPage } from './pages/BoardPage';
import { Spinner } from './components/ui';
import { OBJECTS } from './lib/objects';

const Settings = lazy(() => import('./pages/Settings').then((m) => ({ default: m.Settings })));
const WorkflowsPage = lazy(() => import('./pages/Workflows').then((m) => ({ default: m.WorkflowsPage })));
const WorkflowPage = lazy(() => import('./pages/Workflows').then((m) => ({ default: m.WorkflowPage })));
const WorkflowRunPage = lazy(() => import('./pages/Workflows').then((m) => ({ default: m.WorkflowRunPage })));

function Lazy({ children }: { children: ReactNode }) {
  return <Suspense fallback={<Spinner />}>{children}</Suspense>;
}

export function App() {
  const { status } = useSession();
  // The links of Settle's mails work whoever is signed in on this browser, or nobody.
  const linkToken = () => new URLSearchParams(window.location.search).get('token') ?? '';
  if (window.location.pathname === '/accept-invitation') return <AcceptInvitation token={linkToken()} />;
  if (window.location.pathname === '/validate-domain') return <ValidateDomain token={linkToken()} />;
  if (window.location.pathname === '/verify-email') return <VerifyEmail token={linkToken()} />;
  if (status === 'loading')
    return (
      <div className="boot">
        <Spinner label="Starting" />
      </div>
    );
  if (status === 'signedOut') return <Login />;
  if (status === 'noWorkspace') return <NoWorkspace />;
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<Dashboard />} />
        <Route path="orders/board" element={<BoardPage object="orders" />} />
        <Route path="projects/board" element={<BoardPage object="projects" />} />
        {OBJECTS.map((o) => (
          <Route key={o.name} path={o.name}>
            <Route index element={<ListPage key={o.name} object={o.name} />} />
            <Route path="new" element={<CreatePage key={o.name} object={o.name} />} />
            <Route path=":id" element={<RecordPage object={o.name} />} />
          </Route>
        ))}
        <Route path="workflows" element={<Lazy><WorkflowsPage /></Lazy>} />
        <Route path="workflows/:id" element={<Lazy><WorkflowPage /></Lazy>} />
        <Route path="workflow-runs/:id" element={<Lazy><WorkflowRunPage /></Lazy>} />
        <Route
          path="settings/*"
          element={
            <Suspense fallback={<Spinner />}>
              <Settings />
            </Suspense>
          }
        />
        <Route path="account" element={<Account />} />
        <Route path="login" element={<Navigate to="/" replace />} />
        <Route path="*" element={<div className="page"><h1>Not found</h1><p>This page does not exist.</p></div>} />
      </Route>
    </Routes>
  );
}
