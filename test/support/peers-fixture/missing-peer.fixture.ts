// Run only by test/support/peers.test.ts: a suite whose peer is missing.
import { expect, it } from 'vitest';
import { describeWithPeers, itWithPeers } from '../peers.js';

describeWithPeers({ 'an imaginary peer': false })('a suite that needs an imaginary peer', () => {
  it('would run with its peer', () => {
    expect(true).toBe(true);
  });
});

itWithPeers({ 'another imaginary peer': false })('a test that needs another imaginary peer', () => {
  expect(true).toBe(true);
});
