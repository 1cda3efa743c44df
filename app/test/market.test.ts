import { describe, expect, it } from 'vitest';
import { marketRows } from '../src/lib/market';
import { fixture } from './fixtures';

describe('markets', () => {
  it('show the freeze authority the program recorded for each mint, or none', () => {
    const { state } = fixture();
    const admin = state.group.admin;
    state.assets[1]!.account = { ...state.assets[1]!.account, hasFreezeAuthority: 1, freezeAuthority: admin };
    const rows = marketRows(state);
    expect(rows.map((r) => r.freezeAuthority)).toEqual([null, admin]);
  });
});
