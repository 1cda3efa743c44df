//! Perpetual futures against a liquidity vault, cross-margined with spot on the covariance — the
//! engine's part: market parameters, fills, funding by skew, position bookkeeping, and the netting
//! of perp deltas with spot holdings.
//!
//! Units: base amounts in the asset's native units (the spot mint's decimals, so spot and perp
//! amounts add), prices and quote amounts in USD ([`Fx`]).
//!
//! A position keeps its signed base, its signed quote (the cash it has booked: what opening cost,
//! fees inside the fill price, settled funding, settled PnL) and the funding index of its side when
//! last touched; its PnL at price P is `base·P − quote − funding owed`. The vault is every trader's
//! counterparty and books each cash flow with the opposite sign, so traders' and the vault's PnL sum
//! to zero exactly; every rounding goes the vault's way (a trader pays the rounded-up amount and
//! receives the rounded-down one).
//!
//! Funding by skew, no order book: the rate per second is `clamp(k·(L−S)/(L+S), ±cap)` (L, S: long
//! and short open interest); the heavier side pays it, the lighter side receives it at the same rate,
//! and the vault — which holds the net position — receives the difference `(L−S)·rate·P·dt`.
//! Each side has a cumulative index (USD per whole base token, owed by that side's holders): a
//! positive rate raises the long index and lowers the short one by `rate·P·dt`.
use alloc::vec::Vec;

use crate::covariance::CovarianceSource;
use crate::error::{RiskError, RiskResult};
use crate::fixed_point::{fx_ratio, pow10, scale_by_pow10, Fx, FxExt, FRAC_BITS};
use crate::health::{book_health, book_levels, BookHealth, HealthLevels, Holding};
use crate::margin::{margin, margin_levels, MarginLevels, MarginParams, PositionRisk};
use crate::valuation::{biased_price, exposure, native_to_tokens_floor};

/// A perp market's parameters (dimensionless fractions unless stated).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PerpParams {
    /// Half-spread charged on every fill, a fraction of the price.
    pub base_spread: Fx,
    /// Impact: the fill moves by this fraction of the price per unit of `(|Δ| + skew added)` over the
    /// market's total open-interest cap.
    pub impact_fee_scale: Fx,
    /// Funding rate per second at full skew (all open interest on one side), before the cap.
    pub funding_skew_k: Fx,
    /// Largest funding rate per second, either way.
    pub funding_cap: Fx,
    /// Open-interest caps, native base units.
    pub long_oi_cap: i128,
    pub short_oi_cap: i128,
    /// Largest |position notional| a risk-increasing trade may reach, USD.
    pub max_position_notional: Fx,
    /// Share of unrealized profit counted in equity for initial health (< maintenance weight).
    pub upnl_initial_weight: Fx,
    /// Share of unrealized profit counted in equity for maintenance health (≤ 1).
    pub upnl_maintenance_weight: Fx,
    /// Margin per USD of |perp notional| that netting cannot remove (basis and liquidation risk).
    pub floor_rate: Fx,
    /// Liquidation fee, a fraction of the notional taken over.
    pub liquidation_fee: Fx,
    /// Most profit one settlement pays from the vault, USD.
    pub settle_limit: Fx,
}

impl PerpParams {
    /// Rejects values outside their meaningful ranges, naming the parameter.
    pub fn validate(&self) -> RiskResult<()> {
        let p = |name, reason| Err(RiskError::InvalidParameter { name, reason });
        let frac = |v: Fx, max: f64| v >= Fx::ZERO && v <= Fx::from_num(max);
        if !frac(self.base_spread, 0.1) {
            return p("base_spread", "must be in [0, 0.1]");
        }
        if !frac(self.impact_fee_scale, 1.0) {
            return p("impact_fee_scale", "must be in [0, 1]");
        }
        // Per second: 1e-4/s is ~860% a day, far beyond any sane funding.
        if !frac(self.funding_skew_k, 1e-4) {
            return p("funding_skew_k", "must be in [0, 0.0001] per second");
        }
        if !frac(self.funding_cap, 1e-4) {
            return p("funding_cap", "must be in [0, 0.0001] per second");
        }
        if self.long_oi_cap <= 0 || self.short_oi_cap <= 0 {
            return p("oi_cap", "long and short caps must be > 0");
        }
        if self.long_oi_cap.checked_add(self.short_oi_cap).is_none() {
            return p("oi_cap", "long + short caps overflow");
        }
        if self.max_position_notional <= Fx::ZERO {
            return p("max_position_notional", "must be > 0");
        }
        if self.upnl_initial_weight < Fx::ZERO
            || self.upnl_initial_weight >= self.upnl_maintenance_weight
            || self.upnl_maintenance_weight > Fx::ONE
        {
            return p("upnl_weights", "must satisfy 0 ≤ initial < maintenance ≤ 1");
        }
        if !frac(self.floor_rate, 1.0) {
            return p("floor_rate", "must be in [0, 1]");
        }
        if !frac(self.liquidation_fee, 0.2) {
            return p("liquidation_fee", "must be in [0, 0.2]");
        }
        if self.settle_limit <= Fx::ZERO {
            return p("settle_limit", "must be > 0");
        }
        Ok(())
    }
}

/// `k·(L−S)/(L+S)` clamped to `±cap`, per second; 0 without open interest.
pub fn funding_rate(long_oi: i128, short_oi: i128, k: Fx, cap: Fx) -> RiskResult<Fx> {
    if long_oi < 0 || short_oi < 0 {
        return Err(RiskError::InvalidParameter { name: "open_interest", reason: "must be ≥ 0" });
    }
    let total = long_oi
        .checked_add(short_oi)
        .ok_or(RiskError::InvalidParameter { name: "open_interest", reason: "overflows" })?;
    if total == 0 {
        return Ok(Fx::ZERO);
    }
    let skew = fx_ratio(long_oi - short_oi, total)?;
    Ok(k.mul_floor(skew)?.clamp(-cap, cap))
}

/// A market's cumulative funding: USD per whole base token owed by each side's holders.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Funding {
    pub long_index: Fx,
    pub short_index: Fx,
    /// Unix seconds of the last accrual.
    pub last_update: i64,
}

impl Funding {
    /// Accrues funding from `last_update` to `now` at the rate the current open interest sets and
    /// `price`; returns the rate. Time never runs backwards.
    pub fn accrue(
        &mut self,
        long_oi: i128,
        short_oi: i128,
        price: Fx,
        now: i64,
        params: &PerpParams,
    ) -> RiskResult<Fx> {
        let dt = now
            .checked_sub(self.last_update)
            .filter(|d| *d >= 0)
            .ok_or(RiskError::InvalidParameter { name: "now", reason: "is before the last funding update" })?;
        let rate = funding_rate(long_oi, short_oi, params.funding_skew_k, params.funding_cap)?;
        // rate·P·dt with its magnitude rounded up; each position's share is rounded up again
        // (`PerpPosition::funding_owed`), so the vault's net income, (L−S)·rate·P·dt, is never short.
        let per_token = if rate >= Fx::ZERO {
            rate.mul_ceil(price)?.mul_int(dt as i128)?
        } else {
            rate.mul_floor(price)?.mul_int(dt as i128)?
        };
        self.long_index = self.long_index.add_checked(per_token)?;
        self.short_index = self.short_index.sub_checked(per_token)?;
        self.last_update = now;
        Ok(rate)
    }

    /// The index of the side a signed base amount is on (flat counts as long).
    pub fn index_for(&self, base: i128) -> Fx {
        if base >= 0 {
            self.long_index
        } else {
            self.short_index
        }
    }
}

/// `|native| · x / 10^decimals`, rounded toward +∞ (`ceil`) or −∞: the token amount is rounded
/// the way that moves the product in the same direction (up in magnitude when `x` has the sign of
/// the rounding, down otherwise), then the product is rounded that way again. Two directed
/// roundings instead of a 128-bit division (a software routine on SBF): never on the wrong side.
fn per_token_amount(native_abs: i128, decimals: u8, x: Fx, ceil: bool) -> RiskResult<Fx> {
    let tokens_up = ceil == (x >= Fx::ZERO);
    let tokens = match scale_by_pow10(native_abs, FRAC_BITS, decimals as u32, tokens_up) {
        Some(bits) => Fx::from_bits(bits),
        None => {
            let scaled = x.mul_int(native_abs)?;
            let div = Fx::from_num(pow10(decimals as u32)?);
            return Ok(if ceil { scaled.div_ceil(div)? } else { scaled.div_floor(div)? });
        }
    };
    Ok(if ceil { tokens.mul_ceil(x)? } else { tokens.mul_floor(x)? })
}

/// The price a trade of `base_delta` fills at: a buy at `(P + k·conf)·(1 + f)`, rounded up, a sell
/// at `(P − k·conf)·(1 − f)`, rounded down, with `f = base_spread + impact_fee_scale·(|Δ| + skew
/// added)/(long cap + short cap)` — the fee grows with the trade's size and with the skew it adds.
/// `skew` is long minus short open interest before the trade.
pub fn fill_price(
    price: Fx,
    conf: Fx,
    conf_k: Fx,
    base_delta: i128,
    skew: i128,
    params: &PerpParams,
) -> RiskResult<Fx> {
    if price <= Fx::ZERO {
        return Err(RiskError::NonPositivePrice { asset: usize::MAX });
    }
    let err = RiskError::InvalidParameter { name: "base_delta", reason: "overflows" };
    let after = skew.checked_add(base_delta).ok_or(err)?;
    let added = after.checked_abs().ok_or(err)?.saturating_sub(skew.checked_abs().ok_or(err)?).max(0);
    let size = base_delta.checked_abs().ok_or(err)?.checked_add(added).ok_or(err)?;
    let depth = params.long_oi_cap.checked_add(params.short_oi_cap).ok_or(err)?;
    let impact = params.impact_fee_scale.mul_ceil(fx_ratio(size, depth)?)?;
    let f = params.base_spread.add_checked(impact)?;
    let buy = base_delta > 0;
    let p = biased_price(price, conf, conf_k, !buy)?;
    if buy {
        Ok(p.mul_ceil(Fx::ONE.add_checked(f)?)?)
    } else {
        Ok(p.mul_floor(Fx::ONE.sub_checked(f)?.max(Fx::ZERO))?)
    }
}

/// A trader's position in one perp market.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PerpPosition {
    /// Signed native base units (long > 0).
    pub base: i128,
    /// Cash booked, USD: + what the trader paid (opening longs, funding owed), − what it received.
    pub quote: Fx,
    /// Its side's funding index when last touched.
    pub funding_index: Fx,
}

impl PerpPosition {
    /// Funding owed since the last touch, USD (negative: to receive), rounded up: the trader
    /// never pays less nor receives more than the exact amount.
    pub fn funding_owed(&self, decimals: u8, funding: &Funding) -> RiskResult<Fx> {
        if self.base == 0 {
            return Ok(Fx::ZERO);
        }
        let moved = funding.index_for(self.base).sub_checked(self.funding_index)?;
        let abs = self.base.checked_abs().ok_or(RiskError::InvalidParameter { name: "base", reason: "overflows" })?;
        // Owed = |base|·moved: rounded up whatever its sign.
        per_token_amount(abs, decimals, moved, true)
    }

    /// Books the funding owed into the quote and moves the position to the current index; returns
    /// the amount (the vault books its negative: its income).
    pub fn settle_funding(&mut self, decimals: u8, funding: &Funding) -> RiskResult<Fx> {
        let owed = self.funding_owed(decimals, funding)?;
        self.quote = self.quote.add_checked(owed)?;
        self.funding_index = funding.index_for(self.base);
        Ok(owed)
    }

    /// Trades `base_delta` at `fill` (from [`fill_price`]): funding is settled first, then the
    /// trade's cash `Δ·fill` is booked, rounded up (a buyer pays at least it, a seller receives at
    /// most it). Returns the trade's cash flow (the vault books its negative).
    pub fn trade(&mut self, base_delta: i128, decimals: u8, fill: Fx, funding: &Funding) -> RiskResult<Fx> {
        self.settle_funding(decimals, funding)?;
        let err = RiskError::InvalidParameter { name: "base_delta", reason: "overflows" };
        let abs = base_delta.checked_abs().ok_or(err)?;
        let cash = if base_delta >= 0 {
            per_token_amount(abs, decimals, fill, true)?
        } else {
            per_token_amount(abs, decimals, fill, false)?.neg_checked()?
        };
        self.base = self.base.checked_add(base_delta).ok_or(err)?;
        self.quote = self.quote.add_checked(cash)?;
        self.funding_index = funding.index_for(self.base);
        Ok(cash)
    }

    /// PnL at `price`: `base·P − quote − funding owed`, rounded down.
    pub fn pnl(&self, decimals: u8, price: Fx, funding: &Funding) -> RiskResult<Fx> {
        let value = native_to_tokens_floor(self.base, decimals)?.mul_floor(price)?;
        Ok(value.sub_checked(self.quote)?.sub_checked(self.funding_owed(decimals, funding)?)?)
    }

    /// Settles the PnL at `price` (funding included): returns the amount moved to the trader's
    /// quote-asset balance (negative: taken from it) and books it, so the position's PnL at `price`
    /// is then ≥ 0 and below one rounding unit. The vault pays or receives the negative.
    pub fn settle(&mut self, decimals: u8, price: Fx, funding: &Funding) -> RiskResult<Fx> {
        self.settle_funding(decimals, funding)?;
        let pnl = self.pnl(decimals, price, funding)?;
        self.quote = self.quote.add_checked(pnl)?;
        Ok(pnl)
    }

    /// Notional at `price`, USD, rounded up in magnitude.
    pub fn notional(&self, decimals: u8, price: Fx) -> RiskResult<Fx> {
        let abs = self.base.checked_abs().ok_or(RiskError::InvalidParameter { name: "base", reason: "overflows" })?;
        per_token_amount(abs, decimals, price, true)
    }
}

/// PnL as equity counts it: losses in full, profits at `weight` (rounded down).
pub fn weighted_pnl(pnl: Fx, weight: Fx) -> RiskResult<Fx> {
    if pnl <= Fx::ZERO {
        Ok(pnl)
    } else {
        Ok(pnl.mul_floor(weight)?)
    }
}

/// One perp position as the margin model sees it: its delta (netted with spot on the covariance)
/// and its PnL (counted in equity at its weight).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PerpHolding {
    /// The underlying asset's index in the covariance matrix.
    pub asset: usize,
    /// Signed native base units, in the asset's decimals.
    pub base: i128,
    pub decimals: u8,
    pub price: Fx,
    pub conf: Fx,
    /// PnL at the confidence-biased price of its side (a long at `P − k·conf`, a short at
    /// `P + k·conf`), funding owed included, rounded down, USD.
    pub pnl: Fx,
    /// Share of a profit counted for initial health (already scaled by [`profit_scale`]).
    pub initial_weight: Fx,
    /// Share of a profit counted in equity (maintenance), ≥ `initial_weight`.
    pub maintenance_weight: Fx,
    /// The asset's spot floor rate: the floor term of a delta with no spot holding beside it.
    pub floor_rate: Fx,
    /// Margin per USD of |notional| that netting cannot remove ([`PerpParams::add_on_rate`]).
    pub add_on_rate: Fx,
}

/// What a perp position's health needs besides the position itself.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PerpPricing<'a> {
    pub asset: usize,
    pub decimals: u8,
    pub price: Fx,
    pub conf: Fx,
    pub conf_k: Fx,
    pub funding: &'a Funding,
    pub params: &'a PerpParams,
    /// The asset's spot floor rate.
    pub floor_rate: Fx,
    /// The liquidation horizon, seconds (funding stress).
    pub horizon_seconds: u32,
    /// [`profit_scale`] of the market.
    pub profit_scale: Fx,
}

impl PerpHolding {
    /// The position as health sees it: PnL at the biased price of its side, weights scaled by what
    /// the vault can pay. The one conversion of the program, the keeper and the preview.
    pub fn of(pos: &PerpPosition, m: &PerpPricing) -> RiskResult<Self> {
        let biased = biased_price(m.price, m.conf, m.conf_k, pos.base >= 0)?;
        Ok(Self {
            asset: m.asset,
            base: pos.base,
            decimals: m.decimals,
            price: m.price,
            conf: m.conf,
            pnl: pos.pnl(m.decimals, biased, m.funding)?,
            initial_weight: scaled(m.params.upnl_initial_weight, m.profit_scale)?,
            maintenance_weight: scaled(m.params.upnl_maintenance_weight, m.profit_scale)?,
            floor_rate: m.floor_rate,
            add_on_rate: m.params.add_on_rate(m.horizon_seconds)?,
        })
    }
}

/// `w × scale` rounded down; `w` itself at the usual full scale (no multiply).
fn scaled(w: Fx, scale: Fx) -> RiskResult<Fx> {
    if scale == Fx::ONE {
        Ok(w)
    } else {
        Ok(w.mul_floor(scale)?)
    }
}

impl PerpParams {
    /// Margin per USD of |notional| that netting cannot remove, rounded up: the floor rate (basis
    /// and liquidation risk of a hedge) plus funding stress, `funding_cap × horizon`.
    pub fn add_on_rate(&self, horizon_seconds: u32) -> RiskResult<Fx> {
        Ok(self.floor_rate.add_checked(self.funding_cap.mul_int(horizon_seconds as i128)?)?)
    }
}

/// The share of traders' unrealized profit that counts, so profit is never counted beyond what the
/// vault could pay (Drift's `unrealized_pnl_max_imbalance`): 1 when `vault_value` covers
/// `traders_profit`, else `vault_value / traders_profit` rounded down (0 when the vault is empty).
pub fn profit_scale(vault_value: Fx, traders_profit: Fx) -> RiskResult<Fx> {
    if traders_profit <= vault_value {
        return Ok(Fx::ONE);
    }
    if vault_value <= Fx::ZERO {
        return Ok(Fx::ZERO);
    }
    Ok(vault_value.div_floor(traders_profit)?.min(Fx::ONE))
}

/// One [`PositionRisk`] per asset with the spot amount and the perp base added before pricing:
/// `w_i = P̃_i·(spot_i + perp_i)`, with `P̃` the confidence-biased price for the net side. A cash-and-
/// carry book (long spot, short the same perp size) has `w = 0` exactly. Each asset's floor rate is
/// its spot holding's (the perp's, which is the same asset's, when no spot is held).
pub fn net_positions(holdings: &[Holding], perps: &[PerpHolding], conf_k: Fx) -> RiskResult<Vec<PositionRisk>> {
    let mut out: Vec<PositionRisk> = Vec::with_capacity(holdings.len() + perps.len());
    let mut seen: Vec<usize> = Vec::with_capacity(holdings.len() + perps.len());
    let err = RiskError::InvalidParameter { name: "amount", reason: "overflows" };
    for h in holdings {
        if seen.contains(&h.asset) {
            return Err(RiskError::DuplicatePosition { asset: h.asset });
        }
        seen.push(h.asset);
        let mut net = h.amount;
        let mut matched = 0;
        for p in perps.iter().filter(|p| p.asset == h.asset) {
            if p.decimals != h.decimals {
                return Err(RiskError::InvalidParameter { name: "decimals", reason: "perp and spot differ" });
            }
            net = net.checked_add(p.base).ok_or(err)?;
            matched += 1;
        }
        if matched > 1 {
            return Err(RiskError::DuplicatePosition { asset: h.asset });
        }
        if net != 0 {
            let p = biased_price(h.price, h.conf, conf_k, net >= 0)?;
            out.push(PositionRisk {
                asset: h.asset,
                exposure: native_to_tokens_floor(net, h.decimals)?.mul_floor(p)?,
                floor_rate: h.floor_rate,
            });
        }
    }
    for p in perps.iter().filter(|p| !holdings.iter().any(|h| h.asset == p.asset)) {
        if seen.contains(&p.asset) {
            return Err(RiskError::DuplicatePosition { asset: p.asset });
        }
        seen.push(p.asset);
        if p.base != 0 {
            let price = biased_price(p.price, p.conf, conf_k, p.base >= 0)?;
            out.push(PositionRisk {
                asset: p.asset,
                exposure: native_to_tokens_floor(p.base, p.decimals)?.mul_floor(price)?,
                floor_rate: p.floor_rate,
            });
        }
    }
    Ok(out)
}

/// The margin netting cannot remove, USD, rounded up: `Σ |notional_j| × add_on_rate_j`.
pub fn perp_add_on(perps: &[PerpHolding]) -> RiskResult<Fx> {
    let mut total = Fx::ZERO;
    for p in perps {
        let abs = p.base.checked_abs().ok_or(RiskError::InvalidParameter { name: "base", reason: "overflows" })?;
        let notional = per_token_amount(abs, p.decimals, p.price, true)?;
        total = total.add_checked(notional.mul_ceil(p.add_on_rate)?)?;
    }
    Ok(total)
}

/// Equity and margin of a book of spot holdings and perp positions: the deltas net on the
/// covariance (every term of [`margin`] runs on the netted `w`), the perp add-on is added to the
/// maintenance margin, PnL counts in equity with losses in full and profits at the maintenance
/// weight, and the initial margin adds back the gap to the initial weight, so
/// `initial health = spot + Σ(loss + initial_weight·profit) − initial_multiplier·maintenance`.
/// Without perps this is [`book_health`] exactly.
pub fn book_health_with_perps<C: CovarianceSource>(
    cov: &C,
    holdings: &[Holding],
    perps: &[PerpHolding],
    conf_k: Fx,
    params: &MarginParams,
) -> RiskResult<BookHealth> {
    if perps.is_empty() {
        return book_health(cov, holdings, conf_k, params);
    }
    let (equity, mut m, perp) = netted_book(holdings, perps, conf_k, |p| margin(cov, p, params))?;
    let levels = perp.levels(m.maintenance, params)?;
    m.perp_add_on = perp.add_on;
    m.perp_profit_haircut = perp.haircut;
    m.maintenance = levels.maintenance;
    m.initial = levels.initial;
    Ok(BookHealth { equity, margin: m })
}

/// [`book_health_with_perps`]' equity and margin levels alone, bit for bit, cheaper (the spot
/// margin's levels: see [`book_levels`]): what a liquidation is judged by.
pub fn book_levels_with_perps<C: CovarianceSource>(
    cov: &C,
    holdings: &[Holding],
    perps: &[PerpHolding],
    conf_k: Fx,
    params: &MarginParams,
) -> RiskResult<HealthLevels> {
    if perps.is_empty() {
        return book_levels(cov, holdings, conf_k, params);
    }
    let (equity, m, perp) = netted_book(holdings, perps, conf_k, |p| margin_levels(cov, p, params))?;
    let levels = perp.levels(m.maintenance, params)?;
    Ok(HealthLevels { equity, maintenance: levels.maintenance, initial: levels.initial })
}

/// What the perps add to a netted book's margin.
struct PerpMargin {
    /// [`perp_add_on`], inside maintenance.
    add_on: Fx,
    /// `Σ (maintenance − initial weight) × profit`, inside initial only.
    haircut: Fx,
}

impl PerpMargin {
    /// Maintenance and initial margin from the netted book's maintenance margin.
    fn levels(&self, netted_maintenance: Fx, params: &MarginParams) -> RiskResult<MarginLevels> {
        let maintenance = netted_maintenance.add_checked(self.add_on)?;
        let initial = params.initial_multiplier.mul_ceil(maintenance)?.add_checked(self.haircut)?;
        Ok(MarginLevels { maintenance, initial })
    }
}

/// A book with perps: its equity, the margin `margin_of` computes on the netted positions, and what
/// the perps add to it.
fn netted_book<M>(
    holdings: &[Holding],
    perps: &[PerpHolding],
    conf_k: Fx,
    margin_of: impl FnOnce(&[PositionRisk]) -> RiskResult<M>,
) -> RiskResult<(Fx, M, PerpMargin)> {
    let positions = net_positions(holdings, perps, conf_k)?;
    // Equity counts the spot holdings at their own biased prices: an asset without a perp beside it
    // has its netted exposure equal to its spot exposure (same formula), so it is reused.
    let mut equity = Fx::ZERO;
    for h in holdings.iter().filter(|h| h.amount != 0) {
        let e = match positions.iter().find(|p| p.asset == h.asset) {
            Some(p) if !perps.iter().any(|q| q.asset == h.asset) => p.exposure,
            _ => exposure(h.amount, h.decimals, h.price, h.conf, conf_k)?,
        };
        equity = equity.add_checked(e)?;
    }
    let mut haircut = Fx::ZERO;
    for p in perps {
        equity = equity.add_checked(weighted_pnl(p.pnl, p.maintenance_weight)?)?;
        if p.pnl > Fx::ZERO {
            let gap = p.maintenance_weight.sub_checked(p.initial_weight)?.max(Fx::ZERO);
            haircut = haircut.add_checked(p.pnl.mul_ceil(gap)?)?;
        }
    }
    let m = margin_of(&positions)?;
    Ok((equity, m, PerpMargin { add_on: perp_add_on(perps)?, haircut }))
}

pub mod hedge;
pub mod liquidation;

#[cfg(test)]
mod tests;
