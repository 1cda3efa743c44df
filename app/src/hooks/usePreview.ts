import { useMemo } from 'react';
import type { RiskAction, RiskEngine, PreviewResult, RiskTrade, TradePreviewResult } from '../risk';
import { riskRequest, tradeRequest } from '../risk';
import type { GroupState, MarginAccountView } from '../lib/state';

/** The engine's verdict on `action` for `account` in `state` (null while anything is missing). */
export function usePreview(
  engine: RiskEngine | null,
  state: GroupState | null,
  account: MarginAccountView | null | undefined,
  action: RiskAction | null,
): PreviewResult | null {
  return useMemo(() => {
    if (!engine || !state || account === undefined) return null;
    try {
      return engine.preview(riskRequest(state, account, action));
    } catch (e) {
      return { ok: false, error: e instanceof Error ? e.message : String(e), before: null, after: null };
    }
  }, [engine, state, account, action]);
}

/** The engine's replay of a perp `trade` by `account` in `state` (null while anything is missing). */
export function usePreviewTrade(
  engine: RiskEngine | null,
  state: GroupState | null,
  account: MarginAccountView | null | undefined,
  trade: RiskTrade | null,
): TradePreviewResult | null {
  return useMemo(() => {
    if (!engine || !state || account === undefined || !trade) return null;
    try {
      return engine.previewTrade(tradeRequest(state, account, trade));
    } catch (e) {
      return { ok: false, error: e instanceof Error ? e.message : String(e), before: null, after: null };
    }
  }, [engine, state, account, trade]);
}
