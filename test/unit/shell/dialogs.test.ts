// main/dialogs.ts with a fake 'electron': the native confirmation is a yes only for the confirm button, and the file
// dialogs map cancel to null.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConfirmRequest } from '../../../main/services/confirmer';
import type { ConfirmSubject } from '../../../main/wallet/confirm';

vi.mock('electron', async () => (await import('./fake-electron')).fakeElectron);
const { fakeElectron } = await import('./fake-electron');
const { ElectronConfirmer, ElectronFileChooser, confirmationDialogOptions } = await import('../../../main/dialogs');

const request: ConfirmRequest = { action: 'margin-in', title: 'Move 1 BTC to margin', review: null, amount: 100_000_000, destination: 'muDRpS4UgfLoBj3ZaZeEcaESKrBUceUU3B', fee: 500 };
const subject: ConfirmSubject = { kind: 'margin-out', amount: 100_000_000, from: 'muDRpS4UgfLoBj3ZaZeEcaESKrBUceUU3B', to: '2N1Ffz3SaWHYSHM3A4NmXQWGGDQnDPJsQmr' };
const win = {} as never;

beforeEach(() => {
  vi.clearAllMocks();
});

describe('ElectronConfirmer', () => {
  it('defaults to Cancel and shows the amounts, destination and fee', () => {
    const o = confirmationDialogOptions(request);
    expect(o).toMatchObject({ type: 'warning', message: 'Move 1 BTC to margin', defaultId: 0, cancelId: 0, buttons: ['Cancel', 'Confirm and sign'] });
    expect(o.detail).toContain('Amount: 1.00000000 BTC');
    expect(o.detail).toContain('To: muDRpS4UgfLoBj3ZaZeEcaESKrBUceUU3B');
    expect(o.detail).toContain('Fee: 0.00000500 BTC');
  });

  it.each([
    [0, false],
    [1, true],
    [2, false],
  ])('dialog response %i → %s, modal to the window', async (response, expected) => {
    fakeElectron.dialog.showMessageBox.mockResolvedValueOnce({ response, checkboxChecked: false });
    await expect(new ElectronConfirmer(() => win).confirm(subject)).resolves.toBe(expected);
    expect(fakeElectron.dialog.showMessageBox.mock.calls[0]?.[0]).toBe(win);
    expect(fakeElectron.dialog.showMessageBox.mock.calls[0]?.[1]).toMatchObject({
      message: 'Move 1 BTC from margin back to the wallet',
      detail: 'Amount: 1.00000000 BTC\nTo: 2N1Ffz3SaWHYSHM3A4NmXQWGGDQnDPJsQmr',
    });
  });
});

describe('ElectronFileChooser', () => {
  it('returns the chosen save path, or null when cancelled', async () => {
    const chooser = new ElectronFileChooser(() => null);
    fakeElectron.dialog.showSaveDialog.mockResolvedValueOnce({ canceled: false, filePath: '/home/u/backup.json' });
    await expect(chooser.choosePath({ title: 'Save', suggestedName: '../../evil/backup.json' })).resolves.toBe('/home/u/backup.json');
    const options = fakeElectron.dialog.showSaveDialog.mock.calls[0]?.[0] as { defaultPath: string };
    expect(options.defaultPath.endsWith('backup.json')).toBe(true);
    expect(options.defaultPath).not.toContain('evil');
    fakeElectron.dialog.showSaveDialog.mockResolvedValueOnce({ canceled: true, filePath: '' });
    await expect(chooser.choosePath({ title: 'Save', suggestedName: 'x' })).resolves.toBeNull();
  });

  it('returns the chosen file to open, or null', async () => {
    const chooser = new ElectronFileChooser(() => win);
    fakeElectron.dialog.showOpenDialog.mockResolvedValueOnce({ canceled: false, filePaths: ['/tmp/a.psbt'] });
    await expect(chooser.chooseFile({ title: 'Open' })).resolves.toBe('/tmp/a.psbt');
    await expect(chooser.chooseFile({ title: 'Open' })).resolves.toBeNull();
  });
});
