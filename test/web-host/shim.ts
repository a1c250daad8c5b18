// The browser-side stand-in for the preload: window.coinpit with exactly the contract's methods and the same
// filtered on(), carried over a WebSocket to the web host instead of Electron IPC. Generated as a classic script
// (it must run before the app's module script). The token comes from the page URL's fragment (#token=…), which
// the browser never sends to any server; it is then kept in sessionStorage for reloads and removed from the URL.
import { events, methods } from '../../preload/contract';

export const SHIM_PATH = '/__coinpit/shim.js';
export const WS_PATH = '/__coinpit/ws';

export function shimSource(): string {
  const config = JSON.stringify({ methods: Object.keys(methods), events: [...events], wsPath: WS_PATH });
  return `(() => {
  'use strict';
  const CONFIG = ${config};
  const KEY = 'coinpit-web-host-token';
  let token = '';
  const m = /(?:^#|&)token=([0-9a-f]+)/.exec(location.hash);
  if (m) {
    token = m[1];
    try { sessionStorage.setItem(KEY, token); } catch (e) {}
    history.replaceState(null, '', location.pathname + location.search);
  } else {
    try { token = sessionStorage.getItem(KEY) || ''; } catch (e) {}
  }
  const closed = { ok: false, error: { code: 'INTERNAL', message: 'The connection to the web host is closed.' } };
  const pending = new Map();
  const listeners = new Map();
  let nextId = 1;
  let ws = null;
  let queue = [];
  function connect() {
    ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + CONFIG.wsPath + '?token=' + encodeURIComponent(token));
    ws.onopen = () => { const q = queue; queue = []; for (const text of q) ws.send(text); };
    // one message is a reply {id, reply}, an event {event, payload}, or the events of one host turn as an array
    const receive = (data) => {
      if (data && typeof data.id === 'number' && pending.has(data.id)) {
        const resolve = pending.get(data.id);
        pending.delete(data.id);
        resolve(data.reply);
      } else if (data && typeof data.event === 'string' && listeners.has(data.event)) {
        for (const cb of [...listeners.get(data.event)]) { try { cb(data.payload); } catch (e) { console.error(e); } }
      }
    };
    ws.onmessage = (message) => {
      let data;
      try { data = JSON.parse(message.data); } catch (e) { return; }
      if (Array.isArray(data)) { for (const item of data) receive(item); }
      else receive(data);
    };
    ws.onerror = () => {}; // a refused or dropped connection also fires close, which answers what is pending
    ws.onclose = () => {
      for (const resolve of pending.values()) resolve(closed);
      pending.clear();
      queue = [];
      ws = null;
    };
  }
  function send(text) {
    if (ws === null) connect();
    if (ws.readyState === WebSocket.OPEN) ws.send(text);
    else queue.push(text);
  }
  const api = {};
  for (const name of CONFIG.methods) {
    api[name] = (...args) => new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      send(JSON.stringify({ id, method: name, args }));
    });
  }
  api.on = (event, callback) => {
    if (typeof event !== 'string' || !CONFIG.events.includes(event)) throw new Error('coinpit.on: unknown event "' + String(event) + '"');
    if (typeof callback !== 'function') throw new TypeError('coinpit.on: callback must be a function');
    const listener = (payload) => callback(payload);
    if (!listeners.has(event)) listeners.set(event, new Set());
    listeners.get(event).add(listener);
    if (ws === null) connect();
    return () => { listeners.get(event).delete(listener); };
  };
  Object.defineProperty(window, 'coinpit', { value: Object.freeze(api), writable: false, configurable: false, enumerable: true });
  connect();
})();
`;
}
