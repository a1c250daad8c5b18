// IPC input validation, method by method. For every contract method a set of malformed payloads is generated from
// its schema (missing fields, wrong types, extra fields, huge strings, bad nesting, extra arguments); each must come
// back as a typed INVALID_INPUT error without reaching the service, and the dispatcher must never throw. Every
// generated valid sample must reach the service unchanged, which shows the generator itself is sound.
import * as v from 'valibot';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { generateWif } from '../../../main/coinpit/identity';
import { createDispatch } from '../../../main/ipc-dispatch';
import { schemas } from '../../../main/ipc-schemas';
import { ServiceError } from '../../../main/services/errors';
import { methods, type MethodName } from '../../../preload/contract';
import { stubTable } from './stub-table';

vi.mock('electron', async () => (await import('./fake-electron')).fakeElectron);
const { FORBIDDEN, registerIpc } = await import('../../../main/ipc');
const { ipcMainHandlers } = await import('./fake-electron');

type AnySchema = v.GenericSchema & {
  type: string;
  entries?: Record<string, AnySchema>;
  options?: unknown[];
  wrapped?: AnySchema;
  item?: AnySchema;
  literal?: unknown;
  key?: string;
  pipe?: { type: string; requirement?: unknown }[];
};

const HUGE = 'A'.repeat(2_000_001);
const WIF = generateWif('testnet');

/**
 * Valid strings by field name (the schemas constrain them with patterns a generic generator cannot invert); the
 * first candidate that passes the field's schema is used.
 */
const STRINGS: Record<string, string | string[]> = {
  id: 'p_0123456789abcdef',
  name: ['Main account', '18e5f6966c901e78'],
  wif: WIF,
  passphrase: 'correct horse battery staple',
  coinpitUrl: 'http://127.0.0.1:8080',
  esploraUrl: 'http://127.0.0.1:8080/esplora',
  symbol: 'BTCUSD7J28',
  instrument: 'BTCUSD7J28',
  uuid: '0f8fad5b-d9cb-469f-a165-70867728950e',
  clientid: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
  after: '0f8fad5b-d9cb-469f-a165-70867728950e',
  address: 'mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn',
  label: 'deposit',
  text: 'cHNidP8BAAoCAAAAAAAAAAAAAAAA',
  fileName: 'withdraw.psbt',
  value: '0f8fad5b-d9cb-469f-a165-70867728950e',
};

function pipeOf(s: AnySchema): { type: string; requirement?: unknown }[] {
  return (s.pipe ?? []).slice(1);
}

function numberSample(s: AnySchema): number {
  let n = 1;
  for (const a of pipeOf(s)) {
    if (a.type === 'min_value' && typeof a.requirement === 'number') n = Math.max(n, a.requirement);
    if (a.type === 'gt_value' && typeof a.requirement === 'number') n = Math.max(n, a.requirement + 1);
  }
  return n;
}

/** A valid value for a schema (the first option of a union/variant; optional fields included). */
function sample(s: AnySchema, key = ''): unknown {
  switch (s.type) {
    case 'undefined':
      return undefined;
    case 'string': {
      const candidates = STRINGS[key];
      const text = [candidates ?? []].flat().find((c) => v.safeParse(s, c).success);
      if (text === undefined) throw new Error(`no sample string for field "${key}"`);
      return text;
    }
    case 'number':
      return numberSample(s);
    case 'boolean':
      return true;
    case 'literal':
      return s.literal;
    case 'picklist':
      return (s.options as unknown[])[0];
    case 'optional':
      return sample(s.wrapped!, key);
    case 'union':
    case 'variant':
      return sample((s.options as AnySchema[])[0]!, key);
    case 'array':
      return [sample(s.item!, key)];
    case 'strict_object':
      return Object.fromEntries(Object.entries(s.entries!).map(([k, e]) => [k, sample(e, k)]));
    default:
      throw new Error(`no sample for schema type ${s.type}`);
  }
}

/** Every variant / union option's sample, so each branch is exercised. */
function samples(s: AnySchema, key = ''): unknown[] {
  if (s.type === 'variant' || s.type === 'union') return (s.options as AnySchema[]).flatMap((o) => samples(o, key));
  return [sample(s, key)];
}

/** Values of the wrong JS type for a schema. */
function wrongTypes(s: AnySchema, key = ''): unknown[] {
  const base = s.type === 'optional' ? s.wrapped! : s;
  switch (base.type) {
    case 'string':
      return [42, true, null, {}, [], HUGE];
    case 'number':
      return ['1', true, null, {}, [], NaN, Infinity, -Infinity, 1.5e300];
    case 'boolean':
      return ['true', 1, null, {}, []];
    case 'literal':
    case 'picklist':
      return ['NOT-A-CHOICE', 42, null, {}, HUGE];
    case 'array':
      return ['x', 42, null, {}, [], Array.from({ length: 1000 }, () => sample(base.item!, key))];
    case 'strict_object':
    case 'variant':
      return ['x', 42, null, [], true];
    case 'union':
      return [{}, [], null, 'NOT-A-CHOICE'];
    default:
      return [null];
  }
}

interface Case {
  what: string;
  args: unknown[];
}

/** Malformed versions of `valid` (an object of schema `s`), recursing into nested objects and arrays. */
function malformedObject(s: AnySchema, valid: Record<string, unknown>, where: string): Case[] {
  const out: Case[] = [];
  const wrap = (value: unknown): unknown[] => [value];
  for (const [k, entry] of Object.entries(s.entries!)) {
    const path = `${where}.${k}`;
    if (entry.type !== 'optional') {
      const missing = { ...valid };
      delete missing[k];
      out.push({ what: `missing ${path}`, args: wrap(missing) });
    }
    for (const bad of wrongTypes(entry, k)) {
      out.push({ what: `wrong type at ${path}: ${show(bad)}`, args: wrap({ ...valid, [k]: bad }) });
    }
    const inner = entry.type === 'optional' ? entry.wrapped! : entry;
    if (inner.type === 'strict_object' || inner.type === 'variant') {
      for (const nested of samples(inner)) {
        for (const c of malformedValue(inner, nested, path)) out.push({ what: c.what, args: wrap({ ...valid, [k]: c.args[0] }) });
      }
    }
    if (inner.type === 'array') {
      const item = inner.item!;
      if (item.type === 'strict_object' || item.type === 'variant') {
        for (const nested of samples(item)) {
          for (const c of malformedValue(item, nested, `${path}[0]`)) out.push({ what: c.what, args: wrap({ ...valid, [k]: [c.args[0]] }) });
        }
      } else {
        for (const bad of wrongTypes(item, k)) out.push({ what: `wrong item type at ${path}[0]: ${show(bad)}`, args: wrap({ ...valid, [k]: [bad] }) });
      }
    }
  }
  out.push({ what: `extra field at ${where}`, args: wrap({ ...valid, extra: 1 }) });
  out.push({ what: `extra huge field at ${where}`, args: wrap({ ...valid, [HUGE.slice(0, 300)]: HUGE }) });
  out.push({ what: `__proto__ field at ${where}`, args: wrap({ ...valid, ...(JSON.parse('{"__proto__": {"polluted": 1}}') as object) }) });
  return out;
}

function malformedValue(s: AnySchema, valid: unknown, where: string): Case[] {
  if (s.type === 'variant') {
    const key = s.key!;
    const option = (s.options as AnySchema[]).find((o) => o.entries![key]!.literal === (valid as Record<string, unknown>)[key])!;
    return [
      ...malformedObject(option, valid as Record<string, unknown>, where),
      { what: `unknown ${key} at ${where}`, args: [{ ...(valid as object), [key]: 'no-such-kind' }] },
    ];
  }
  if (s.type === 'strict_object') return malformedObject(s, valid as Record<string, unknown>, where);
  return [];
}

function show(x: unknown): string {
  if (typeof x === 'string') return x.length > 20 ? `string(${x.length})` : JSON.stringify(x);
  if (Array.isArray(x)) return `array(${x.length})`;
  return Number.isNaN(x) ? 'NaN' : String(x === null ? 'null' : typeof x === 'object' ? 'object' : x);
}

/** The generated malformed argument lists for one method. */
function malformedCases(method: MethodName): Case[] {
  const s = schemas[method] as unknown as AnySchema;
  const topLevel: Case[] = [
    { what: 'null', args: [null] },
    { what: 'a number', args: [42] },
    { what: 'a huge string', args: [HUGE] },
    { what: 'an array', args: [[]] },
    { what: 'a boolean', args: [true] },
  ];
  if (s.type === 'undefined') {
    return [...topLevel, { what: 'an object', args: [{}] }, { what: 'two arguments', args: [undefined, undefined] }];
  }
  const out: Case[] = [...topLevel, { what: 'no argument', args: [] }, { what: 'a Map', args: [new Map()] }, { what: 'a Date', args: [new Date()] }];
  const allOptional = s.type === 'strict_object' && Object.values(s.entries!).every((e) => e.type === 'optional');
  if (!allOptional) out.push({ what: 'an empty object', args: [{}] });
  for (const valid of samples(s)) {
    out.push({ what: 'two arguments', args: [valid, valid] });
    out.push(...malformedValue(s, valid, method));
  }
  return out;
}

const names = Object.keys(methods) as MethodName[];

describe('the generated samples', () => {
  it.each(names)('%s: every valid sample passes its schema', (method) => {
    for (const valid of samples(schemas[method] as unknown as AnySchema)) {
      expect(v.safeParse(schemas[method], valid).success, JSON.stringify(valid)?.slice(0, 200)).toBe(true);
    }
  });
});

describe('dispatch with malformed payloads', () => {
  let total = 0;

  it.each(names)('%s: every malformed payload is a typed INVALID_INPUT that never reaches the service', async (method) => {
    const calls: [string, unknown][] = [];
    const dispatch = createDispatch(stubTable({}, calls), () => [WIF]);
    const cases = malformedCases(method);
    expect(cases.length).toBeGreaterThanOrEqual(6);
    for (const c of cases) {
      let reply;
      try {
        reply = await dispatch(method, c.args);
      } catch (e) {
        throw new Error(`${method} threw for ${c.what}: ${String(e)}`);
      }
      expect(reply, `${method}: ${c.what}`).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
      if (reply.ok) continue;
      expect(typeof reply.error.message).toBe('string');
      expect(reply.error.message.length).toBeLessThan(600);
      expect(reply.error.message).not.toContain(WIF);
      expect(reply.error.message).not.toContain('AAAAAAAAAAAAAAAAAAAA');
      expect(Object.keys(reply.error).sort()).toEqual(['code', 'message']);
    }
    expect(calls, `${method} reached the service`).toEqual([]);
    total += cases.length;
  });

  it.each(names)('%s: each valid sample reaches the service once, as sent', async (method) => {
    const calls: [string, unknown][] = [];
    const dispatch = createDispatch(stubTable({}, calls));
    const list = samples(schemas[method] as unknown as AnySchema);
    for (const valid of list) {
      const reply = await dispatch(method, valid === undefined ? [] : [valid]);
      expect(reply).toEqual({ ok: true, value: { stub: method } });
    }
    expect(calls.map((c) => c[0])).toEqual(list.map(() => method));
    expect(calls.map((c) => c[1])).toEqual(list);
  });

  it('generated more than a thousand payloads across all methods', () => {
    expect(total).toBeGreaterThan(1000);
  });
});

describe('dispatch never throws', () => {
  it('answers an unknown method, a non-array argument list and prototype names with INVALID_INPUT', async () => {
    const calls: [string, unknown][] = [];
    const dispatch = createDispatch(stubTable({}, calls));
    for (const name of ['nope', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 'on']) {
      await expect(dispatch(name, [])).resolves.toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    }
    await expect(dispatch('appVersion', 'x' as unknown as unknown[])).resolves.toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(calls).toEqual([]);
  });

  it('turns an object whose getters throw into a typed error', async () => {
    const dispatch = createDispatch(stubTable());
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error(`boom ${WIF}`);
        },
        ownKeys() {
          throw new Error('boom');
        },
      },
    );
    const reply = await dispatch('settingsSet', [hostile]);
    expect(reply.ok).toBe(false);
    if (!reply.ok) {
      expect(['INVALID_INPUT', 'INTERNAL']).toContain(reply.error.code);
      expect(reply.error.message).not.toContain(WIF);
    }
  });

  it('a service error keeps its code; an unexpected error becomes INTERNAL without its text or any held secret', async () => {
    const log: string[] = [];
    const dispatch = createDispatch(
      stubTable({
        connectionConnect: async () => {
          throw new ServiceError('NOT_CONNECTED', `Not connected (key ${WIF})`);
        },
        accountGet: async () => {
          throw new Error(`database said ${WIF}`);
        },
      }),
      () => [WIF],
      (line) => log.push(line),
    );
    const a = await dispatch('connectionConnect', []);
    expect(a).toMatchObject({ ok: false, error: { code: 'NOT_CONNECTED' } });
    expect(JSON.stringify(a)).not.toContain(WIF);
    const b = await dispatch('accountGet', []);
    expect(b).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'Something went wrong in the app. Please try again.' } });
    expect(log.join('\n')).toContain('accountGet failed');
    expect(log.join('\n')).not.toContain(WIF);
  });
});

describe('the sender check, for every channel', () => {
  beforeEach(() => ipcMainHandlers.clear());

  const senders = [
    ['a subframe of the app', { senderFrame: { url: 'app://coinpit/index.html', parent: { url: 'app://coinpit/index.html' } } }],
    ['another origin', { senderFrame: { url: 'https://evil.example/index.html', parent: null } }],
    ['a look-alike app host', { senderFrame: { url: 'app://coinpit.evil/index.html', parent: null } }],
    ['file:', { senderFrame: { url: 'file:///tmp/index.html', parent: null } }],
    ['no frame', { senderFrame: null }],
  ] as const;

  it.each(names)('%s is refused to any sender but the app top frame, without calling the service', async (method) => {
    const calls: [string, unknown][] = [];
    registerIpc({ table: stubTable({}, calls) });
    const handler = ipcMainHandlers.get(methods[method]);
    expect(handler).toBeTypeOf('function');
    const valid = samples(schemas[method] as unknown as AnySchema)[0];
    const args = valid === undefined ? [] : [valid];
    for (const [, sender] of senders) {
      await expect(handler?.(sender, ...args)).resolves.toEqual(FORBIDDEN);
    }
    expect(calls).toEqual([]);
    await expect(handler?.({ senderFrame: { url: 'app://coinpit/index.html', parent: null } }, ...args)).resolves.toEqual({
      ok: true,
      value: { stub: method },
    });
    expect(calls).toHaveLength(1);
  });
});
