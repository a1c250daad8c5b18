// Puts the singleton stores in a connected state with one instrument, for component tests.

import type { ConnectionStatus } from '../../../preload/contract';
import { accountStore } from '../../../renderer/src/stores/account.svelte';
import { market } from '../../../renderer/src/stores/market.svelte';
import { session } from '../../../renderer/src/stores/session.svelte';
import { ticketState } from '../../../renderer/src/stores/ticket.svelte';
import { defaultTicket } from '../../../renderer/src/lib/ticket';
import { account, band, instrument, SYMBOL } from './fixtures';

export const CONNECTED: ConnectionStatus = {
  state: 'connected',
  profileId: 'p1',
  network: { choice: { kind: 'local' }, label: 'Local', coinpitUrl: 'http://127.0.0.1:1', esploraUrl: '', bitcoinNetwork: 'testnet' },
  readonly: false,
  skewMs: 0,
  serverTime: 1,
  accountid: '2NAccount',
  serverAddress: 'mServer',
  lastError: null,
};

export function connectedStores(): void {
  market.instruments = { [SYMBOL]: instrument };
  market.bands = { [SYMBOL]: band };
  market.symbol = SYMBOL;
  session.connection = CONNECTED;
  session.settings = { theme: 'dark', units: 'sat' };
  session.profiles = [
    { id: 'p1', name: 'Main', network: { kind: 'local' }, keystore: 'keychain', credential: 'coin-key', hasKey: true, userid: 'mUser', publicKey: '02aa', apiKeyName: null, createdAt: 1 },
  ];
  session.activeId = 'p1';
  accountStore.account = account();
  ticketState.fields = defaultTicket(instrument);
  ticketState.symbol = SYMBOL;
}
