import { describe, expect, it } from 'vitest';
import { randomBase64url, randomBytes, randomHex, randomId, randomUuid } from '../../src/base/ids.ts';

describe('random ids and secrets', () => {
  it('come in the shapes their users check', () => {
    expect(randomBytes(12)).toHaveLength(12);
    expect(randomHex(16)).toMatch(/^[0-9a-f]{32}$/);
    expect(randomBase64url(32)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomId('op')).toMatch(/^op_[0-9a-z]{14}$/);
    expect(randomId('task')).toMatch(/^task_[0-9a-z]{14}$/);
    expect(randomUuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('differ from one call to the next', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => randomId('op')));
    expect(ids.size).toBe(1000);
  });
});
