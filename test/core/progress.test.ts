/** How far a machine of an operation has got, from the steps MAAS's status message went through. */
import { describe, expect, it } from 'vitest';
import { targetProgress } from '../../src/core/operations/progress.ts';

const seen = (...messages: string[]) =>
  messages.map((message, i) => ({ at: i, status: 'Deploying', message }));

describe('a machine’s progress', () => {
  it('follows a deploy’s status messages, not only its status', () => {
    const started = targetProgress('deploy', { result: 'pending', history: seen('Deploying') });
    const pxe = targetProgress('deploy', {
      result: 'pending',
      history: seen('Deploying', 'Performing PXE boot'),
    });
    const installing = targetProgress('deploy', {
      result: 'pending',
      history: seen('Deploying', 'Performing PXE boot', 'Loading ephemeral', 'Installing OS'),
    });
    expect(started).toBeLessThan(pxe);
    expect(pxe).toBeLessThan(installing);
    expect(installing).toBeGreaterThanOrEqual(50);
    expect(installing).toBeLessThan(100);
  });

  it('is full once the machine has a result, and never 0 while it goes', () => {
    expect(targetProgress('deploy', { result: 'succeeded', history: seen('Deployed') })).toBe(100);
    expect(targetProgress('deploy', { result: 'failed', history: seen('Installing OS') })).toBe(100);
    expect(targetProgress('deploy', { result: 'pending', history: [] })).toBeGreaterThan(0);
    expect(targetProgress('power_on', { result: 'pending', history: seen('x', 'y') })).toBe(20);
  });
});
