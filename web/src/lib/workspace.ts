// The workspace as its documents show it (GET/PATCH /rest/settings/workspace, PUT/DELETE
// /rest/settings/workspace/logo, src/crm/workspace_profile.cpp): what the Settings form sends.

export interface WorkspaceProfile {
  name: string;
  subdomain: string;
  address: string;
  locale: string;
  defaultCurrency: string;
  timeZone: string;
  logo: { sha256: string; bytes: number } | null;
}

export interface ProfileForm {
  name: string;
  address: string;
  locale: string;
  defaultCurrency: string;
}

export const MAX_LOGO_BYTES = 512 * 1024;

/** Locales Settle writes amounts in; the server takes any language-REGION. */
export const LOCALE_OPTIONS: { value: string; label: string }[] = [
  { value: 'en-US', label: 'English (United States) · $1,234.56' },
  { value: 'en-GB', label: 'English (United Kingdom) · £1,234.56' },
  { value: 'de-DE', label: 'Deutsch (Deutschland) · 1.234,56 €' },
  { value: 'fr-FR', label: 'Français (France) · 1 234,56 €' },
  { value: 'es-ES', label: 'Español (España) · 1.234,56 €' },
  { value: 'it-IT', label: 'Italiano (Italia) · 1.234,56 €' },
  { value: 'nl-NL', label: 'Nederlands (Nederland) · 1.234,56 €' },
  { value: 'ja-JP', label: '日本語 (日本) · ¥1,235' },
];

export function profileForm(p: WorkspaceProfile): ProfileForm {
  return { name: p.name, address: p.address, locale: p.locale, defaultCurrency: p.defaultCurrency };
}

/** The PATCH body: only what changed, trimmed (the currency upper-cased). */
export function profileBody(was: WorkspaceProfile, f: ProfileForm): Partial<ProfileForm> {
  const out: Partial<ProfileForm> = {};
  const name = f.name.trim(), address = f.address.trim(), currency = f.defaultCurrency.trim().toUpperCase();
  if (name !== was.name) out.name = name;
  if (address !== was.address) out.address = address;
  if (f.locale !== was.locale) out.locale = f.locale;
  if (currency !== was.defaultCurrency) out.defaultCurrency = currency;
  return out;
}

/** Why a chosen file cannot be the logo, before it is sent; null when it may. */
export function logoFileProblem(file: { type: string; size: number }): string | null {
  if (file.type !== 'image/png') return 'The logo must be a PNG image.';
  if (file.size > MAX_LOGO_BYTES) return `The logo is ${Math.ceil(file.size / 1024)} KB; at most 512 KB.`;
  return null;
}

/** Where the logo is shown from; the hash makes a new logo a new address. */
export function logoUrl(p: Pick<WorkspaceProfile, 'logo'>): string | null {
  return p.logo ? `/rest/settings/workspace/logo?v=${p.logo.sha256.slice(0, 12)}` : null;
}
