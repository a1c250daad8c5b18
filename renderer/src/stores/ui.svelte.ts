// Which view is shown and the overlays: the help overlay, the add-profile flow, and requests to focus the ticket.

export type View = 'trade' | 'wallet' | 'offline' | 'apikeys' | 'settings';

export const VIEWS: { id: View; label: string; key: string }[] = [
  { id: 'trade', label: 'Trade', key: '1' },
  { id: 'wallet', label: 'Wallet', key: '2' },
  { id: 'offline', label: 'Offline signing', key: '3' },
  { id: 'apikeys', label: 'API keys', key: '4' },
  { id: 'settings', label: 'Settings', key: '5' },
];

class Ui {
  view = $state<View>('trade');
  /** the theme in effect (settings, or the OS preference when the setting is 'system') */
  theme = $state<'dark' | 'light'>('dark');
  helpOpen = $state(false);
  /** the onboarding flow is open: at first run ('first', until its last step) or from Settings ('add') */
  onboarding = $state<'first' | 'add' | null>(null);
  /** bumped to ask the order ticket to take focus */
  ticketFocus = $state(0);
  /** set by a click on a book level: the ticket copies it into its price field */
  pickedPrice = $state<{ price: number; n: number } | null>(null);
  /** bumped by keyboard shortcuts: the ticket submits as buy or sell */
  submitRequest = $state<{ side: 'buy' | 'sell'; n: number } | null>(null);
  cancelAllRequest = $state(0);

  #n = 0;

  pickPrice(price: number): void {
    this.pickedPrice = { price, n: ++this.#n };
  }

  requestSubmit(side: 'buy' | 'sell'): void {
    this.submitRequest = { side, n: ++this.#n };
  }
}

export const ui = new Ui();
