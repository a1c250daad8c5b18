// Keyboard shortcuts: one table, used by the key handler and listed by the help overlay. Single keys work when the
// focus is not in a text field (so typing a price never triggers a trade); Escape always works.

import type { View } from '../stores/ui.svelte';

export type ShortcutAction =
  | { kind: 'help' }
  | { kind: 'close' }
  | { kind: 'focus-ticket' }
  | { kind: 'submit'; side: 'buy' | 'sell' }
  | { kind: 'cancel-all' }
  | { kind: 'view'; view: View };

export interface Shortcut {
  keys: string;
  description: string;
  action: ShortcutAction;
  /** the event's `key` and whether Shift must be down */
  key: string;
  shift?: boolean;
}

export const SHORTCUTS: Shortcut[] = [
  { keys: 'B', key: 'b', description: 'Buy: place the order ticket as a buy (on the trade view)', action: { kind: 'submit', side: 'buy' } },
  { keys: 'S', key: 's', description: 'Sell: place the order ticket as a sell (on the trade view)', action: { kind: 'submit', side: 'sell' } },
  { keys: 'Shift+X', key: 'X', shift: true, description: 'Cancel all open orders of the instrument (on the trade view)', action: { kind: 'cancel-all' } },
  { keys: 'T', key: 't', description: 'Focus the order ticket (quantity)', action: { kind: 'focus-ticket' } },
  { keys: '1', key: '1', description: 'Trade view', action: { kind: 'view', view: 'trade' } },
  { keys: '2', key: '2', description: 'Wallet view', action: { kind: 'view', view: 'wallet' } },
  { keys: '3', key: '3', description: 'Offline signing view', action: { kind: 'view', view: 'offline' } },
  { keys: '4', key: '4', description: 'API keys view', action: { kind: 'view', view: 'apikeys' } },
  { keys: '5', key: '5', description: 'Settings', action: { kind: 'view', view: 'settings' } },
  { keys: '?', key: '?', description: 'Show or hide this help', action: { kind: 'help' } },
  { keys: 'Esc', key: 'Escape', description: 'Close the help, a dialog or an edit', action: { kind: 'close' } },
];

function typing(target: EventTarget | null): boolean {
  if (!target || typeof (target as HTMLElement).tagName !== 'string') return false;
  const el = target as HTMLElement;
  if (el.isContentEditable) return true;
  const tag = el.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag !== 'INPUT') return false;
  const type = (el as HTMLInputElement).type;
  return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file'].includes(type);
}

export interface KeyLike {
  key: string;
  shiftKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  target: EventTarget | null;
}

/** The shortcut a key event triggers, or null. */
export function matchShortcut(e: KeyLike): ShortcutAction | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  if (e.key === 'Escape') return { kind: 'close' };
  if (typing(e.target)) return null;
  for (const s of SHORTCUTS) {
    if (s.key === 'Escape') continue;
    if (s.key === '?') {
      if (e.key === '?') return s.action;
      continue;
    }
    if (s.shift) {
      if (e.shiftKey && e.key.toUpperCase() === s.key.toUpperCase()) return s.action;
    } else if (!e.shiftKey && e.key.toLowerCase() === s.key) {
      return s.action;
    }
  }
  return null;
}
