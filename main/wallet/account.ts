// The account a wallet operation works on (PROTOCOL §1): an identity with the server key filled in, plus
// address <-> output-script helpers. Output scripts are network-agnostic, so addresses are always rendered
// for the account's network.
import { address as btcAddress } from 'bitcoinjs-lib';
import { bitcoinjsNetwork, isValidAddress, multisigRedeem, p2pkhAddress, p2shAddress, type Identity, type NetworkName } from '../coinpit/identity';

export type { NetworkName };

export interface WalletAccount {
  network: NetworkName;
  /** user's compressed public key, hex */
  publicKey: string;
  serverPublicKey: string;
  /** user's own P2PKH address */
  userid: string;
  /** margin address (P2PKH of serverPublicKey) */
  serverAddress: string;
  /** 2-of-2 redeem script, hex */
  redeem: string;
  /** P2SH multisig address */
  accountid: string;
}

/**
 * Narrows an identity to a full account and re-derives every address from the two public keys, so an
 * account object assembled from untrusted parts (a stored profile, a file) cannot point elsewhere.
 */
export function walletAccount(id: Identity | WalletAccount): WalletAccount {
  if (!id || typeof id !== 'object') throw new Error('Account: missing identity');
  const { network, publicKey, serverPublicKey } = id;
  if (typeof serverPublicKey !== 'string') throw new Error('Account: the server public key is not known yet');
  const redeem = multisigRedeem(publicKey, serverPublicKey);
  const account: WalletAccount = {
    network,
    publicKey: publicKey.toLowerCase(),
    serverPublicKey: serverPublicKey.toLowerCase(),
    userid: p2pkhAddress(publicKey, network),
    serverAddress: p2pkhAddress(serverPublicKey, network),
    redeem,
    accountid: p2shAddress(redeem, network),
  };
  for (const key of ['userid', 'serverAddress', 'redeem', 'accountid'] as const) {
    const given = id[key];
    if (given !== undefined && given !== account[key]) {
      throw new Error(`Account: ${key} does not match the public keys`);
    }
  }
  return account;
}

/** Output script paying `address`; throws a clear error for an address of another network or garbage. */
export function outputScript(address: string, network: NetworkName): Uint8Array {
  if (!isValidAddress(address, network)) {
    const other: NetworkName = network === 'bitcoin' ? 'testnet' : 'bitcoin';
    if (typeof address === 'string' && isValidAddress(address, other)) {
      throw new Error(`Address ${address} is a ${other} address, expected ${network}`);
    }
    throw new Error(`Invalid ${network} address: ${typeof address === 'string' ? JSON.stringify(address.slice(0, 100)) : typeof address}`);
  }
  return btcAddress.toOutputScript(address, bitcoinjsNetwork(network));
}

/** Address of an output script on `network`, or null for scripts without one (OP_RETURN, bare multisig…). */
export function scriptAddress(script: Uint8Array, network: NetworkName): string | null {
  try {
    return btcAddress.fromOutputScript(script, bitcoinjsNetwork(network));
  } catch {
    return null;
  }
}
