// The protocol library's one public entry (plain Node; never imports electron).
export * from './types';
export * from './hash';
export * from './identity';
export * from './ecdh';
export * from './message';
export * from './auth';
export * from './keyfile';
export * from './instruments';
export * from './validate';
export * from './clock';
export * from './errors';
export * from './rest';
export * from './feed';
