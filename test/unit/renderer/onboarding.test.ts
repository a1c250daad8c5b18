import { fireEvent, render, screen } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import type { KeystoreStatus, ProfileSummary } from '../../../preload/contract';
import Onboarding from '../../../renderer/src/components/onboarding/Onboarding.svelte';
import { backups } from '../../../renderer/src/stores/backup.svelte';
import { session } from '../../../renderer/src/stores/session.svelte';
import { fail, fakeApi, installFake, ok, type FakeApi } from './fake-api';
import { CONNECTED } from './setup-stores';

const profile = (over: Partial<ProfileSummary> = {}): ProfileSummary => ({
  id: 'p1',
  name: 'Main',
  network: { kind: 'local' },
  keystore: 'keychain',
  credential: 'coin-key',
  hasKey: false,
  userid: null,
  publicKey: null,
  apiKeyName: null,
  createdAt: 1,
  ...over,
});

let fake: FakeApi;

function setup(keystore: KeystoreStatus): void {
  fake = fakeApi({
    profilesCreate: (req) => ok(profile({ keystore: (req as { keystore: 'keychain' | 'vault' }).keystore })),
    profilesGenerateKey: ok(profile({ hasKey: true, userid: 'mNewUser' })),
    profilesImportWif: fail('INVALID_INPUT', 'That key is for mainnet; the Local exchange uses testnet keys.'),
    profilesSelect: ok({ profiles: [profile({ hasKey: true, userid: 'mNewUser' })], activeId: 'p1', problems: [] }),
    keystoreStatus: ok(keystore),
    profilesBackupExport: ok({ path: '/home/me/coinpit-backup.json' }),
    connectionConnect: ok(CONNECTED),
  });
  installFake(fake);
  session.profiles = [];
  session.activeId = null;
  session.keystore = keystore;
  session.presets = [
    { choice: { kind: 'local' }, label: 'Local', coinpitUrl: '', esploraUrl: '', bitcoinNetwork: 'testnet' },
    { choice: { kind: 'preset', preset: 'testnet' }, label: 'Testnet', coinpitUrl: 'https://live.coinpit.me', esploraUrl: '', bitcoinNetwork: 'testnet' },
  ];
  localStorage.clear();
}

const next = () => fireEvent.click(screen.getByRole('button', { name: 'Next' }));

describe('Onboarding', () => {
  beforeEach(() => setup({ keychain: { available: true }, vaultExists: false, vaultUnlocked: false }));

  it('creates a key in the keychain on the Local network in four clicks and can postpone the backup', async () => {
    render(Onboarding);
    await next();
    expect((screen.getByLabelText(/System keychain/) as HTMLInputElement).checked).toBe(true);
    await next();
    expect((screen.getByLabelText(/Local exchange/) as HTMLInputElement).checked).toBe(true);
    await fireEvent.click(screen.getByRole('button', { name: 'Create key' }));
    expect(await screen.findByRole('heading', { name: 'Back up your key' })).toBeTruthy();
    expect(fake.callsTo('profilesCreate')).toEqual([{ name: 'Main', network: { kind: 'local' }, keystore: 'keychain' }]);
    expect(fake.callsTo('profilesGenerateKey')).toEqual([{ id: 'p1' }]);
    expect((screen.getByRole('button', { name: 'Start trading' }) as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.click(screen.getByRole('button', { name: 'Remind me later' }));
    await new Promise((r) => setTimeout(r, 0));
    expect(backups.needsReminder('p1')).toBe(true);
    expect(fake.callsTo('connectionConnect')).toHaveLength(1);
  });

  it('saving the backup enables Start trading and clears the reminder', async () => {
    render(Onboarding);
    await next();
    await next();
    await fireEvent.click(screen.getByRole('button', { name: 'Create key' }));
    await fireEvent.click(await screen.findByRole('button', { name: 'Save backup file…' }));
    expect(await screen.findByText('Backup saved to /home/me/coinpit-backup.json.')).toBeTruthy();
    expect(backups.state('p1')).toBe('done');
    expect((screen.getByRole('button', { name: 'Start trading' }) as HTMLButtonElement).disabled).toBe(false);
  });

  it('imports a WIF through a masked field and shows the refusal in words', async () => {
    render(Onboarding);
    await fireEvent.click(screen.getByLabelText(/Import a key/));
    const wif = screen.getByLabelText('Private key (WIF)') as HTMLInputElement;
    expect(wif.type).toBe('password');
    await next();
    expect(screen.getByRole('alert').textContent).toBe('Paste or type the key (WIF) to import.');
    await fireEvent.input(wif, { target: { value: 'L1aW4aubDFB7yfras2S1mN3bqg9nwySY8nkoLmJebSLD5BWv3ENZ' } });
    await next();
    await next();
    await fireEvent.click(screen.getByRole('button', { name: 'Import key' }));
    expect((await screen.findByRole('alert')).textContent).toBe('That key is for mainnet; the Local exchange uses testnet keys.');
    expect(fake.callsTo('profilesImportWif')).toEqual([{ id: 'p1', wif: 'L1aW4aubDFB7yfras2S1mN3bqg9nwySY8nkoLmJebSLD5BWv3ENZ' }]);
  });
});

describe('Onboarding without a keychain', () => {
  beforeEach(() =>
    setup({ keychain: { available: false, code: 'NO_SECRET_SERVICE', reason: 'No secret service is running (Linux without gnome-keyring).' }, vaultExists: false, vaultUnlocked: false }),
  );

  it('shows the reason, picks the vault and asks for a passphrase twice', async () => {
    render(Onboarding);
    await next();
    expect(screen.getByTestId('keychain-reason').textContent).toMatch(/No secret service is running/);
    expect((screen.getByLabelText(/System keychain/) as HTMLInputElement).disabled).toBe(true);
    expect((screen.getByLabelText(/Encrypted vault/) as HTMLInputElement).checked).toBe(true);
    await fireEvent.input(screen.getByLabelText('New vault passphrase'), { target: { value: 'correct horse' } });
    await fireEvent.input(screen.getByLabelText('Repeat the passphrase'), { target: { value: 'correct house' } });
    await next();
    expect(screen.getByText('The two passphrases differ.')).toBeTruthy();
    await fireEvent.input(screen.getByLabelText('Repeat the passphrase'), { target: { value: 'correct horse' } });
    await next();
    await fireEvent.click(screen.getByRole('button', { name: 'Create key' }));
    await screen.findByRole('heading', { name: 'Back up your key' });
    expect(fake.callsTo('profilesCreate')).toEqual([{ name: 'Main', network: { kind: 'local' }, keystore: 'vault', passphrase: 'correct horse' }]);
  });
});
