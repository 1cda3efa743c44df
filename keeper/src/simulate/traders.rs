//! The simulated population: lenders and traders with fixed strategies, acting only through the
//! program's real instructions (deposit, borrow), sized with the same health code the program runs.
use anchor_lang::prelude::Pubkey;
use anyhow::Result;
use portfolio_margin::health::Pricing;
use portfolio_margin::state::{Asset, MarginAccount};
use portfolio_margin_client::chain::{send_ixs, Chain, SendOptions};
use portfolio_margin_client::instructions::{self as pix, AddRiskKeys};
use portfolio_margin_client::state::{load, GroupState};
use portfolio_margin_client::{address, token, Keypair, Signer};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use risk_engine::{Fx, Holding};

use crate::view::{self, PriceRead};

/// What a participant does with its margin account.
#[derive(Clone, Debug, PartialEq)]
pub enum Strategy {
    /// Supplies every asset; never borrows.
    Lender,
    /// Deposits `asset`, borrows the quote (stablecoin): leveraged long.
    Long { asset: usize },
    /// Deposits the quote, borrows `asset`: leveraged short.
    Short { asset: usize },
    /// Deposits `long`, borrows `short` (a correlated pair).
    Hedged { long: usize, short: usize },
    /// Deposits a basket, borrows the quote.
    Diversified { basket: Vec<usize> },
    /// Deposits `asset`, shorts the same amount of its perp (market `market`): delta-neutral.
    CashAndCarry { market: usize, asset: usize },
    /// Deposits the quote, holds a perp position in `asset`'s market.
    PerpDirectional { market: usize, asset: usize, long: bool },
    /// Deposits `long` spot, shorts the perp of another asset for the same value.
    PerpVsSpot { long: usize, market: usize, asset: usize },
}

impl Strategy {
    /// Whether the strategy trades perps.
    pub fn is_perp(&self) -> bool {
        matches!(self, Strategy::CashAndCarry { .. } | Strategy::PerpDirectional { .. } | Strategy::PerpVsSpot { .. })
    }

    pub fn label(&self) -> &'static str {
        match self {
            Strategy::Lender => "lender",
            Strategy::Long { .. } => "leveraged long",
            Strategy::Short { .. } => "leveraged short",
            Strategy::Hedged { .. } => "hedged pair",
            Strategy::Diversified { .. } => "diversified",
            Strategy::CashAndCarry { .. } => "cash and carry (perp)",
            Strategy::PerpDirectional { .. } => "directional perp",
            Strategy::PerpVsSpot { .. } => "perp vs spot",
        }
    }

    /// (assets deposited, asset borrowed) given the quote asset.
    fn legs(&self, quote: usize, n: usize) -> (Vec<usize>, Option<usize>) {
        match self {
            Strategy::Lender => ((0..n).collect(), None),
            Strategy::Long { asset } => (vec![*asset], Some(quote)),
            Strategy::Short { asset } => (vec![quote], Some(*asset)),
            Strategy::Hedged { long, short } => (vec![*long], Some(*short)),
            Strategy::Diversified { basket } => (basket.clone(), Some(quote)),
            Strategy::CashAndCarry { asset, .. } => (vec![*asset], None),
            Strategy::PerpDirectional { .. } => (vec![quote], None),
            Strategy::PerpVsSpot { long, .. } => (vec![*long], None),
        }
    }
}

/// Gross exposure a trader keeps within, as a multiple of its capital.
pub const MAX_GROSS_MULTIPLE: f64 = 6.0;

pub struct Participant {
    pub key: Keypair,
    pub account: Pubkey,
    /// Token account per asset index.
    pub tokens: Vec<Pubkey>,
    pub strategy: Strategy,
    /// Capital brought at entry (and to top up after heavy losses), USD.
    pub capital_usd: f64,
    /// Share of the room to borrow the trader uses each time it re-levers (0..1).
    pub appetite: f64,
    pub next_action_day: usize,
    pub opened: bool,
}

/// The population: `n` traders of mixed strategies plus two lenders, seeded.
pub fn population(
    rng: &mut ChaCha8Rng,
    n: usize,
    volatile: &[usize],
    pairs: &[(usize, usize)],
) -> Vec<(Strategy, f64, f64)> {
    let mut out = vec![(Strategy::Lender, 40_000_000.0, 0.0), (Strategy::Lender, 40_000_000.0, 0.0)];
    for i in 0..n {
        let pick = |rng: &mut ChaCha8Rng| volatile[rng.gen_range(0..volatile.len())];
        let s = match i % 4 {
            0 => Strategy::Long { asset: pick(rng) },
            1 => Strategy::Short { asset: pick(rng) },
            2 => {
                let (a, b) = pairs[rng.gen_range(0..pairs.len())];
                if rng.gen_bool(0.5) {
                    Strategy::Hedged { long: a, short: b }
                } else {
                    Strategy::Hedged { long: b, short: a }
                }
            }
            _ => {
                let mut basket: Vec<usize> = volatile.to_vec();
                while basket.len() > 3 {
                    basket.remove(rng.gen_range(0..basket.len()));
                }
                Strategy::Diversified { basket }
            }
        };
        let capital = 10f64.powf(rng.gen_range(4.0..6.3));
        out.push((s, capital, rng.gen_range(0.5..0.95)));
    }
    out
}

/// Native units of `usd` worth of asset `a` at `price`.
pub fn native(usd: f64, price: f64, decimals: u8) -> u64 {
    (usd / price * 10f64.powi(decimals as i32)).floor().max(0.0) as u64
}

/// Sets up a participant: SOL, token accounts for every asset, margin account.
pub async fn enroll<C: Chain>(
    chain: &C,
    admin: &Keypair,
    state: &GroupState,
    key: Keypair,
    opts: &SendOptions,
) -> Result<(Keypair, Pubkey, Vec<Pubkey>)> {
    chain.airdrop(&key.pubkey(), 1_000_000_000).await?;
    let rent = chain.rent_exempt_minimum(token::ACCOUNT_LEN).await?;
    let mut tokens = vec![];
    let mut ixs = vec![];
    for a in &state.assets {
        let (t, _) = address::seeded_token_account(&key.pubkey(), &a.account.mint, &a.account.token_program);
        ixs.extend(token::create_seeded_account(
            &admin.pubkey(),
            &key.pubkey(),
            &a.account.mint,
            &a.account.token_program,
            rent,
        ));
        tokens.push(t);
    }
    ixs.push(pix::create_margin_account(&key.pubkey(), state.address, 0));
    for chunk in ixs.chunks(8) {
        let out = send_ixs(chain, admin, &[&key], chunk, opts).await?;
        if let Some(e) = out.error_text() {
            anyhow::bail!("enrolling: {e}");
        }
    }
    let account = address::margin_account(&state.address, &key.pubkey(), 0);
    Ok((key, account, tokens))
}

/// Mints `amount` of asset `a` to `to` and deposits it into `p`'s account.
pub async fn fund_and_deposit<C: Chain>(
    chain: &C,
    admin: &Keypair,
    state: &GroupState,
    p: &Participant,
    a: usize,
    amount: u64,
    opts: &SendOptions,
) -> Result<bool> {
    if amount == 0 {
        return Ok(false);
    }
    let k = &state.assets[a].keys;
    let ixs = [
        token::mint_to(&k.token_program, &k.mint, &p.tokens[a], &admin.pubkey(), amount),
        pix::deposit(&p.key.pubkey(), state.address, p.account, k, p.tokens[a], amount),
    ];
    let out = send_ixs(chain, admin, &[&p.key], &ixs, opts).await?;
    Ok(out.result.is_ok())
}

/// The largest borrow of asset `b` (native units) that keeps initial health ≥ 0, by bisection on
/// the program's own health function.
pub fn max_borrow(
    state: &GroupState,
    assets: &[Asset],
    prices: &[PriceRead],
    acc: &MarginAccount,
    b: usize,
    now: i64,
) -> Result<u64> {
    let Ok(mut h) = view::holdings(assets, prices, acc, now, Pricing::Strict) else { return Ok(0) };
    let Ok(pb) = &prices[b] else { return Ok(0) };
    let slot = match h.iter().position(|x| x.asset == b) {
        Some(s) => s,
        None => {
            // The position a first borrow opens, through the program's read path.
            let empty = portfolio_margin::state::Position { asset_index: b as u16, active: 1, ..Default::default() };
            h.push(portfolio_margin::health::holding(&assets[b], &empty, pb, now).map_err(|e| anyhow::anyhow!("{e}"))?);
            h.len() - 1
        }
    };
    let base = h[slot].amount;
    let ok = |x: i128, h: &mut Vec<Holding>| -> bool {
        h[slot].amount = base - x;
        view::health(&state.group, &state.model, h)
            .ok()
            .and_then(|bh| bh.initial_health().ok())
            .is_some_and(|ih| ih >= Fx::ZERO)
    };
    let equity = view::health(&state.group, &state.model, &h)?.equity.to_num::<f64>();
    if equity <= 0.0 {
        return Ok(0);
    }
    let (mut lo, mut hi) =
        (0i128, (equity * 50.0 / pb.price.to_num::<f64>() * 10f64.powi(assets[b].decimals as i32)) as i128 + 1);
    if !ok(0, &mut h) {
        return Ok(0);
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if ok(mid, &mut h) {
            lo = mid
        } else {
            hi = mid
        }
    }
    Ok(lo as u64)
}

/// Borrows `amount` of asset `b` into the participant's wallet. Returns the program's error, if any.
pub async fn borrow<C: Chain>(
    chain: &C,
    admin: &Keypair,
    state: &GroupState,
    p: &Participant,
    b: usize,
    amount: u64,
    opts: &SendOptions,
) -> Result<Option<String>> {
    let data = chain.account(&p.account).await?.ok_or_else(|| anyhow::anyhow!("account missing"))?;
    let mut acc: MarginAccount = load(&data.data)?;
    acc.find_or_open(b as u16);
    let health = state.health_keys(&acc);
    let ix = pix::borrow(
        AddRiskKeys {
            owner: p.key.pubkey(),
            group: state.address,
            risk_model: state.group.risk_model,
            account: p.account,
            asset: &state.assets[b].keys,
            destination: p.tokens[b],
            health: &health,
        },
        amount,
    );
    let out = send_ixs(chain, admin, &[&p.key], &[ix], &opts.with_fallback_limit(400_000)).await?;
    Ok(out.error_text())
}

/// The participant's first action: deposit its capital per its strategy.
pub async fn open<C: Chain>(
    chain: &C,
    admin: &Keypair,
    state: &GroupState,
    p: &Participant,
    quote: usize,
    px: &[f64],
    opts: &SendOptions,
) -> Result<()> {
    let (deposits, _) = p.strategy.legs(quote, state.assets.len());
    let each = p.capital_usd / deposits.len() as f64;
    for a in deposits {
        fund_and_deposit(chain, admin, state, p, a, native(each, px[a], state.assets[a].account.decimals), opts)
            .await?;
    }
    Ok(())
}

/// Re-levers: borrows `appetite` of the room left; tops the capital back up after heavy losses.
/// Returns the program's error of a refused borrow.
#[allow(clippy::too_many_arguments)]
pub async fn relever<C: Chain>(
    chain: &C,
    admin: &Keypair,
    state: &GroupState,
    assets: &[Asset],
    prices: &[PriceRead],
    p: &Participant,
    quote: usize,
    px: &[f64],
    opts: &SendOptions,
    now: i64,
) -> Result<Option<String>> {
    let (deposits, borrowed) = p.strategy.legs(quote, state.assets.len());
    let Some(b) = borrowed else { return Ok(None) };
    let data = chain.account(&p.account).await?.ok_or_else(|| anyhow::anyhow!("account missing"))?;
    let acc: MarginAccount = load(&data.data)?;
    let Ok(h) = view::holdings(assets, prices, &acc, now, Pricing::Strict) else { return Ok(None) };
    let equity = view::health(&state.group, &state.model, &h)?.equity.to_num::<f64>();
    let gross: f64 = h.iter().map(|x| (x.amount as f64 / 10f64.powi(x.decimals as i32) * px[x.asset]).abs()).sum();
    if equity < 0.3 * p.capital_usd {
        let each = (p.capital_usd - equity.max(0.0)) / deposits.len() as f64;
        for &a in &deposits {
            fund_and_deposit(chain, admin, state, p, a, native(each, px[a], state.assets[a].account.decimals), opts)
                .await?;
        }
        return Ok(None);
    }
    // Traders keep gross exposure within a multiple of their capital.
    if gross > MAX_GROSS_MULTIPLE * p.capital_usd {
        return Ok(None);
    }
    let room = max_borrow(state, assets, prices, &acc, b, now)?;
    let amount = (room as f64 * p.appetite) as u64;
    let usd = amount as f64 / 10f64.powi(state.assets[b].account.decimals as i32) * px[b];
    if usd < 0.05 * equity {
        return Ok(None);
    }
    borrow(chain, admin, state, p, b, amount, opts).await
}
