// Child process for test/integration/keychain.test.ts: runs KeytarStore against whatever secret service the
// environment gives it (run with `node --import tsx`), and prints one line `RESULT <json>`.
// env: KEYCHAIN_MODULE (absolute path of main/wallet/keychain.ts), PROFILE_ID, SECRET.
const { KeytarStore, KeychainUnavailable, keychainAvailable } = await import(process.env.KEYCHAIN_MODULE);

const id = process.env.PROFILE_ID;
const secret = process.env.SECRET;
const store = new KeytarStore();
const out = {};

async function run(name, f) {
  try {
    out[name] = { ok: true, value: await f() };
  } catch (e) {
    out[name] = {
      ok: false,
      name: e?.name,
      isKeychainUnavailable: e instanceof KeychainUnavailable,
      code: e?.code,
      message: String(e?.message),
      detail: e?.detail,
    };
  }
}

await run('set', () => store.set(id, secret));
await run('get', () => store.get(id));
await run('list', () => store.list());
await run('delete', () => store.delete(id));
await run('getAfterDelete', () => store.get(id));
out.probe = await keychainAvailable();
// Other processes (a keyring daemon) may share stdout: mark our line.
process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
