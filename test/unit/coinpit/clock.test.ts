import { describe, expect, it } from 'vitest';
import { Clock } from '../../../main/coinpit/clock';

const HOUR = 3_600_000;

/** A controllable local clock. */
function localClock(start: number) {
  let t = start;
  return { now: () => t, advance: (ms: number) => { t += ms; } };
}

describe('Clock', () => {
  it('starts uncalibrated with nonce = local time', () => {
    const local = localClock(1_500_000_000_000);
    const clock = new Clock(local.now);
    expect(clock.calibrated).toBe(false);
    expect(clock.skewMs).toBe(0);
    expect(clock.nonce()).toBe(1_500_000_000_000);
  });

  for (const skew of [HOUR, -HOUR]) {
    it(`calibrates a ${skew > 0 ? '+' : '-'}1 hour skew away from one Server-Time header`, () => {
      const server = 1_500_000_000_000;
      const local = localClock(server + skew);
      const clock = new Clock(local.now);
      const before = clock.nonce(); // issued on the wrong clock
      expect(before).toBe(server + skew);
      clock.onResponse('GET', String(server)); // uncalibrated: any method calibrates
      expect(clock.calibrated).toBe(true);
      expect(clock.skewMs).toBe(skew);
      const n = clock.nonce();
      expect(Math.abs(n - server)).toBeLessThanOrEqual(1);
      local.advance(2_000);
      expect(Math.abs(clock.nonce() - (server + 2_000))).toBeLessThanOrEqual(1);
    });
  }

  it('GET and PATCH do not recalibrate once calibrated', () => {
    const local = localClock(1_000_000);
    const clock = new Clock(local.now);
    clock.onResponse('POST', '1000000');
    expect(clock.skewMs).toBe(0);
    clock.onResponse('GET', String(1_000_000 - HOUR));
    clock.onResponse('patch', String(1_000_000 - HOUR));
    expect(clock.skewMs).toBe(0);
  });

  for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'post']) {
    it(`${method} recalibrates when already calibrated`, () => {
      const local = localClock(10_000_000);
      const clock = new Clock(local.now);
      clock.calibrate(10_000_000);
      clock.onResponse(method, String(10_000_000 - 5_000));
      expect(clock.skewMs).toBe(5_000);
      expect(clock.nonce()).toBe(10_000_000 - 5_000);
    });
  }

  it('ignores a missing or malformed Server-Time header', () => {
    const clock = new Clock(() => 42_000);
    clock.onResponse('POST', null);
    clock.onResponse('POST', undefined);
    clock.onResponse('POST', 'yesterday');
    clock.onResponse('POST', '-5');
    expect(clock.calibrated).toBe(false);
    expect(clock.nonce()).toBe(42_000);
  });

  it('socket server_time calibrates, junk does not', () => {
    const clock = new Clock(() => 50_000);
    clock.onServerTime('nonsense');
    clock.onServerTime(Number.NaN);
    expect(clock.calibrated).toBe(false);
    clock.onServerTime(20_000);
    expect(clock.skewMs).toBe(30_000);
    expect(clock.nonce()).toBe(20_000);
  });

  it('nonce is strictly increasing even when time stands still or steps back slightly', () => {
    const local = localClock(5_000_000);
    const clock = new Clock(local.now);
    const seen: number[] = [];
    for (let i = 0; i < 50; i++) seen.push(clock.nonce());
    local.advance(-3);
    for (let i = 0; i < 10; i++) seen.push(clock.nonce());
    clock.calibrate(5_000_000 + 1_000); // server 1 s ahead: small step forward
    clock.calibrate(5_000_000 - 1_000); // then 1 s behind: small step back stays monotonic
    for (let i = 0; i < 10; i++) seen.push(clock.nonce());
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThan(seen[i - 1]!);
    expect(seen.every(Number.isInteger)).toBe(true);
  });
});
