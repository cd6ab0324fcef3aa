import { useEffect, useRef, useState } from 'react';
import { NavLink, Outlet, useLocation, useNavigate } from 'react-router-dom';
import { useSession } from '../session';
import { TestModeBanner } from './TestModeBanner';

const NAV: { to: string; label: string; icon: string }[] = [
  { to: '/', label: 'Home', icon: '⌂' },
  { to: '/companies', label: 'Companies', icon: '▦' },
  { to: '/people', label: 'People', icon: '☺' },
  { to: '/products', label: 'Products', icon: '◇' },
  { to: '/quotes', label: 'Quotes', icon: '✎' },
  { to: '/orders', label: 'Orders', icon: '▤' },
  { to: '/invoices', label: 'Invoices', icon: '▧' },
  { to: '/payments', label: 'Payments', icon: '✓' },
  { to: '/projects', label: 'Projects', icon: '◫' },
  { to: '/expenses', label: 'Expenses', icon: '−' },
  { to: '/tasks', label: 'Tasks', icon: '☐' },
  { to: '/notes', label: 'Notes', icon: '✐' },
  { to: '/workflows', label: 'Workflows', icon: '⟳' },
];

export function Layout() {
  const { me, isAdmin, logout } = useSession();
  const location = useLocation();
  const mainRef = useRef<HTMLElement>(null);
  // Moving between pages puts focus at the top of the new page, for keyboard and screen reader users.
  useEffect(() => {
    mainRef.current?.focus({ preventScroll: true });
    mainRef.current?.scrollTo?.(0, 0);
  }, [location.pathname]);
  return (
    <div className="app">
      <a href="#main" className="skip-link">Skip to content</a>
      <aside className="sidebar" aria-label="Navigation">
        <WorkspaceSwitcher />
        <nav className="nav">
          {NAV.map((n) => (
            <NavLink key={n.to} to={n.to} end={n.to === '/'}>
              <span className="nav-icon" aria-hidden="true">{n.icon}</span>
              {n.label}
            </NavLink>
          ))}
          {isAdmin && (
            <NavLink to="/settings">
              <span className="nav-icon" aria-hidden="true">⚙</span>
              Settings
            </NavLink>
          )}
        </nav>
        <div className="sidebar-foot">
          <NavLink to="/account" className="user" aria-label={`Your account (${me?.email ?? me?.label ?? ''})`}>
            <span className="avatar" aria-hidden="true">{(me?.email ?? me?.label ?? '?').slice(0, 1).toUpperCase()}</span>
            <span className="user-email">{me?.email ?? me?.label}</span>
          </NavLink>
          <button type="button" className="btn btn-ghost btn-small" onClick={() => void logout()}>
            Sign out
          </button>
        </div>
      </aside>
      <main id="main" className="main" ref={mainRef} tabIndex={-1}>
        {!location.pathname.startsWith('/settings') && <TestModeBanner />}
        <Outlet />
      </main>
    </div>
  );
}

function WorkspaceSwitcher() {
  const { me, workspaces, switchWorkspace } = useSession();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => !ref.current?.contains(e.target as Node) && setOpen(false);
    document.addEventListener('mousedown', close);
    return () => document.removeEventListener('mousedown', close);
  }, [open]);
  const others = (workspaces?.member ?? []).filter((w) => w.id !== me?.workspace.id);
  return (
    <div className="ws" ref={ref}>
      <button
        type="button"
        className="ws-button"
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
        onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}
      >
        <span className="logo" aria-hidden="true">{me?.workspace.name.slice(0, 1) ?? 'S'}</span>
        <span className="ws-text">
          <span className="ws-name">{me?.workspace.name}</span>
          <span className="ws-role" data-testid="role">{me?.role}</span>
        </span>
        {others.length > 0 && <span aria-hidden="true" className="ws-caret">▾</span>}
      </button>
      {open && (
        <div className="ws-menu" role="menu" onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
          <div className="ws-menu-head small muted">Signed in to {me?.workspace.subdomain}</div>
          {others.length === 0 && <div className="small muted ws-menu-item">No other workspaces</div>}
          {others.map((w) => (
            <button
              key={w.id}
              type="button"
              role="menuitem"
              className="ws-menu-item"
              onClick={async () => {
                setOpen(false);
                await switchWorkspace(w.id);
                navigate('/');
              }}
            >
              {w.name} <span className="muted small">{w.role}</span>
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
