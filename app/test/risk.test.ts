import { describe, expect, it } from 'vitest';
import { riskRequest, tradeRequest } from '../src/risk';
import { fixture } from './fixtures';

describe('risk engine requests', () => {
  it('carry base64 account data in index order, the clock and the action', () => {
    const { state, accounts } = fixture();
    state.groupRaw.data = Uint8Array.of(1, 2, 3);
    state.assets[0]!.oracle.raw!.data = Uint8Array.of(9);
    const req = riskRequest(state, accounts[0]!, { kind: 'borrow', asset: 1, amount: '18446744073709551615' });
    expect(req.group).toBe('AQID');
    expect(req.assets).toHaveLength(2);
    expect(req.oracles[0]).toBe('CQ==');
    expect(req.now).toBe(1_700_000_100);
    expect(req.action).toEqual({ kind: 'borrow', asset: 1, amount: '18446744073709551615' });
    expect(JSON.parse(JSON.stringify(req)).action.amount).toBe('18446744073709551615');
  });

  it('pass null for a new account and for oracles the Pyth receiver does not own', () => {
    const { state } = fixture();
    state.assets[1]!.oracle = { ...state.assets[1]!.oracle, raw: { ...state.assets[1]!.oracle.raw!, owner: 'Fake111111111111111111111111111111111111111' as never } };
    const req = riskRequest(state, null);
    expect(req.margin_account).toBeNull();
    expect(req.oracles[1]).toBeNull();
    expect(req.action).toBeNull();
  });

  it('carry the perp vault, its tokens and every perp market when the group has perps', () => {
    const { state, accounts } = fixture();
    expect(riskRequest(state, accounts[0]!).perp_vault).toBeUndefined();
    const raw = (b: number) => ({ ...state.groupRaw, data: Uint8Array.of(b) });
    state.perps = {
      vault: {} as never,
      vaultRaw: raw(1),
      tokensRaw: raw(2),
      markets: [
        { address: state.address, account: {} as never, raw: raw(3) },
        { address: state.address, account: {} as never, raw: raw(4) },
      ],
    };
    const req = riskRequest(state, accounts[0]!);
    expect(req.perp_vault).toBe('AQ==');
    expect(req.perp_vault_tokens).toBe('Ag==');
    expect(req.perp_markets).toEqual(['Aw==', 'BA==']);
  });

  it('carry a perp trade beside the accounts, integers as decimal strings, no spot action', () => {
    const { state, accounts } = fixture();
    const trade = { market: 1, base_delta: '-9223372036854775808', limit_price_e6: '18446744073709551615' };
    const req = tradeRequest(state, accounts[0]!, trade);
    expect(req.action).toBeNull();
    expect(req.margin_account).toBe(riskRequest(state, accounts[0]!).margin_account);
    expect(JSON.parse(JSON.stringify(req)).trade).toEqual(trade);
    expect(tradeRequest(state, null, { market: 0, base_delta: '1' }).trade).toEqual({ market: 0, base_delta: '1' });
  });
});
