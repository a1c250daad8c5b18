import { fireEvent, render, screen } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ApiKeyInfo, ImportedSigningFile, TxReview } from '../../../preload/contract';
import ApiKeysView from '../../../renderer/src/components/apikeys/ApiKeysView.svelte';
import OfflineView from '../../../renderer/src/components/offline/OfflineView.svelte';
import WithdrawPanel from '../../../renderer/src/components/wallet/WithdrawPanel.svelte';
import { fail, fakeApi, installFake, ok, type FakeApi } from './fake-api';
import { connectedStores } from './setup-stores';

let fake: FakeApi;

beforeEach(() => {
  fake = fakeApi();
  installFake(fake);
  connectedStores();
});

const review = (over: Partial<TxReview> = {}): TxReview =>
  ({
    kind: 'recovery',
    network: 'testnet',
    txid: 'f'.repeat(64),
    amount: 99_000,
    fee: 1000,
    feeVerified: true,
    feeUnverifiedReason: null,
    coverage: { covered: 100_000, total: 100_000 },
    signatures: { userSigned: 0, serverSigned: 1, inputs: 1, complete: false },
    outputs: [{ index: 0, address: 'mUserAddress', script: '76a9', value: 99_000, destination: 'user', ours: true, role: 'recovery' }],
    refusals: [],
    warnings: [],
    ok: true,
    ...over,
  }) as TxReview;

describe('OfflineView', () => {
  it('reads pasted text, shows the review, signs after it, then saves', async () => {
    const file: ImportedSigningFile = { id: 'f1', format: 'hex', fileName: null, review: review(), signed: false };
    fake.reply('offlineImportFile', ok(file));
    fake.reply('offlineSign', ok({ id: 'f1', complete: true, txid: 'f'.repeat(64), review: review({ signatures: { userSigned: 1, serverSigned: 1, inputs: 1, complete: true } }) }));
    fake.reply('offlineExport', ok({ path: '/media/usb/recovery.signed.txt' }));
    render(OfflineView);
    await fireEvent.click(screen.getByRole('button', { name: 'Read pasted text' }));
    expect(screen.getByRole('alert').textContent).toMatch(/Paste the transaction/);
    await fireEvent.input(screen.getByLabelText(/paste it here/), { target: { value: '0200000001abcd' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Read pasted text' }));
    expect(await screen.findByTestId('offline-review')).toBeTruthy();
    expect(fake.callsTo('offlineImportFile')).toEqual([{ source: 'text', text: '0200000001abcd' }]);
    expect(screen.getByText('your own address (recovery)')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Save signed file…' }) as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.click(screen.getByRole('button', { name: 'Sign…' }));
    expect(await screen.findByText('Signed: every input now has both signatures.')).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Save signed file…' }));
    expect(await screen.findByText('Saved to /media/usb/recovery.signed.txt.')).toBeTruthy();
  });

  it('a refused review cannot be signed and says why', async () => {
    render(OfflineView);
    fake.reply('offlineImportFile', ok({ id: 'f2', format: 'psbt', fileName: 'x.psbt', review: review({ ok: false, refusals: [{ code: 'FOREIGN', message: 'An output pays an address that is not yours.' }] }), signed: false }));
    await fireEvent.click(screen.getByRole('button', { name: 'Open file…' }));
    expect(await screen.findByText('An output pays an address that is not yours.')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Sign…' }) as HTMLButtonElement).disabled).toBe(true);
  });
});

describe('ApiKeysView', () => {
  const key = (over: Partial<ApiKeyInfo> = {}): ApiKeyInfo => ({ name: '18e5f6966c901e78', role: 'trade', apiPublicKey: 'ab'.repeat(32), userid: 'mUser', registered: false, local: true, ...over });

  it('creates a key, registers it, and shows a refusal next to the key', async () => {
    fake.reply('apiKeysList', ok([]));
    fake.reply('apiKeysCreate', ok(key()));
    fake.reply('apiKeysRegister', fail('SERVER', 'Authentication failed. SIGN mismatch'));
    render(ApiKeysView);
    expect(await screen.findByText('No API keys.')).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Create key' }));
    expect(await screen.findByText('Created key 18e5f6966c901e78.')).toBeTruthy();
    expect(fake.callsTo('apiKeysCreate')).toEqual([{ role: 'trade' }]);
    await fireEvent.click(screen.getByRole('button', { name: 'Register key 18e5f6966c901e78' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Authentication failed. SIGN mismatch');
  });
});

describe('WithdrawPanel', () => {
  it('checks the fields, shows the review first, and signs only on confirmation', async () => {
    fake.reply('walletWithdraw', ok({ txid: 'c'.repeat(64), review: review({ kind: 'withdraw' }) }));
    render(WithdrawPanel);
    await fireEvent.click(screen.getByRole('button', { name: 'Review withdrawal' }));
    expect(screen.getByText('Enter a Bitcoin address.')).toBeTruthy();
    await fireEvent.input(screen.getByLabelText('To address'), { target: { value: 'mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn' } });
    await fireEvent.input(screen.getByLabelText(/^Amount/), { target: { value: '25000' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Review withdrawal' }));
    const reviewBox = await screen.findByTestId('withdraw-review');
    expect(reviewBox.textContent).toContain('25,000 sat');
    expect(reviewBox.textContent).toContain('mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn');
    expect(fake.callsTo('walletWithdraw')).toHaveLength(0);
    await fireEvent.click(screen.getByRole('button', { name: 'Confirm and sign' }));
    expect(await screen.findByText(`Sent: transaction ${'c'.repeat(64)}.`)).toBeTruthy();
    expect(fake.callsTo('walletWithdraw')).toEqual([{ address: 'mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn', amount: 25000 }]);
  });

  it('a declined confirmation is said in words', async () => {
    fake.reply('walletWithdraw', fail('DECLINED', 'declined'));
    render(WithdrawPanel);
    await fireEvent.input(screen.getByLabelText('To address'), { target: { value: 'mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn' } });
    await fireEvent.click(screen.getByLabelText(/everything/));
    await fireEvent.click(screen.getByRole('button', { name: 'Review withdrawal' }));
    await fireEvent.click(await screen.findByRole('button', { name: 'Confirm and sign' }));
    expect((await screen.findByRole('alert')).textContent).toBe('You declined the confirmation; nothing was signed.');
    expect(fake.callsTo('walletWithdraw')).toEqual([{ address: 'mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn', amount: 'max' }]);
  });
});
