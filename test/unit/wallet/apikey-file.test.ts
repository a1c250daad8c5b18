import { describe, expect, it } from 'vitest';
import nacl from 'tweetnacl';
import { apiKeyAuthorizationMessage, verifyApiKeyAuthorization } from '../../../main/coinpit/auth';
import { fromHex } from '../../../main/coinpit/hash';
import {
  apiKeyRegistration,
  assertCanMoveCoins,
  createAuthorizedApiKey,
  exportApiKeyFile,
  importApiKeyFile,
  MoneyOperationRefused,
} from '../../../main/wallet/apikey-file';
import { account, SERVER_PUB, SERVER_WIF, USER_WIF } from './tx-fixtures';

describe('cold-key API key files', () => {
  it('creates a trade key authorized by the coin key, with the account addresses', () => {
    const key = createAuthorizedApiKey(USER_WIF, { serverPublicKey: SERVER_PUB });
    expect(key.role).toBe('trade');
    expect(key.name).toBe(key.apiPublicKey.slice(0, 16));
    expect(key).toMatchObject({ userid: account.userid, publicKey: account.publicKey, serverAddress: account.serverAddress, accountid: account.accountid });
    expect(verifyApiKeyAuthorization({ ...key, authorization: key.authorization!, publicKey: key.publicKey! })).toBe(true);
    // the Ed25519 key actually signs
    const msg = new TextEncoder().encode(apiKeyAuthorizationMessage(key));
    expect(nacl.sign.detached.verify(msg, nacl.sign.detached(msg, fromHex(key.secretKey)), fromHex(key.apiPublicKey))).toBe(true);
  });

  it('export → import round trip; registration body carries no secret', () => {
    const key = createAuthorizedApiKey(USER_WIF, { serverPublicKey: SERVER_PUB });
    const text = exportApiKeyFile(key);
    const back = importApiKeyFile(text, { userid: account.userid, serverPublicKey: SERVER_PUB });
    expect(back).toEqual(key);
    const reg = apiKeyRegistration(back);
    expect(reg).toEqual({ name: key.name, role: 'trade', apiPublicKey: key.apiPublicKey, userid: key.userid, publicKey: key.publicKey, authorization: key.authorization });
    expect(JSON.stringify(reg)).not.toContain(key.secretKey.slice(0, 64));
  });

  it('a read key works the same way', () => {
    const key = createAuthorizedApiKey(USER_WIF, { role: 'read' });
    expect(importApiKeyFile(exportApiKeyFile(key)).role).toBe('read');
    expect(key.accountid).toBeUndefined();
  });

  it('refuses tampered, unauthorized and foreign files without echoing the secret', () => {
    const key = createAuthorizedApiKey(USER_WIF, { serverPublicKey: SERVER_PUB });
    const obj = JSON.parse(exportApiKeyFile(key));
    const attempts: [Record<string, unknown>, RegExp][] = [
      [{ ...obj, role: 'read' }, /"authorization" is not a valid signature/], // role escalation / change
      [{ ...obj, authorization: undefined }, /"authorization" is missing/],
      [{ ...obj, publicKey: undefined }, /"publicKey".*missing/],
      [{ ...obj, authorization: createAuthorizedApiKey(SERVER_WIF).authorization }, /not a valid signature/],
      [{ ...obj, secretKey: obj.secretKey.replace(/^./, obj.secretKey[0] === 'a' ? 'b' : 'a') }, /does not belong to "apiPublicKey"/],
      [{ ...obj, name: 'k4' }, /"name" must be the first 16 hex/],
      [{ ...obj, role: 'admin' }, /"role" must be/],
    ];
    for (const [bad, msg] of attempts) {
      let err: Error | undefined;
      try {
        importApiKeyFile(JSON.stringify(bad));
      } catch (e) {
        err = e as Error;
      }
      expect(err?.message).toMatch(msg);
      expect(err?.message).not.toContain(obj.secretKey);
    }
    expect(() => importApiKeyFile(exportApiKeyFile(key).slice(0, 80))).toThrow(/not valid JSON/);
    expect(() => importApiKeyFile(exportApiKeyFile(key), { userid: 'n2wG3dnDH1FngNGfozFcfA1TZTDHDdAYRD' })).toThrow(/belongs to/);
    // another server key (here: a known key that is not this account's server key)
    const otherServer = '035da95734281849a327dea6402bd9c19f49bdd5b04f1cbb3136512984ec7b8d34';
    expect(() => importApiKeyFile(exportApiKeyFile(key), { serverPublicKey: otherServer })).toThrow(/"serverAddress" does not belong/);
    expect(() => importApiKeyFile(JSON.stringify({ ...obj, accountid: '2N4htmodeibCZVtLKRX9EFg8RGL4xdifi6x' }), { serverPublicKey: SERVER_PUB })).toThrow(/"accountid" is not this account's multisig/);
  });

  it('exporting an unauthorized key is refused', () => {
    const key = createAuthorizedApiKey(USER_WIF);
    expect(() => exportApiKeyFile({ ...key, authorization: undefined })).toThrow(/not authorized|missing/);
  });

  it('money operations are refused in API-key mode with a clear message', () => {
    for (const op of ['margin-in', 'margin-out', 'withdraw', 'recovery', 'sign'] as const) {
      expect(() => assertCanMoveCoins('api-key', op)).toThrow(MoneyOperationRefused);
      expect(() => assertCanMoveCoins('coin-key', op)).not.toThrow();
    }
    expect(() => assertCanMoveCoins('api-key', 'withdraw')).toThrow(/withdraw moves coins.*cannot move coins/);
  });
});
