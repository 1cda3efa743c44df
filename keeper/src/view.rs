//! The program's own health code run off-chain: oracle prices go through the program's
//! `oracle::read_price` (same owner, registered address, feed, age and confidence checks) on
//! host-built account infos, positions through `health::holding` (debts accrued to now in memory),
//! health through the shared risk engine. What the keeper sees is what the program will
//! enforce.
use anchor_lang::prelude::{AccountInfo, Pubkey};
use anyhow::Result;
use portfolio_margin::health::{perp_entry, vault_share, LoadedPerp, Pricing};
use portfolio_margin::oracle::{read_price, OraclePrice};
use portfolio_margin::state::{Asset, Group, MarginAccount, ModelView, RiskModel};
use portfolio_margin_client::state::{GroupState, PerpState};
use risk_engine::health::{BookHealth, Holding};
use risk_engine::perp::{book_health_with_perps, PerpHolding};
use risk_engine::Fx;
use solana_account::Account;

/// An oracle's price, or why the program would refuse it right now.
pub type PriceRead = Result<OraclePrice, String>;

/// Reads one oracle account as the program would at `now`.
pub fn read_oracle(address: &Pubkey, account: Option<&Account>, asset: &Asset, now: i64, group: &Group) -> PriceRead {
    let Some(account) = account else { return Err(format!("oracle {address} does not exist")) };
    let mut lamports = account.lamports;
    let mut data = account.data.clone();
    let info = AccountInfo::new(address, false, false, &mut lamports, &mut data, &account.owner, false);
    match read_price(&info, &asset.oracle, &asset.feed_id, now, &group.params) {
        Ok(Ok(p)) => Ok(p),
        Ok(Err(why)) => Err(format!("{:?}", why.error())),
        Err(e) => Err(e.to_string()),
    }
}

/// Every asset's oracle read at `now`, by asset index.
pub fn read_oracles(state: &GroupState, oracles: &[Option<Account>], now: i64) -> Vec<PriceRead> {
    state
        .assets
        .iter()
        .zip(oracles)
        .map(|(a, o)| read_oracle(&a.keys.oracle, o.as_ref(), &a.account, now, &state.group))
        .collect()
}

/// The account's holdings as the program builds them for a health check at `now` (positions in
/// slot order, interest accrued in memory), or the first asset whose price is unusable. Under
/// [`Pricing::Liquidation`] a deposit without a usable price is left out, as the program does.
pub fn holdings(
    assets: &[Asset],
    prices: &[PriceRead],
    account: &MarginAccount,
    now: i64,
    pricing: Pricing,
) -> Result<Vec<Holding>, u16> {
    let mut out = Vec::with_capacity(account.active_count());
    fill_holdings(assets, prices, account, now, pricing, &mut out)?;
    Ok(out)
}

/// [`holdings`] into a reused buffer (the scan's hot path).
fn fill_holdings(
    assets: &[Asset],
    prices: &[PriceRead],
    account: &MarginAccount,
    now: i64,
    pricing: Pricing,
    out: &mut Vec<Holding>,
) -> Result<(), u16> {
    out.clear();
    for p in account.active() {
        let i = p.asset_index as usize;
        let Some(a) = assets.get(i) else { return Err(p.asset_index) };
        match prices.get(i) {
            Some(Ok(price)) => {
                out.push(portfolio_margin::health::holding(a, p, price, now).map_err(|_| p.asset_index)?)
            }
            _ if pricing == Pricing::Liquidation && a.live_shares(p) >= Fx::ZERO => {}
            _ => return Err(p.asset_index),
        }
    }
    Ok(())
}

/// Debt and no deposit worth a native unit (`holdings` as [`holdings`] built them): only
/// `resolve_bankruptcy` helps. A deposit left out for want of a price is worth something.
pub fn bankrupt(assets: &[Asset], account: &MarginAccount, holdings: &[Holding]) -> bool {
    account.active().all(|p| {
        let i = p.asset_index as usize;
        assets.get(i).is_none_or(|a| a.live_shares(p) <= Fx::ZERO)
            || holdings.iter().any(|h| h.asset == i && h.amount == 0)
    })
}

/// Health of plain holdings under the group's parameters and the on-chain covariance.
pub fn health(group: &Group, model: &RiskModel, holdings: &[Holding]) -> Result<BookHealth> {
    health_with_perps(group, model, holdings, &[])
}

/// Health of holdings and perp positions under the group's parameters and the covariance.
pub fn health_with_perps(
    group: &Group,
    model: &RiskModel,
    holdings: &[Holding],
    perps: &[PerpHolding],
) -> Result<BookHealth> {
    let params = group.params.margin_params().map_err(|e| anyhow::anyhow!("{e}"))?;
    book_health_with_perps(&ModelView { model }, holdings, perps, group.params.conf_k.get(), &params)
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// The account's perp positions as the program's health check builds them
/// (`health::perp_entry`: funding accrued to `now`, profit scaled to the vault), each priced from
/// its asset's oracle read; `Err(asset)` when one is unusable (a perp position must be priced).
pub fn perp_book(
    group: &Group,
    perps: Option<&PerpState>,
    prices: &[PriceRead],
    account: &MarginAccount,
    now: i64,
) -> Result<(Vec<PerpHolding>, Vec<LoadedPerp>), u16> {
    let (mut holdings, mut markets) = (vec![], vec![]);
    let Some(p) = perps else { return Ok((holdings, markets)) };
    let share = vault_share(&p.vault, p.tokens).map_err(|_| u16::MAX)?;
    for slot in account.active_perps() {
        let Some((_, market)) = p.markets.get(slot.market_index as usize) else { return Err(u16::MAX) };
        let asset = market.asset_index;
        let Some(Ok(price)) = prices.get(asset as usize) else { return Err(asset) };
        let (lp, h) = perp_entry(group, market, slot, *price, share, now).map_err(|_| asset)?;
        holdings.push(h);
        markets.push(lp);
    }
    Ok((holdings, markets))
}

/// One account's health as the scan saw it.
#[derive(Clone, Debug)]
pub struct Scanned {
    pub address: Pubkey,
    pub owner: Pubkey,
    pub equity: Fx,
    pub maintenance_margin: Fx,
    pub initial_margin: Fx,
    /// `equity − maintenance margin`; liquidatable below zero.
    pub maintenance_health: Fx,
    pub binding: &'static str,
    /// Holds debt and no deposit worth a native unit: only `resolve_bankruptcy` helps.
    pub bankrupt: bool,
}

/// What a scan found.
#[derive(Debug, Default)]
pub struct Scan {
    pub healthy: usize,
    /// Below maintenance, largest shortfall first.
    pub liquidatable: Vec<Scanned>,
    /// Accounts owing an asset whose oracle is unusable now (a debt must be priced to be liquidated).
    pub unpriced: Vec<(Pubkey, u16)>,
}

/// Health of every account; liquidatable ones sorted by shortfall (largest first).
#[allow(clippy::too_many_arguments)]
pub fn scan(
    assets: &[Asset],
    group: &Group,
    model: &RiskModel,
    perps: Option<&PerpState>,
    prices: &[PriceRead],
    accounts: &[(Pubkey, MarginAccount)],
    now: i64,
) -> Result<Scan> {
    let mut out = Scan::default();
    // Each pool's borrow index at `now` once for the whole scan (deposit indices stay as stored, as
    // the program values deposits): `holding` then finds every debt already accrued.
    let mut at_now = assets.to_vec();
    for a in at_now.iter_mut() {
        let index = a.pool().borrow_index_at(now, &a.curve()).map_err(|e| anyhow::anyhow!("asset {}: {e}", a.index))?;
        a.borrow_index.set(index);
        a.last_accrual = a.last_accrual.max(now);
    }
    let assets = &at_now[..];
    let params = group.params.margin_params().map_err(|e| anyhow::anyhow!("{e}"))?;
    let cov = ModelView { model };
    let mut buf = Vec::with_capacity(16);
    for (address, account) in accounts {
        if let Err(i) = fill_holdings(assets, prices, account, now, Pricing::Liquidation, &mut buf) {
            out.unpriced.push((*address, i));
            continue;
        }
        let (book, _) = match perp_book(group, perps, prices, account, now) {
            Ok(b) => b,
            Err(i) => {
                out.unpriced.push((*address, i));
                continue;
            }
        };
        let h = book_health_with_perps(&cov, &buf, &book, group.params.conf_k.get(), &params)
            .map_err(|e| anyhow::anyhow!("account {address}: {e}"))?;
        let mh = h.maintenance_health().map_err(|e| anyhow::anyhow!("{e}"))?;
        // Only debt and perp positions can be liquidated: deposits alone never are.
        if mh >= Fx::ZERO || !(buf.iter().any(|h| h.amount < 0) || !book.is_empty()) {
            out.healthy += 1;
            continue;
        }
        out.liquidatable.push(Scanned {
            address: *address,
            owner: account.owner,
            equity: h.equity,
            maintenance_margin: h.margin.maintenance,
            initial_margin: h.margin.initial,
            maintenance_health: mh,
            binding: h.margin.binding.name(),
            bankrupt: book.is_empty() && bankrupt(assets, account, &buf),
        });
    }
    out.liquidatable.sort_by_key(|s| s.maintenance_health);
    Ok(out)
}
