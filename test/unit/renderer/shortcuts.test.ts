import { describe, expect, it } from 'vitest';
import { matchShortcut, SHORTCUTS, type KeyLike } from '../../../renderer/src/lib/shortcuts';

function key(k: string, over: Partial<KeyLike> = {}): KeyLike {
  return { key: k, shiftKey: false, ctrlKey: false, metaKey: false, altKey: false, target: document.body, ...over };
}

describe('keyboard shortcuts', () => {
  it('maps buy, sell, cancel all, focus ticket, views and help', () => {
    expect(matchShortcut(key('b'))).toEqual({ kind: 'submit', side: 'buy' });
    expect(matchShortcut(key('s'))).toEqual({ kind: 'submit', side: 'sell' });
    expect(matchShortcut(key('X', { shiftKey: true }))).toEqual({ kind: 'cancel-all' });
    expect(matchShortcut(key('x'))).toBeNull();
    expect(matchShortcut(key('t'))).toEqual({ kind: 'focus-ticket' });
    expect(matchShortcut(key('2'))).toEqual({ kind: 'view', view: 'wallet' });
    expect(matchShortcut(key('?', { shiftKey: true }))).toEqual({ kind: 'help' });
  });

  it('does nothing while typing in a text field or with a modifier, except Escape', () => {
    const input = document.createElement('input');
    expect(matchShortcut(key('b', { target: input }))).toBeNull();
    expect(matchShortcut(key('Escape', { target: input }))).toEqual({ kind: 'close' });
    const checkbox = document.createElement('input');
    checkbox.type = 'checkbox';
    expect(matchShortcut(key('b', { target: checkbox }))).toEqual({ kind: 'submit', side: 'buy' });
    expect(matchShortcut(key('b', { ctrlKey: true }))).toBeNull();
  });

  it('every shortcut is described for the help overlay', () => {
    for (const s of SHORTCUTS) expect(s.description.length).toBeGreaterThan(5);
    expect(SHORTCUTS.map((s) => s.keys)).toEqual(expect.arrayContaining(['B', 'S', 'Shift+X', 'T', '?']));
  });
});
