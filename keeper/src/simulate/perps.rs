//! Perp participants of the simulation: cash-and-carry books (long spot, short the same perp),
//! directional perp traders, perp-versus-spot pairs, and the LP that funds the vault — acting only
//! through the program's instructions (`trade_perp`, `deposit_perp_liquidity`).
use anyhow::Result;
use portfolio_margin::health::Pricing;
use portfolio_margin::state::{Asset, MarginAccount};
use portfolio_margin_client::chain::{send_ixs, Chain, SendOptions};
use portfolio_margin_client::perp::{self as pp, TradeKeys};
use portfolio_margin_client::state::{load, GroupState, PerpState};
use portfolio_margin_client::{address, token, Keypair, Signer};

use super::traders::{native, Participant, Strategy};
use crate::view::{self, PriceRead};

/// A directional perp trader keeps its notional within this multiple of its equity.
pub const PERP_MULTIPLE: f64 = 3.0;

/// The per-leg counterfactual for a perp leg: a maintenance margin of 5% of its notional, the
/// order of Drift v2's major perp markets (`margin_ratio_maintenance` = 500 of 10,000 at 10×
/// maximum leverage); a peer charges it on the perp leg whatever the spot leg beside it.
pub const STATIC_PERP_RATE: f64 = 0.05;

/// Perp strategies for `n` traders on the assets that have a perp market (`markets[i]` = the
/// asset of market i).
pub fn population(rng: &mut rand_chacha::ChaCha8Rng, n: usize, markets: &[usize]) -> Vec<(Strategy, f64, f64)> {
    use rand::Rng;
    let mut out = vec![];
    for i in 0..n {
        let m = rng.gen_range(0..markets.len());
        let s = match i % 4 {
            0 => Strategy::CashAndCarry { market: m, asset: markets[m] },
            1 => Strategy::PerpDirectional { market: m, asset: markets[m], long: rng.gen_bool(0.5) },
            2 => {
                let other = (m + 1) % markets.len();
                Strategy::PerpVsSpot { long: markets[other], market: m, asset: markets[m] }
            }
            _ => Strategy::PerpDirectional { market: m, asset: markets[m], long: false },
        };
        out.push((s, 10f64.powf(rng.gen_range(4.0..6.0)), rng.gen_range(0.5..0.95)));
    }
    out
}

/// Trades `delta` native base units in market `market` for `p`; returns the program's refusal.
#[allow(clippy::too_many_arguments)]
pub async fn trade<C: Chain>(
    chain: &C,
    admin: &Keypair,
    state: &GroupState,
    perps: &PerpState,
    p: &Participant,
    market: usize,
    delta: i64,
    opts: &SendOptions,
) -> Result<Option<String>> {
    let data = chain.account(&p.account).await?.ok_or_else(|| anyhow::anyhow!("account missing"))?;
    let mut acc: MarginAccount = load(&data.data)?;
    acc.find_or_open_perp(market as u16);
    let spot = state.health_keys(&acc);
    let perp_keys = state.perp_health_keys(&acc);
    let keys = TradeKeys {
        owner: p.key.pubkey(),
        risk_model: state.group.risk_model,
        account: p.account,
        vault: &perps.keys,
        spot: &spot,
        perps: &perp_keys,
    };
    let limit = if delta > 0 { u64::MAX } else { 0 };
    let ix = pp::trade_perp(keys, &perps.markets[market].0, delta, limit);
    let out = send_ixs(chain, admin, &[&p.key], &[ix], &opts.with_fallback_limit(600_000)).await?;
    Ok(out.error_text())
}

/// Moves a perp participant's position toward its strategy's target: a cash-and-carry book's
/// short matches its spot; a perp-versus-spot short matches the spot's value; a directional
/// trader holds `appetite × PERP_MULTIPLE × equity` of notional (halving on a refusal).
#[allow(clippy::too_many_arguments)]
pub async fn relever<C: Chain>(
    chain: &C,
    admin: &Keypair,
    state: &GroupState,
    assets: &[Asset],
    prices: &[PriceRead],
    p: &Participant,
    px: &[f64],
    opts: &SendOptions,
    now: i64,
) -> Result<Option<String>> {
    let Some(perps) = &state.perps else { return Ok(None) };
    let data = chain.account(&p.account).await?.ok_or_else(|| anyhow::anyhow!("account missing"))?;
    let acc: MarginAccount = load(&data.data)?;
    let Ok(h) = view::holdings(assets, prices, &acc, now, Pricing::Strict) else { return Ok(None) };
    let Ok((book, _)) = view::perp_book(&state.group, Some(perps), prices, &acc, now) else { return Ok(None) };
    let spot_of = |a: usize| h.iter().find(|x| x.asset == a).map_or(0i128, |x| x.amount);
    let (market, asset, target) = match &p.strategy {
        Strategy::CashAndCarry { market, asset } => (*market, *asset, -spot_of(*asset)),
        Strategy::PerpVsSpot { long, market, asset } => {
            let d = |i: usize| 10f64.powi(assets[i].decimals as i32);
            let value = spot_of(*long) as f64 / d(*long) * px[*long];
            (*market, *asset, -((value / px[*asset]) * d(*asset)) as i128)
        }
        Strategy::PerpDirectional { market, asset, long } => {
            let health = view::health_with_perps(&state.group, &state.model, &h, &book)?;
            let equity = health.equity.to_num::<f64>().max(0.0);
            let notional = p.appetite * PERP_MULTIPLE * equity;
            let base = (notional / px[*asset] * 10f64.powi(assets[*asset].decimals as i32)) as i128;
            (*market, *asset, if *long { base } else { -base })
        }
        _ => return Ok(None),
    };
    let current = book.iter().find(|b| b.asset == asset).map_or(0, |b| b.base);
    let mut delta = target - current;
    // Small adjustments are not worth a trade.
    if delta.abs() * 50 < target.abs().max(1) {
        return Ok(None);
    }
    let mut last = None;
    for _ in 0..3 {
        if delta == 0 {
            break;
        }
        let d = i64::try_from(delta).unwrap_or(if delta > 0 { i64::MAX } else { i64::MIN });
        match trade(chain, admin, state, perps, p, market, d, opts).await? {
            None => return Ok(None),
            Some(why) => last = Some(why),
        }
        delta /= 2;
    }
    Ok(last)
}

/// The LP: `usd` of the quote asset into the vault for shares (its share account created).
pub async fn fund_vault<C: Chain>(
    chain: &C,
    admin: &Keypair,
    state: &GroupState,
    key: &Keypair,
    tokens: &[anchor_lang::prelude::Pubkey],
    usd: f64,
    opts: &SendOptions,
) -> Result<()> {
    let Some(perps) = &state.perps else { return Ok(()) };
    let q = &perps.keys.quote;
    let me = key.pubkey();
    let rent = chain.rent_exempt_minimum(token::ACCOUNT_LEN).await?;
    let shares = address::seeded_token_account(&me, &perps.keys.share_mint, &q.token_program).0;
    if chain.account(&shares).await?.is_none() {
        let ixs = token::create_seeded_account(&me, &me, &perps.keys.share_mint, &q.token_program, rent);
        send_ixs(chain, admin, &[key], &ixs, opts).await?.check("the LP's share account")?;
    }
    let quote = q.index as usize;
    let amount = native(usd, 1.0, state.assets[quote].account.decimals);
    let markets: Vec<_> = perps.markets.iter().map(|m| m.0).collect();
    let ixs = [
        token::mint_to(&q.token_program, &q.mint, &tokens[quote], &admin.pubkey(), amount),
        pp::deposit_perp_liquidity(&me, &perps.keys, tokens[quote], shares, &markets, amount),
    ];
    send_ixs(chain, admin, &[key], &ixs, opts).await?.check("deposit_perp_liquidity")?;
    Ok(())
}
