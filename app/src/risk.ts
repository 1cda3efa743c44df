// The program's own health code, compiled to WebAssembly (clients/wasm, built into src/wasm/ by
// `bash scripts/wasm`). This module is the app's only door to it: typed requests built from raw
// account bytes, typed results. Without the build the app still runs and says so — it never
// substitutes numbers of its own.
import type { ActionKind } from './lib/positions';
import { PYTH_RECEIVER } from './lib/pda';
import { toBase64 } from './lib/rpc';
import type { GroupState, MarginAccountView } from './lib/state';

export const RISK_ENGINE_MISSING = 'risk engine not built: run scripts/wasm';

export type RiskAction = { kind: ActionKind; asset: number; amount: string };

export type RiskRequest = {
  group: string;
  risk_model: string;
  assets: string[];
  oracles: (string | null)[];
  vaults: (string | null)[];
  margin_account: string | null;
  /** The perp vault, its token account and every perp market (market order), when the group has them. */
  perp_vault?: string;
  perp_vault_tokens?: string;
  perp_markets?: string[];
  now: number;
  action: RiskAction | null;
  /** For `previewTrade`: the perp trade. */
  trade?: RiskTrade;
};

/** A perp trade: market index, signed native base units (> 0 buys), the limit (USD × 10⁶ per whole
 * token; omitted: none), integers as decimal strings. */
export type RiskTrade = { market: number; base_delta: string; limit_price_e6?: string };

export type PositionRisk = { asset: number; amount: string; value_usd: string; contribution_usd: string };

export type MarginTerms = {
  var: string;
  correlation_spike: string;
  correlation_breakdown: string;
  joint_move: string;
  hedge_floor: string;
  depeg: string;
  floor: string;
};

export type Health = {
  equity: string;
  maintenance_margin: string;
  initial_margin: string;
  initial_health: string;
  maintenance_health: string;
  /** Which margin term is the largest (VaR, correlation spike, breakdown, joint move, floor). */
  binding: string;
  terms?: MarginTerms;
  positions: PositionRisk[];
  equity_bits: string;
  initial_margin_bits: string;
  maintenance_margin_bits: string;
};

export type PreviewResult = {
  ok: boolean;
  error: string | null;
  error_code?: unknown;
  health_error?: string | null;
  before: Health | null;
  after: Health | null;
  /** Shares of the acted-on position after the action (I80F48 bits), as `BalanceChanged` reports them. */
  shares_after_bits?: string | null;
  available_liquidity?: string | null;
};

/** The engine's replay of `trade_perp` (clients/wasm/src/api.rs `preview_trade`). */
export type TradePreviewResult = {
  ok: boolean;
  error: string | null;
  error_code?: unknown;
  health_error?: string | null;
  /** USD per whole token (decimal string) and its I80F48 bits; null when the trade cannot book. */
  fill_price?: string | null;
  fill_price_bits?: string | null;
  /** The position after: signed native base units, cash booked (USD) and its bits. */
  position_after?: { base: string; quote: string; quote_bits: string } | null;
  before: Health | null;
  after: Health | null;
};

/** One perp position as `decode` reports it (floats, for display). */
export type DecodedPerpPosition = {
  market_index: number;
  /** Signed native base units, as a decimal string. */
  base: string;
  /** Cash booked, USD. */
  quote: number;
  /** PnL at the oracle price, funding and realized PnL not yet settled included (null without a price). */
  pnl: number | null;
  /** Funding owed since the last touch, USD (> 0: owed by the trader). */
  funding_owed: number | null;
  /** The oracle price the PnL is at. */
  price: number | null;
};

export type MaxAmountResult = {
  ok: boolean;
  error: string | null;
  amount?: string;
  limited_by?: { code: unknown; message: string } | null;
};

type WasmModule = {
  default: (input?: unknown) => Promise<unknown>;
  preview: (json: string) => string;
  max_amount: (json: string) => string;
  decode: (json: string) => string;
  preview_trade: (json: string) => string;
};

export type RiskEngine = {
  preview(req: RiskRequest): PreviewResult;
  previewTrade(req: RiskRequest): TradePreviewResult;
  maxAmount(req: RiskRequest): MaxAmountResult;
  decode(req: RiskRequest): unknown;
};

export class RiskEngineMissingError extends Error {
  constructor() {
    super(RISK_ENGINE_MISSING);
    this.name = 'RiskEngineMissingError';
  }
}

// A glob rather than a plain import: the build works whether or not src/wasm/ exists yet.
const candidates = import.meta.glob<WasmModule>('./wasm/risk_wasm.js');

let loading: Promise<RiskEngine> | null = null;

function wrap(mod: WasmModule): RiskEngine {
  const call = <T>(f: (json: string) => string, req: RiskRequest): T => JSON.parse(f(JSON.stringify(req))) as T;
  return {
    preview: (req) => call<PreviewResult>(mod.preview, req),
    previewTrade: (req) => call<TradePreviewResult>(mod.preview_trade, req),
    maxAmount: (req) => call<MaxAmountResult>(mod.max_amount, req),
    decode: (req) => call<unknown>(mod.decode, req),
  };
}

/** Loads the engine once; rejects with {@link RiskEngineMissingError} when it has not been built. */
export function loadRiskEngine(): Promise<RiskEngine> {
  if (!loading) {
    const load = candidates['./wasm/risk_wasm.js'];
    loading = load
      ? load().then(async (mod) => {
          await mod.default();
          return wrap(mod);
        })
      : Promise.reject(new RiskEngineMissingError());
    loading.catch(() => undefined);
  }
  return loading;
}

export function riskEngineBuilt(): boolean {
  return candidates['./wasm/risk_wasm.js'] !== undefined;
}

/** The engine's request for `account` (null: a new, empty account) in `state`. */
export function riskRequest(state: GroupState, account: MarginAccountView | null, action: RiskAction | null = null): RiskRequest {
  return {
    group: toBase64(state.groupRaw.data),
    risk_model: toBase64(state.modelRaw.data),
    assets: state.assets.map((a) => toBase64(a.raw.data)),
    // The engine does not check oracle owners: only pass the Pyth receiver's accounts.
    oracles: state.assets.map((a) => (a.oracle.raw && a.oracle.raw.owner === PYTH_RECEIVER ? toBase64(a.oracle.raw.data) : null)),
    vaults: state.assets.map((a) => (a.vault.raw ? toBase64(a.vault.raw.data) : null)),
    margin_account: account ? toBase64(account.raw.data) : null,
    // An account holding perps is valued with them (the engine refuses a preview without them).
    ...(state.perps
      ? {
          perp_vault: toBase64(state.perps.vaultRaw.data),
          perp_vault_tokens: toBase64(state.perps.tokensRaw.data),
          perp_markets: state.perps.markets.map((m) => toBase64(m.raw.data)),
        }
      : {}),
    now: Number(state.now),
    action,
  };
}

/** The engine's request for a perp `trade` by `account` (null: a new, empty account) in `state`. */
export function tradeRequest(state: GroupState, account: MarginAccountView | null, trade: RiskTrade): RiskRequest {
  return { ...riskRequest(state, account), trade };
}
