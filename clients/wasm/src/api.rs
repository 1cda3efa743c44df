//! The JSON layer: requests of base64 account data, responses of decimal strings (no numbers that
//! lose precision in JavaScript). Every entry point returns a JSON object; failures are
//! `{"ok": false, "error": …}`, never a panic.
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use portfolio_margin::state::{Asset, ModelView};
use risk_engine::health::positions_of;
use risk_engine::margin::risk_contributions;
use risk_engine::{CovarianceSource, Fx};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Value};

use crate::books::{self, account_health, accrue, evaluate, Action, Books, Health, Kind, Market, Refusal};
use crate::trade::{evaluate_trade, Trade};

/// What `preview`, `max_amount` and `decode` take.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct Request {
    /// Group account data, base64.
    pub group: String,
    /// Risk model account data, base64.
    pub risk_model: String,
    /// Every asset account's data, base64, in index order.
    pub assets: Vec<String>,
    /// PriceUpdateV2 account data per asset (index order), base64, or null when the account does
    /// not exist. Only pass accounts owned by the Pyth receiver program: the owner is not checked.
    #[serde(default)]
    pub oracles: Vec<Option<String>>,
    /// Optional: each asset's vault token account data (index order), base64 or null. Without it the
    /// liquidity check uses the books' lower bound of the vault (`liquidity_exact: false`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vaults: Vec<Option<String>>,
    /// Margin account data, base64; null for a new, empty account.
    #[serde(default)]
    pub margin_account: Option<String>,
    /// With perp positions: the group's perp vault, its token account and every perp market (market
    /// order), base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perp_vault: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perp_vault_tokens: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub perp_markets: Vec<String>,
    /// Unix seconds the program's clock will read (oracle age, interest accrual).
    #[serde(default)]
    pub now: Option<i64>,
    #[serde(default)]
    pub action: Option<ActionRequest>,
    /// For `preview_trade`: the trade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade: Option<TradeRequest>,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct TradeRequest {
    /// The perp market's index.
    pub market: u16,
    /// Signed native base units (> 0 buys), i64 as a decimal string (a JSON number is accepted).
    #[serde(deserialize_with = "string_or_number")]
    pub base_delta: String,
    /// The worst acceptable fill, USD × 10⁶ per whole token (a buy's maximum, a sell's minimum),
    /// u64 as a decimal string; omitted: no limit.
    #[serde(default, deserialize_with = "opt_string_or_number", skip_serializing_if = "Option::is_none")]
    pub limit_price_e6: Option<String>,
}

fn opt_string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        other => Err(serde::de::Error::custom(format!("limit_price_e6 must be a decimal string, got {other}"))),
    }
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct ActionRequest {
    /// "deposit" | "withdraw" | "borrow" | "repay".
    pub kind: String,
    pub asset: u16,
    /// Native units, u64 as a decimal string (a JSON number is accepted too).
    #[serde(deserialize_with = "string_or_number")]
    pub amount: String,
}

fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!("amount must be a decimal string, got {other}"))),
    }
}

fn b64(data: &[u8]) -> String {
    B64.encode(data)
}

impl Request {
    /// A request from raw account data (what a Rust caller, e.g. a test, has at hand).
    #[allow(clippy::too_many_arguments)]
    pub fn from_accounts(
        group: &[u8],
        risk_model: &[u8],
        assets: &[Vec<u8>],
        oracles: &[Option<Vec<u8>>],
        vaults: &[Option<Vec<u8>>],
        margin_account: Option<&[u8]>,
        now: i64,
        action: Option<(Kind, u16, u64)>,
    ) -> Request {
        Request {
            group: b64(group),
            risk_model: b64(risk_model),
            assets: assets.iter().map(|a| b64(a)).collect(),
            oracles: oracles.iter().map(|o| o.as_deref().map(b64)).collect(),
            vaults: vaults.iter().map(|o| o.as_deref().map(b64)).collect(),
            margin_account: margin_account.map(b64),
            perp_vault: None,
            perp_vault_tokens: None,
            perp_markets: vec![],
            trade: None,
            now: Some(now),
            action: action.map(|(kind, asset, amount)| ActionRequest {
                kind: match kind {
                    Kind::Deposit => "deposit",
                    Kind::Withdraw => "withdraw",
                    Kind::Borrow => "borrow",
                    Kind::Repay => "repay",
                }
                .into(),
                asset,
                amount: amount.to_string(),
            }),
        }
    }

    /// The decoded accounts.
    pub fn load(&self) -> Result<(Market, Books), Refusal> {
        let dec =
            |s: &str, what: &str| B64.decode(s).map_err(|e| Refusal::request(format!("{what}: invalid base64 ({e})")));
        let group = dec(&self.group, "group")?;
        let model = dec(&self.risk_model, "risk_model")?;
        let assets = self
            .assets
            .iter()
            .enumerate()
            .map(|(i, a)| dec(a, &format!("assets[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let opt = |v: &[Option<String>], what: &str| -> Result<Vec<Option<Vec<u8>>>, Refusal> {
            v.iter()
                .enumerate()
                .map(|(i, o)| o.as_deref().map(|s| dec(s, &format!("{what}[{i}]"))).transpose())
                .collect()
        };
        let oracles = opt(&self.oracles, "oracles")?;
        let vaults = opt(&self.vaults, "vaults")?;
        let account = self.margin_account.as_deref().map(|s| dec(s, "margin_account")).transpose()?;
        let (mut market, books) = books::load(&group, &model, &assets, &oracles, &vaults, account.as_deref())?;
        if let (Some(v), Some(t)) = (&self.perp_vault, &self.perp_vault_tokens) {
            let markets = self
                .perp_markets
                .iter()
                .enumerate()
                .map(|(i, m)| dec(m, &format!("perp_markets[{i}]")))
                .collect::<Result<Vec<_>, _>>()?;
            let group_key = books.account.group;
            market.perps = Some(books::PerpBooks::load(
                &group_key,
                &dec(v, "perp_vault")?,
                &dec(t, "perp_vault_tokens")?,
                &markets,
            )?);
        }
        Ok((market, books))
    }

    pub fn now(&self) -> Result<i64, Refusal> {
        self.now.ok_or_else(|| Refusal::request("`now` (unix seconds) is required"))
    }

    pub fn action(&self) -> Result<Option<Action>, Refusal> {
        let Some(a) = &self.action else { return Ok(None) };
        let kind = Kind::parse(&a.kind).ok_or_else(|| {
            Refusal::request(format!("action.kind must be deposit, withdraw, borrow or repay, not {:?}", a.kind))
        })?;
        let amount =
            a.amount.trim().parse::<u64>().map_err(|_| {
                Refusal::request(format!("action.amount must be a u64 decimal string, not {:?}", a.amount))
            })?;
        Ok(Some(Action { kind, asset: a.asset, amount }))
    }
}

fn fail(e: &Refusal) -> Value {
    json!({ "ok": false, "error": e.message, "error_code": e.code })
}

fn dec(v: Fx) -> String {
    v.to_string()
}

fn f(v: Fx) -> f64 {
    v.to_num::<f64>()
}

/// Health as the app shows it, with the exact bits the program's events carry.
pub fn health_json(market: &Market, h: &Health) -> Result<Value, Refusal> {
    let b = &h.book;
    let math = |_| Refusal::program(portfolio_margin::error::ErrorCode::MathOverflow);
    let params = market.group.params.margin_params().map_err(Refusal::anchor)?;
    let risks = positions_of(&h.holdings, market.group.params.conf_k.get()).map_err(math)?;
    let contributions = risk_contributions(&ModelView { model: &market.model }, &risks, &params).map_err(math)?;
    let mut positions = Vec::with_capacity(h.holdings.len());
    let mut next = risks.iter().zip(contributions.iter());
    for hold in &h.holdings {
        // positions_of skips zero amounts; they have no value and no contribution.
        let (value, contribution) = if hold.amount != 0 {
            next.next().map(|(r, c)| (r.exposure, *c)).unwrap_or_default()
        } else {
            Default::default()
        };
        positions.push(json!({
            "asset": hold.asset,
            "amount": hold.amount.to_string(),
            "value_usd": dec(value),
            "contribution_usd": dec(contribution),
        }));
    }
    let ih = b.initial_health().map_err(math)?;
    let mh = b.maintenance_health().map_err(math)?;
    let m = &b.margin;
    Ok(json!({
        "equity": dec(b.equity),
        "maintenance_margin": dec(m.maintenance),
        "initial_margin": dec(m.initial),
        "initial_health": dec(ih),
        "maintenance_health": dec(mh),
        "binding": m.binding.name(),
        "terms": {
            "var": dec(m.var),
            "correlation_spike": dec(m.correlation_spike),
            "correlation_breakdown": dec(m.correlation_breakdown),
            "joint_move": dec(m.joint_move),
            "hedge_floor": dec(m.hedge_floor),
            "depeg": dec(m.depeg),
            "floor": dec(m.floor),
        },
        "positions": positions,
        "equity_bits": b.equity.to_bits().to_string(),
        "initial_margin_bits": m.initial.to_bits().to_string(),
        "maintenance_margin_bits": m.maintenance.to_bits().to_string(),
    }))
}

fn health_or_error(market: &Market, h: Result<Health, Refusal>) -> (Value, Option<Refusal>) {
    match h.and_then(|h| health_json(market, &h)) {
        Ok(v) => (v, None),
        Err(e) => (Value::Null, Some(e)),
    }
}

/// `preview`: health before, the action replayed, health after, and whether the program accepts it.
pub fn preview(req: &Request) -> Value {
    match preview_inner(req) {
        Ok(v) => v,
        Err(e) => fail(&e),
    }
}

fn preview_inner(req: &Request) -> Result<Value, Refusal> {
    let (market, books) = req.load()?;
    let now = req.now()?;
    let action = req.action()?;
    let (before, before_err) = health_or_error(&market, account_health(&market, &books, now));
    let Some(action) = action else {
        return Ok(json!({
            "ok": before_err.is_none(),
            "error": before_err.as_ref().map(|e| e.message.clone()),
            "error_code": before_err.as_ref().map(|e| e.code.clone()),
            "health_error": before_err.as_ref().map(|e| e.message.clone()),
            "before": before,
            "after": Value::Null,
        }));
    };
    let ev = evaluate(&market, &books, action, now, true);
    let verdict = ev.verdict();
    let (after, after_err) = match ev.after.clone() {
        Some(h) => health_or_error(&market, h),
        None => (Value::Null, None),
    };
    // Liquidity as the handler measures it (withdraw and borrow): after accrual, fees excluded.
    let liquidity = match (action.kind.adds_risk(), books.assets.get(action.asset as usize)) {
        (true, Some(a)) => {
            let mut accrued = *a;
            accrue(&mut accrued, now).ok().map(|_| accrued.available_liquidity(ev.vault.0).to_string())
        }
        _ => None,
    };
    let health_error = before_err.or(after_err).map(|e| e.message);
    Ok(json!({
        "ok": verdict.is_ok(),
        "error": verdict.as_ref().err().map(|e| e.message.clone()),
        "error_code": verdict.as_ref().err().map(|e| e.code.clone()),
        "health_error": health_error,
        "before": before,
        "after": after,
        "shares_after_bits": ev.state.as_ref().ok().map(|s| s.to_bits().to_string()),
        "available_liquidity": liquidity,
        "liquidity_exact": if action.kind.adds_risk() { Value::Bool(ev.vault.1) } else { Value::Null },
    }))
}

/// `preview_trade`: health before, the trade replayed (`trade_perp`'s own booking and health
/// rule), the fill, the position and health after, and whether the program accepts it.
pub fn preview_trade(req: &Request) -> Value {
    match preview_trade_inner(req) {
        Ok(v) => v,
        Err(e) => fail(&e),
    }
}

fn preview_trade_inner(req: &Request) -> Result<Value, Refusal> {
    let (market, books) = req.load()?;
    let now = req.now()?;
    let t = req.trade.as_ref().ok_or_else(|| Refusal::request("`trade` (market, base_delta) is required"))?;
    let base_delta = t.base_delta.trim().parse::<i64>().map_err(|_| {
        Refusal::request(format!("trade.base_delta must be an i64 decimal string, not {:?}", t.base_delta))
    })?;
    let limit_price_e6 = match &t.limit_price_e6 {
        Some(l) => l
            .trim()
            .parse::<u64>()
            .map_err(|_| Refusal::request(format!("trade.limit_price_e6 must be a u64 decimal string, not {l:?}")))?,
        // No limit: a buy's maximum, a sell's minimum.
        None if base_delta > 0 => u64::MAX,
        None => 0,
    };
    let trade = Trade { market: t.market, base_delta, limit_price_e6 };
    let (before, before_err) = health_or_error(&market, account_health(&market, &books, now));
    let ev = evaluate_trade(&market, &books, trade, now)?;
    let (after, after_err) = match ev.after {
        Some(h) => health_or_error(&market, h),
        None => (Value::Null, None),
    };
    let position = ev.booked.as_ref().ok().map(|b| {
        json!({
            "base": b.new.base.to_string(),
            "quote": dec(b.new.quote),
            "quote_bits": b.new.quote.to_bits().to_string(),
        })
    });
    Ok(json!({
        "ok": ev.verdict.is_ok(),
        "error": ev.verdict.as_ref().err().map(|e| e.message.clone()),
        "error_code": ev.verdict.as_ref().err().map(|e| e.code.clone()),
        "health_error": before_err.or(after_err).map(|e| e.message),
        "fill_price": ev.booked.as_ref().ok().map(|b| dec(b.fill)),
        "fill_price_bits": ev.booked.as_ref().ok().map(|b| b.fill.to_bits().to_string()),
        "position_after": position,
        "before": before,
        "after": after,
    }))
}

/// `max_amount`: the largest `action.kind` amount of `action.asset` the program accepts now.
pub fn max_amount(req: &Request) -> Value {
    match max_amount_inner(req) {
        Ok(v) => v,
        Err(e) => fail(&e),
    }
}

fn max_amount_inner(req: &Request) -> Result<Value, Refusal> {
    let (market, books) = req.load()?;
    let now = req.now()?;
    let a = req.action.as_ref().ok_or_else(|| Refusal::request("`action` (kind and asset) is required"))?;
    let kind = Kind::parse(&a.kind).ok_or_else(|| Refusal::request(format!("unknown action.kind {:?}", a.kind)))?;
    let m = books::max_amount(&market, &books, kind, a.asset, now)?;
    let exact = market.vaults.get(a.asset as usize).is_some_and(|v| v.is_some());
    Ok(json!({
        "ok": true,
        "error": Value::Null,
        "amount": m.amount.to_string(),
        "limited_by": m.limited_by.map(|r| json!({ "code": r.code, "message": r.message })),
        "liquidity_exact": exact || !kind.adds_risk(),
    }))
}

/// `decode`: the accounts for display (floats; not for decisions).
pub fn decode(req: &Request) -> Value {
    match decode_inner(req) {
        Ok(v) => v,
        Err(e) => fail(&e),
    }
}

fn asset_json(market: &Market, a: &Asset, now: Option<i64>) -> Result<Value, Refusal> {
    let math = |_| Refusal::program(portfolio_margin::error::ErrorCode::MathOverflow);
    let pool = a.pool();
    let u = pool.utilization().map_err(math)?;
    let rate = a.curve().borrow_rate(u).map_err(math)?;
    let price = now.map(|now| match market.price(a, now) {
        Ok(p) => json!({ "price": f(p.price), "conf": f(p.conf), "publish_time": p.publish_time }),
        Err(e) => json!({ "error": e.message, "error_code": e.code }),
    });
    Ok(json!({
        "index": a.index,
        "mint": a.mint.to_string(),
        "decimals": a.decimals,
        "total_deposits": f(pool.total_deposits().map_err(math)?),
        "total_borrows": f(pool.total_borrows().map_err(math)?),
        "protocol_fees": f(pool.protocol_fees),
        "utilization": f(u),
        "borrow_rate": f(rate),
        // What depositors earn at this utilisation: borrow rate × U × (1 − protocol share).
        "deposit_rate": f(rate) * f(u) * (1.0 - f(a.protocol_share.get())),
        "deposit_index": f(pool.deposit_index),
        "borrow_index": f(pool.borrow_index),
        "last_accrual": a.last_accrual,
        "deposit_cap": a.deposit_cap.to_string(),
        "borrow_cap": a.borrow_cap.to_string(),
        "floor_rate": f(a.floor_rate.get()),
        "protocol_share": f(a.protocol_share.get()),
        "oracle": price,
    }))
}

/// The perp vault and markets for display: open interest against its caps, the funding rate the
/// skew sets now (the engine's `funding_rate`, per day), the funding indices, the spread.
fn perps_json(p: &books::PerpBooks, books: &Books) -> Result<Value, Refusal> {
    let math = |_| Refusal::program(portfolio_margin::error::ErrorCode::MathOverflow);
    let mut markets = vec![];
    for m in &p.markets {
        let params = m.params.engine();
        let rate = risk_engine::perp::funding_rate(
            m.long_oi as i128,
            m.short_oi as i128,
            params.funding_skew_k,
            params.funding_cap,
        )
        .map_err(math)?;
        let tokens = |v: u64| v as f64 / 10f64.powi(m.decimals as i32);
        markets.push(json!({
            "market_index": m.market_index,
            "asset_index": m.asset_index,
            "symbol_asset": books.assets.get(m.asset_index as usize).map(|a| a.mint.to_string()),
            "long_oi": tokens(m.long_oi),
            "short_oi": tokens(m.short_oi),
            "long_oi_cap": tokens(m.params.long_oi_cap),
            "short_oi_cap": tokens(m.params.short_oi_cap),
            "funding_rate_per_day": f(rate) * 86_400.0,
            "funding_cap_per_day": f(params.funding_cap) * 86_400.0,
            "long_funding_index": f(m.long_funding_index.get()),
            "short_funding_index": f(m.short_funding_index.get()),
            "last_funding": m.last_funding,
            "base_spread": f(params.base_spread),
            "max_position_notional": f(params.max_position_notional),
            "upnl_initial_weight": f(params.upnl_initial_weight),
            "upnl_maintenance_weight": f(params.upnl_maintenance_weight),
            "liquidation_fee": f(params.liquidation_fee),
            "net_quote": f(m.net_quote.get()),
        }));
    }
    let dec = p.vault.quote_decimals as i32;
    Ok(json!({
        "vault_tokens": p.tokens as f64 / 10f64.powi(dec),
        "max_utilization": f(p.vault.max_utilization.get()),
        "market_count": p.vault.market_count,
        "markets": markets,
    }))
}

/// The account's perp positions: size, entry (quote), and at `now` (with the perp accounts and
/// fresh prices) the unrealized PnL at the oracle price and the funding owed (> 0: owed by the
/// trader), as the health check accrues them; without them, size and entry only.
fn perp_positions_json(market: &Market, books: &Books, now: Option<i64>) -> Vec<Value> {
    let slots: Vec<_> = books.account.active_perps().copied().collect();
    let entries = now.and_then(|now| books::perp_entries(market, books, now).ok());
    slots
        .iter()
        .enumerate()
        .map(|(i, slot)| {
            let pos = slot.position();
            let live = entries.as_ref().and_then(|e| e.get(i)).map(|(lp, _)| {
                let d = lp.market.decimals;
                (pos.pnl(d, lp.price.price, &lp.funding).ok(), pos.funding_owed(d, &lp.funding).ok(), f(lp.price.price))
            });
            json!({
                "market_index": slot.market_index,
                "base": pos.base.to_string(),
                "quote": f(pos.quote),
                "pnl": live.and_then(|l| l.0).map(f),
                "funding_owed": live.and_then(|l| l.1).map(f),
                "price": live.map(|l| l.2),
            })
        })
        .collect()
}

fn decode_inner(req: &Request) -> Result<Value, Refusal> {
    let (market, books) = req.load()?;
    let p = &market.group.params;
    let n = market.model.asset_count as usize;
    let view = ModelView { model: &market.model };
    let vols: Vec<f64> = (0..n).map(|i| view.vol(i).map(f).unwrap_or(0.0)).collect();
    let corr: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| {
                    let d = vols[i] * vols[j];
                    if d > 0.0 {
                        f(view.cov(i, j)) / d
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect();
    let assets = books.assets.iter().map(|a| asset_json(&market, a, req.now)).collect::<Result<Vec<_>, _>>()?;
    let account = if req.margin_account.is_some() {
        let acc = &books.account;
        let positions = acc
            .positions
            .iter()
            .enumerate()
            .filter(|(_, p)| p.active == 1)
            .map(|(slot, p)| {
                let amount = books
                    .assets
                    .get(p.asset_index as usize)
                    .map(|a| a.position_amount(&a.pool(), p).map(|v| v.to_string()).ok());
                json!({ "slot": slot, "asset": p.asset_index, "shares": f(p.shares.get()), "amount": amount.flatten() })
            })
            .collect::<Vec<_>>();
        json!({
            "owner": acc.owner.to_string(),
            "index": acc.index,
            "positions": positions,
            "perp_positions": perp_positions_json(&market, &books, req.now),
        })
    } else {
        Value::Null
    };
    let perps = match &market.perps {
        Some(p) => perps_json(p, &books)?,
        None => Value::Null,
    };
    Ok(json!({
        "ok": true,
        "error": Value::Null,
        "perps": perps,
        "group": {
            "group_id": market.group.group_id,
            "asset_count": market.group.asset_count,
            "params": {
                "lambda": f(p.lambda.get()),
                "z": f(p.z.get()),
                "spike_alpha": f(p.spike_alpha.get()),
                "breakdown_beta": f(p.breakdown_beta.get()),
                "stress_vol_multiplier": f(p.stress_vol_multiplier.get()),
                "joint_move_sigmas": f(p.joint_move_sigmas.get()),
                "initial_multiplier": f(p.initial_multiplier.get()),
                "hedge_floor": f(p.hedge_floor.get()),
                "slow_lambda": f(p.slow_lambda.get()),
                "vol_floor_weight": f(p.vol_floor_weight.get()),
                "short_lambda": f(p.short_lambda.get()),
                "short_vol_weight": f(p.short_vol_weight.get()),
                "conf_k": f(p.conf_k.get()),
                "max_conf_ratio": f(p.max_conf_ratio.get()),
                "liquidator_fee": f(p.liquidator_fee.get()),
                "insurance_fee": f(p.insurance_fee.get()),
                "sample_interval_seconds": p.sample_interval_seconds,
                "horizon_seconds": p.horizon_seconds,
                "oracle_max_age_seconds": p.oracle_max_age_seconds,
            },
        },
        "assets": assets,
        "model": {
            "asset_count": n,
            "sample_count": market.model.sample_count,
            "last_sample_time": market.model.last_sample_time,
            // Per sample interval (√Σ_ii).
            "volatility": vols,
            "correlation": corr,
        },
        "account": account,
    }))
}

/// Parses a request string, runs `f`, prints the JSON; malformed JSON is a `BadRequest`.
pub fn run(request_json: &str, f: fn(&Request) -> Value) -> String {
    match serde_json::from_str::<Request>(request_json) {
        Ok(req) => f(&req).to_string(),
        Err(e) => fail(&Refusal::request(format!("request is not valid JSON of the expected shape: {e}"))).to_string(),
    }
}
