import * as data from '@grpojs/data';
import * as model from '@grpojs/model';
import * as rewards from '@grpojs/rewards';
import * as rl from '@grpojs/rl';
import * as tracking from '@grpojs/tracking';
import { describe, expect, it } from 'vitest';
import * as grpojs from '../src/index.js';

const packages = { data, model, rewards, rl, tracking } as const;

describe('re-exports', () => {
  it('exports every value of every package flat', () => {
    const flat = grpojs as Record<string, unknown>;
    for (const [name, mod] of Object.entries(packages)) {
      for (const key of Object.keys(mod)) expect(flat[key], `${name}.${key}`).toBeDefined();
    }
  });

  it('keeps each package as a namespace', () => {
    for (const [name, mod] of Object.entries(packages)) {
      expect(Object.keys((grpojs as unknown as Record<string, object>)[name]).sort()).toEqual(Object.keys(mod).sort());
    }
  });

  it('has no name that two packages export as different values', () => {
    const owners = new Map<string, string[]>();
    for (const [name, mod] of Object.entries(packages)) for (const key of Object.keys(mod)) owners.set(key, [...(owners.get(key) ?? []), name]);
    const shared = [...owners].filter(([, who]) => who.length > 1);
    // data re-exports the rewards' extractHashAnswer and model the data's Mulberry32: one value
    // each, so the flat export is unambiguous.
    expect(shared.map(([key]) => key).sort()).toEqual(['Mulberry32', 'extractHashAnswer']);
    for (const [key, who] of shared) {
      for (const name of who) expect((packages as Record<string, Record<string, unknown>>)[name][key], `${name}.${key}`).toBe((grpojs as Record<string, unknown>)[key]);
    }
  });
});
