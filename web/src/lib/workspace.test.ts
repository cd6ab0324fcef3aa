import { describe, expect, it } from 'vitest';
import { logoFileProblem, logoUrl, profileBody, profileForm, type WorkspaceProfile } from './workspace';

const profile: WorkspaceProfile = {
  name: 'Phos Industries', subdomain: 'phos', address: '12 Harbour Road\nCork', locale: 'en-US', defaultCurrency: 'USD',
  timeZone: 'UTC', logo: null,
};

describe('profileBody', () => {
  it('sends nothing when nothing changed', () => expect(profileBody(profile, profileForm(profile))).toEqual({}));
  it.each([
    [{ name: ' Phos Lasers ' }, { name: 'Phos Lasers' }],
    [{ address: '' }, { address: '' }],
    [{ locale: 'de-DE' }, { locale: 'de-DE' }],
    [{ defaultCurrency: 'eur' }, { defaultCurrency: 'EUR' }],
    [{ defaultCurrency: ' usd ' }, {}],
    [{ address: '12 Harbour Road\nCork  ' }, {}],
  ])('%j → %j', (change, want) => expect(profileBody(profile, { ...profileForm(profile), ...change })).toEqual(want));
});

describe('logo', () => {
  it.each([
    [{ type: 'image/png', size: 1000 }, null],
    [{ type: 'image/png', size: 512 * 1024 }, null],
    [{ type: 'image/png', size: 512 * 1024 + 1 }, 'The logo is 513 KB; at most 512 KB.'],
    [{ type: 'image/jpeg', size: 1000 }, 'The logo must be a PNG image.'],
    [{ type: '', size: 10 }, 'The logo must be a PNG image.'],
  ])('%j', (file, want) => expect(logoFileProblem(file)).toBe(want));
  it('is addressed by its hash', () => {
    expect(logoUrl(profile)).toBeNull();
    expect(logoUrl({ logo: { sha256: 'abcdef0123456789ff', bytes: 10 } })).toBe('/rest/settings/workspace/logo?v=abcdef012345');
  });
});
