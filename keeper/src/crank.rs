//! `keeper crank`: keeps the on-chain risk model sampled on schedule. One transaction records every
//! oracle when they fit (`--chunk` assets per transaction, default 32: 208k CU), otherwise several
//! (two-phase); a round that is too early is skipped without sending anything; unusable oracles
//! are reported by the program (OracleUnusable events) and counted.
use std::sync::atomic::Ordering::Relaxed;

use anyhow::{bail, Result};
use portfolio_margin::events::{OracleUnusable, RiskModelUpdated};
use portfolio_margin::state::RiskModel;
use portfolio_margin_client::chain::{send_ixs, Chain, SendOptions};
use portfolio_margin_client::instructions::crank_risk_model;
use portfolio_margin_client::state::{load, GroupState};
use portfolio_margin_client::Keypair;

use crate::metrics::Metrics;

/// What one crank round did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrankOutcome {
    /// Not due until this time; nothing sent.
    TooEarly { due: i64 },
    /// A sample was completed.
    Sampled { sample_count: u64, missing: Vec<u16>, compute_units: u64 },
}

/// Runs one round: completes a sample if one is due.
pub async fn crank_once<C: Chain>(
    chain: &C,
    payer: &Keypair,
    state: &GroupState,
    chunk: usize,
    opts: &SendOptions,
    metrics: &Metrics,
) -> Result<CrankOutcome> {
    let now = chain.unix_time().await?;
    let model_account =
        chain.account(&state.group.risk_model).await?.ok_or_else(|| anyhow::anyhow!("risk model missing"))?;
    let model: Box<RiskModel> = Box::new(load(&model_account.data)?);
    let interval = state.group.params.sample_interval_seconds as i64;
    // The program's own rules (risk_engine::ewma): a pending sample is open for one oracle max age.
    let window = state.group.params.oracle_max_age_seconds as i64;
    let pending_live = risk_engine::ewma::pending_sample_open(model.pending_sample_time, window, now);
    if !pending_live && !risk_engine::ewma::sample_due(model.last_sample_time, interval, now) {
        metrics.samples_skipped_early.fetch_add(1, Relaxed);
        return Ok(CrankOutcome::TooEarly { due: model.last_sample_time + interval });
    }
    let n = model.asset_count as usize;
    if n == 0 {
        bail!("the group has no assets to sample");
    }
    let oracles = state.oracles();
    let opts = state.send_options(opts).with_fallback_limit(1_400_000);
    let mut missing = vec![];
    let mut completed = None;
    let mut compute_units = 0;
    // Resume a live pending sample where it stopped; otherwise start at asset 0.
    let mut first = if pending_live { model.pending_mask.trailing_ones() as usize } else { 0 };
    while first < n {
        let end = (first + chunk.max(1)).min(n);
        let ix = crank_risk_model(state.address, state.group.risk_model, first as u16, &oracles[first..end]);
        let out = send_ixs(chain, payer, &[], &[ix], &opts).await?;
        if let Err(e) = &out.result {
            metrics.transaction_errors.fetch_add(1, Relaxed);
            bail!("crank of assets {first}..{end} failed: {}", out.error_text().unwrap_or_else(|| e.to_string()));
        }
        compute_units += out.compute_units.unwrap_or(0);
        for u in out.events::<OracleUnusable>() {
            metrics.oracle_failures.fetch_add(1, Relaxed);
            tracing::warn!(asset = u.asset_index, oracle = %u.oracle, reason = u.reason, "oracle unusable: the asset's return counts as 0 this sample");
            missing.push(u.asset_index);
        }
        if let Some(u) = out.events::<RiskModelUpdated>().into_iter().next() {
            completed = Some(u.sample_count);
        }
        first = end;
    }
    match completed {
        Some(sample_count) => {
            metrics.samples_taken.fetch_add(1, Relaxed);
            tracing::debug!(sample_count, ?missing, "risk model sampled");
            Ok(CrankOutcome::Sampled { sample_count, missing, compute_units })
        }
        None => bail!("crank sent every asset but no sample completed (another crank raced this one?)"),
    }
}
