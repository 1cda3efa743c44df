//! The stress test's inputs read from a chain: every margin account's holdings valued as the
//! program values them, the on-chain covariance and the insurance fund.
use anchor_lang::prelude::Pubkey;
use anyhow::Result;
use portfolio_margin::state::Asset;
use portfolio_margin_client::chain::Chain;
use portfolio_margin_client::state::{margin_accounts, GroupState};
use risk_engine::CovarianceSource;

use super::StressBook;
use crate::view;
use portfolio_margin::health::Pricing;

/// What the stress test needs from a group.
pub struct ChainInputs {
    pub books: Vec<StressBook>,
    /// Horizon covariance Σ·s, row-major.
    pub cov_h: Vec<f64>,
    pub horizon_scale: f64,
    pub insurance_usd: f64,
    /// Accounts left out: an oracle of one of their assets is unusable now.
    pub unpriced: usize,
    pub prices: Vec<f64>,
    /// The group's registered assets.
    pub asset_count: usize,
}

/// The insurance fund in USD: every asset's insurance vault plus the protocol fees its pool holds
/// for it (what `resolve_bankruptcy` draws on before socialising), at `prices`.
pub async fn insurance_usd<C: Chain>(chain: &C, state: &GroupState, prices: &[f64]) -> Result<f64> {
    let mut total = 0.0;
    for (a, p) in state.assets.iter().zip(prices) {
        let scale = 10f64.powi(a.account.decimals as i32);
        if let Some(acc) = chain.account(&a.account.insurance_vault).await? {
            total += portfolio_margin_client::state::token_amount(&acc)? as f64 / scale * p;
        }
        if let Some(acc) = chain.account(&a.keys.asset).await? {
            let asset: Asset = portfolio_margin_client::state::load(&acc.data)?;
            total += asset.protocol_fees.get().to_num::<f64>() / scale * p;
        }
    }
    Ok(total)
}

/// Reads the group, its accounts, oracles and funds at the chain's clock.
pub async fn load<C: Chain>(chain: &C, group: &Pubkey) -> Result<ChainInputs> {
    let state = GroupState::fetch(chain, group).await?;
    let now = chain.unix_time().await?;
    let oracles = chain.accounts(&state.oracles()).await?;
    let reads = view::read_oracles(&state, &oracles, now);
    let prices: Vec<f64> =
        reads.iter().map(|r| r.as_ref().map(|p| p.price.to_num::<f64>()).unwrap_or(f64::NAN)).collect();
    let assets: Vec<Asset> = state.assets.iter().map(|a| a.account).collect();
    let mut books = Vec::new();
    let mut unpriced = 0;
    for (address, acc) in margin_accounts(chain, group).await? {
        let Ok(h) = view::holdings(&assets, &reads, &acc, now, Pricing::Strict) else {
            unpriced += 1;
            continue;
        };
        if h.iter().all(|x| x.amount == 0) {
            continue;
        }
        let health = view::health(&state.group, &state.model, &h)?;
        let exposures = h
            .iter()
            .filter(|x| x.amount != 0)
            .map(|x| (x.asset, x.amount as f64 / 10f64.powi(x.decimals as i32) * x.price.to_num::<f64>()))
            .collect();
        books.push(StressBook {
            address: address.to_string(),
            exposures,
            equity: health.equity.to_num(),
            maintenance_margin: health.margin.maintenance.to_num(),
        });
    }
    let n = state.assets.len();
    let horizon_scale = state.group.params.horizon_seconds as f64 / state.group.params.sample_interval_seconds as f64;
    let view = portfolio_margin::state::ModelView { model: &state.model };
    let mut cov_h = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            cov_h[i * n + j] = view.cov(i.min(j), i.max(j)).to_num::<f64>() * horizon_scale;
        }
    }
    let insurance_usd = insurance_usd(chain, &state, &prices).await?;
    Ok(ChainInputs { books, cov_h, horizon_scale, insurance_usd, unpriced, prices, asset_count: n })
}
