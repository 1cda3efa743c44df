//! `keeper inspect`: an auditor's read of a group: decodes the group, assets, pools, risk model and
//! every margin account, and checks the protocol's invariants. Exits non-zero when one fails.
use std::collections::BTreeMap;

use anchor_lang::prelude::Pubkey;
use anyhow::Result;
use portfolio_margin::state::{Asset, MarginAccount, RiskModel};
use portfolio_margin_client::chain::Chain;
use portfolio_margin_client::state::{load, margin_accounts, token_amount, GroupState};
use risk_engine::{tri_index, Fx, FxExt};
use serde::Serialize;

/// One invariant over the whole state.
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    /// What was compared, or what failed.
    pub detail: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct AssetReport {
    pub index: u16,
    pub mint: String,
    pub vault: String,
    pub vault_balance: u64,
    pub insurance_balance: u64,
    pub deposits: f64,
    pub borrows: f64,
    pub protocol_fees: f64,
    pub utilization: f64,
    pub volatility_per_sample: f64,
    /// Anti-procyclical scale d (≥ 1) the margin applies to this asset's exposures, and the slow
    /// memory's volatility per sample it comes from.
    pub vol_scale: f64,
    pub slow_volatility_per_sample: f64,
    pub short_volatility_per_sample: f64,
    /// The registered price-feed account (the only oracle the program accepts for the asset).
    pub oracle: String,
    /// The mint's freeze authority, if any: it could freeze the vault and lock every depositor.
    pub freeze_authority: Option<String>,
    /// Deposit generation (raised when a socialised loss wiped every deposit out).
    pub deposit_epoch: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub group: String,
    pub admin: String,
    pub risk_authority: String,
    pub risk_model: String,
    pub sample_count: u64,
    pub last_sample_time: i64,
    pub assets: Vec<AssetReport>,
    pub accounts: usize,
    /// Correlation matrix from the on-chain covariance (row-major).
    pub correlation: Vec<Vec<f64>>,
    pub checks: Vec<Check>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }

    pub fn render(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let _ = writeln!(s, "group {}  (admin {}, risk authority {})", self.group, self.admin, self.risk_authority);
        let _ = writeln!(
            s,
            "risk model {}: {} samples, last at {}",
            self.risk_model, self.sample_count, self.last_sample_time
        );
        let _ =
            writeln!(s, "\n idx  vault balance        deposits         borrows     fees   util  σ/sample  insurance");
        for a in &self.assets {
            let _ = writeln!(
                s,
                " {:>3}  {:>13}  {:>14.0}  {:>14.0}  {:>7.0}  {:>4.0}%  {:>7.4}  {:>9}",
                a.index,
                a.vault_balance,
                a.deposits,
                a.borrows,
                a.protocol_fees,
                a.utilization * 100.0,
                a.volatility_per_sample,
                a.insurance_balance
            );
        }
        for a in &self.assets {
            let freeze = a.freeze_authority.as_deref().unwrap_or("none");
            let _ = writeln!(
                s,
                " asset {}: oracle {}, freeze authority {freeze}, slow / short volatility {:.4} / {:.4}, volatility scale {:.3}",
                a.index, a.oracle, a.slow_volatility_per_sample, a.short_volatility_per_sample, a.vol_scale
            );
        }
        let _ = writeln!(s, "\n{} margin accounts\n", self.accounts);
        for c in &self.checks {
            let _ = writeln!(s, " [{}] {}: {}", if c.ok { "pass" } else { "FAIL" }, c.name, c.detail);
        }
        let _ = writeln!(s, "\n{}", if self.ok() { "all invariants hold" } else { "INVARIANT VIOLATED" });
        s
    }
}

fn check(checks: &mut Vec<Check>, name: impl Into<String>, ok: bool, detail: impl Into<String>) {
    checks.push(Check { name: name.into(), ok, detail: detail.into() });
}

/// Reads everything and runs every check.
pub async fn inspect<C: Chain>(chain: &C, group: &Pubkey) -> Result<Report> {
    let state = GroupState::fetch(chain, group).await?;
    let accounts = margin_accounts(chain, group).await?;
    let mut checks = vec![];
    let n = state.assets.len();
    let g = &state.group;
    check(
        &mut checks,
        "asset registry",
        g.asset_count as usize == n && state.model.asset_count as usize == n,
        format!("group counts {}, risk model {}, asset accounts found {n}", g.asset_count, state.model.asset_count),
    );
    let feeds_ok = state.assets.iter().all(|a| state.model.feed_ids[a.account.index as usize] == a.account.feed_id);
    check(&mut checks, "feed ids", feeds_ok, "each asset's feed id equals the risk model's");
    let oracles_ok = state.assets.iter().all(|a| {
        state.model.oracles[a.account.index as usize] == a.account.oracle && a.account.oracle != Pubkey::default()
    });
    check(&mut checks, "oracles", oracles_ok, "each asset's registered oracle equals the risk model's");

    let mut assets = vec![];
    let mut share_sums: BTreeMap<u16, (Fx, Fx)> = BTreeMap::new();
    let mut bad_accounts = vec![];
    for (address, acc) in &accounts {
        if let Some(why) = account_problem(acc, &state, address) {
            bad_accounts.push(why);
        }
        for p in acc.active() {
            let e = share_sums.entry(p.asset_index).or_insert((Fx::ZERO, Fx::ZERO));
            // Deposits of a wiped-out generation are no longer in the pool's books.
            let s = match state.assets.get(p.asset_index as usize) {
                Some(a) => a.account.live_shares(p),
                None => p.shares.get(),
            };
            if s > Fx::ZERO {
                e.0 = e.0.saturating_add(s)
            } else {
                e.1 = e.1.saturating_add(s.saturating_neg())
            }
        }
    }
    check(
        &mut checks,
        "margin accounts well-formed",
        bad_accounts.is_empty(),
        if bad_accounts.is_empty() {
            format!("{} accounts: group, positions, slots consistent", accounts.len())
        } else {
            bad_accounts.join("; ")
        },
    );

    for a in &state.assets {
        let acc: &Asset = &a.account;
        let i = acc.index;
        let vault = chain.account(&acc.vault).await?;
        let insurance = chain.account(&acc.insurance_vault).await?;
        let (vault_balance, insurance_balance) = (
            vault.as_ref().map(token_amount).transpose()?.unwrap_or(0),
            insurance.as_ref().map(token_amount).transpose()?.unwrap_or(0),
        );
        for (what, t) in [("vault", &vault), ("insurance vault", &insurance)] {
            let ok = t.as_ref().is_some_and(|t| {
                t.owner == acc.token_program
                    && t.data.len() >= 72
                    && t.data[..32] == acc.mint.to_bytes()
                    && t.data[32..64] == a.keys.asset.to_bytes()
            });
            check(
                &mut checks,
                format!("asset {i} {what}"),
                ok,
                "exists, holds the asset's mint, owned by the asset PDA",
            );
        }
        let pool = acc.pool();
        let d = pool.total_deposits().unwrap_or(Fx::MAX);
        let b = pool.total_borrows().unwrap_or(Fx::MAX);
        let books = d.saturating_sub(b).saturating_add(pool.protocol_fees);
        check(
            &mut checks,
            format!("asset {i} vault covers books"),
            books <= Fx::from_num(vault_balance) && pool.protocol_fees >= Fx::ZERO,
            format!(
                "vault {vault_balance} ≥ deposits {d:.0} − borrows {b:.0} + fees {:.0} = {books:.0}",
                pool.protocol_fees
            ),
        );
        let (dep, bor) = share_sums.get(&i).copied().unwrap_or((Fx::ZERO, Fx::ZERO));
        check(
            &mut checks,
            format!("asset {i} shares add up"),
            dep == pool.deposit_shares && bor == pool.borrow_shares,
            format!(
                "accounts hold {dep} deposit / {bor} borrow shares; pool books {} / {}",
                pool.deposit_shares, pool.borrow_shares
            ),
        );
        let vol = state.model.volatility[i as usize].get();
        assets.push(AssetReport {
            index: i,
            mint: acc.mint.to_string(),
            vault: acc.vault.to_string(),
            vault_balance,
            insurance_balance,
            deposits: d.to_num(),
            borrows: b.to_num(),
            protocol_fees: pool.protocol_fees.to_num(),
            utilization: pool.utilization().map(|u| u.to_num()).unwrap_or(f64::NAN),
            volatility_per_sample: vol.to_num(),
            vol_scale: state.model.vol_scale[i as usize].get().to_num(),
            slow_volatility_per_sample: state.model.slow_variance[i as usize].get().to_num::<f64>().max(0.0).sqrt(),
            short_volatility_per_sample: state.model.short_variance[i as usize].get().to_num::<f64>().max(0.0).sqrt(),
            oracle: acc.oracle.to_string(),
            freeze_authority: (acc.has_freeze_authority == 1).then(|| acc.freeze_authority.to_string()),
            deposit_epoch: acc.deposit_epoch,
        });
    }
    if let Some(p) = &state.perps {
        perp_checks(&mut checks, p, &accounts);
    }
    let (cov_ok, cov_detail) = covariance_problems(&state.model, n);
    check(&mut checks, "covariance", cov_ok, cov_detail);
    let correlation = correlation(&state.model, n);
    Ok(Report {
        group: group.to_string(),
        admin: g.admin.to_string(),
        risk_authority: g.risk_authority.to_string(),
        risk_model: g.risk_model.to_string(),
        sample_count: state.model.sample_count,
        last_sample_time: state.model.last_sample_time,
        assets,
        accounts: accounts.len(),
        correlation,
        checks,
    })
}

/// Perps: every market's aggregates (open interest per side, Σ of the positions' quote, funding
/// bases) equal the sum of the positions in it, to the last bit: the vault's books are the
/// traders' books with the opposite sign.
fn perp_checks(
    checks: &mut Vec<Check>,
    p: &portfolio_margin_client::state::PerpState,
    accounts: &[(Pubkey, MarginAccount)],
) {
    use risk_engine::FxExt;
    let mut sums = vec![(0u128, 0u128, Fx::ZERO, Fx::ZERO, Fx::ZERO); p.markets.len()];
    let mut unknown = 0;
    for (_, acc) in accounts {
        for slot in acc.active_perps() {
            let Some((_, market)) = p.markets.get(slot.market_index as usize) else {
                unknown += 1;
                continue;
            };
            let pos = slot.position();
            let basis = risk_engine::valuation::native_to_tokens_floor(pos.base.abs(), market.decimals)
                .and_then(|t| Ok(t.mul_floor(pos.funding_index)?))
                .unwrap_or(Fx::MAX);
            let s = &mut sums[slot.market_index as usize];
            if pos.base > 0 {
                s.0 += pos.base as u128;
                s.3 = s.3.saturating_add(basis);
            } else if pos.base < 0 {
                s.1 += pos.base.unsigned_abs();
                s.4 = s.4.saturating_add(basis);
            }
            s.2 = s.2.saturating_add(pos.quote);
        }
    }
    for (i, (_, m)) in p.markets.iter().enumerate() {
        let s = sums[i];
        let books = (
            m.long_oi as u128,
            m.short_oi as u128,
            m.net_quote.get(),
            m.long_funding_basis.get(),
            m.short_funding_basis.get(),
        );
        check(
            checks,
            format!("perp market {i} books add up"),
            s == books && unknown == 0,
            format!(
                "positions: long {} short {} quote {} ({unknown} in unknown markets); market: long {} short {} quote {}",
                s.0, s.1, s.2, m.long_oi, m.short_oi, m.net_quote.get()
            ),
        );
    }
    check(
        checks,
        "perp vault",
        p.vault.market_count as usize == p.markets.len(),
        format!("{} markets listed, {} found; {} quote tokens held", p.vault.market_count, p.markets.len(), p.tokens),
    );
}

/// Why an account's stored state is inconsistent, if it is.
fn account_problem(acc: &MarginAccount, state: &GroupState, address: &Pubkey) -> Option<String> {
    if acc.group != state.address {
        return Some(format!("{address}: belongs to another group"));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (slot, p) in acc.positions.iter().enumerate() {
        match p.active {
            0 if bytemuck::bytes_of(p).iter().any(|b| *b != 0) => {
                return Some(format!("{address}: free slot {slot} not zeroed"))
            }
            0 => {}
            1 => {
                if p.asset_index as usize >= state.assets.len() {
                    return Some(format!(
                        "{address}: slot {slot} names asset {} (group has {})",
                        p.asset_index,
                        state.assets.len()
                    ));
                }
                if !seen.insert(p.asset_index) {
                    return Some(format!("{address}: asset {} held in two slots", p.asset_index));
                }
                if p.shares.get() == Fx::ZERO {
                    return Some(format!("{address}: slot {slot} open with zero shares"));
                }
            }
            f => return Some(format!("{address}: slot {slot} has active flag {f}")),
        }
    }
    None
}

/// diag > 0 once sampled; |cov_ij| ≤ σ_i σ_j; stored volatility = ⌈√var⌉.
fn covariance_problems(model: &RiskModel, n: usize) -> (bool, String) {
    let var = |i: usize| model.covariance[tri_index(i, i)].get();
    for i in 0..n {
        if var(i) <= Fx::ZERO {
            return (false, format!("variance of asset {i} is {} (must be > 0)", var(i)));
        }
        if model.sample_count > 0 {
            let expect = var(i).sqrt_ceil().unwrap_or(Fx::MAX);
            if model.volatility[i].get() != expect {
                return (false, format!("volatility {i} is {} but √var is {expect}", model.volatility[i].get()));
            }
        }
        let d = model.vol_scale[i].get();
        if d < Fx::ONE || d > Fx::from_num(risk_engine::procyclicality::MAX_VOL_SCALE) {
            return (false, format!("volatility scale of asset {i} is {d} (must be in [1, 32])"));
        }
        if model.slow_variance[i].get() < Fx::ZERO || model.short_variance[i].get() < Fx::ZERO {
            return (false, format!("a variance memory of asset {i} is negative"));
        }
        for j in 0..i {
            let c = model.covariance[tri_index(j, i)].get();
            let bound = var(i).to_num::<f64>() * var(j).to_num::<f64>();
            if c.to_num::<f64>().powi(2) > bound * (1.0 + 1e-9) + 1e-30 {
                return (false, format!("|cov({j},{i})| = {c} exceeds σ{j}σ{i}"));
            }
        }
    }
    // Pairwise bounds do not imply PSD for three assets or more: factorise (LDLᵀ).
    let entries = model.covariance[..risk_engine::tri_len(n)].to_vec();
    match risk_engine::TriangularMatrix::new(n, entries).and_then(|m| m.check_psd(Fx::from_num(1e-12))) {
        Ok(()) => {}
        Err(e) => return (false, format!("{e}")),
    }
    if let Some(problem) = kernel_problem(model, n) {
        return (false, problem);
    }
    (true, format!("{n}×{n}: symmetric (packed), diagonal > 0, |cov_ij| ≤ σ_iσ_j, PSD (LDLᵀ), volatilities = √diag, scales in [1, 32], margin kernel = its recomputation from Σ"))
}

/// The stored margin kernel (what every health check reads) must equal the engine's recomputation
/// from the stored Σ, σ and d (`RiskModel::refresh_kernel` on a copy).
fn kernel_problem(model: &RiskModel, n: usize) -> Option<String> {
    if (model.kernel_dim as usize) < n {
        return Some(format!("the margin kernel covers {} of {n} assets", model.kernel_dim));
    }
    let mut fresh = Box::new(*model);
    if let Err(e) = fresh.refresh_kernel(0..n) {
        return Some(format!("the margin kernel cannot be recomputed: {e}"));
    }
    for i in 0..n {
        let same = fresh.kernel_exponent[i] == model.kernel_exponent[i]
            && fresh.kernel_vol[i] == model.kernel_vol[i]
            && fresh.kernel_scale[i] == model.kernel_scale[i]
            && fresh.kernel_exact[i] == model.kernel_exact[i];
        if !same {
            return Some(format!("the margin kernel of asset {i} differs from its recomputation from Σ"));
        }
    }
    let len = risk_engine::tri_len(n);
    if let Some(k) = (0..len).find(|&k| fresh.kernel_cov[k] != model.kernel_cov[k]) {
        return Some(format!("margin kernel entry {k} is {} but Σ gives {}", model.kernel_cov[k], fresh.kernel_cov[k]));
    }
    None
}

pub fn correlation(model: &RiskModel, n: usize) -> Vec<Vec<f64>> {
    let cov = |i: usize, j: usize| model.covariance[tri_index(i.min(j), i.max(j))].get().to_num::<f64>();
    (0..n).map(|i| (0..n).map(|j| cov(i, j) / (cov(i, i) * cov(j, j)).sqrt()).collect()).collect()
}

/// Reads and decodes one account, for callers that need the raw model.
pub async fn risk_model<C: Chain>(chain: &C, address: &Pubkey) -> Result<Box<RiskModel>> {
    let a = chain.account(address).await?.ok_or_else(|| anyhow::anyhow!("risk model {address} missing"))?;
    Ok(Box::new(load(&a.data)?))
}
