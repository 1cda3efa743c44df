//! `keeper liquidate`: finds every margin account of the group, computes health with the program's
//! own code (see [`crate::view`]), and liquidates the unhealthy ones, largest shortfall first:
//! repays the largest debt against the largest deposit, sized and judged with the risk engine's
//! `plan_or_close_out` (the smallest repay that restores initial health, or the close-out of an
//! insolvent book no step can improve: the same `judge_liquidation` the program runs). The seized
//! collateral is credited to the liquidator's own margin account (index 0, created on start).
//! Accounts with debt and no deposits left go to `resolve_bankruptcy`.
//!
//! A liquidation is never in flight twice: an account with an unconfirmed liquidation is skipped
//! until its signature resolves, and retries re-send the same signed transaction.
use std::collections::HashMap;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use anyhow::{Context, Result};
use portfolio_margin::events::{BankruptcyResolved, HedgeLiquidated, Liquidated, PerpLiquidated};
use portfolio_margin::health::Pricing;
use portfolio_margin::state::{Asset, MarginAccount};
use portfolio_margin_client::address::{self, seeded_token_account};
use portfolio_margin_client::chain::{send_ixs, Chain, SendOptions, TxOutcome, Unconfirmed};
use portfolio_margin_client::instructions::{self as pix, LiquidateKeys};
use portfolio_margin_client::state::{margin_accounts, token_amount, GroupState};
use portfolio_margin_client::{token, Keypair, Signer};
use risk_engine::Fx;
use solana_signature::Signature;

use crate::metrics::Metrics;
use crate::view::{self, PriceRead};

/// One confirmed action of the liquidator.
#[derive(Clone, Debug)]
pub enum Action {
    Liquidated {
        account: Pubkey,
        liability_asset: Pubkey,
        collateral_asset: Pubkey,
        /// Native units of the liability repaid.
        repaid: u64,
        /// Native units of collateral to the liquidator and to the insurance fund.
        to_liquidator: u64,
        to_insurance: u64,
        shortfall_usd: f64,
        compute_units: Option<u64>,
    },
    PerpLiquidated {
        account: Pubkey,
        perp_market: Pubkey,
        /// The signed trade that closed part of the position.
        base_delta: i64,
        /// Native quote units paid to the liquidator from the vault.
        reward: u64,
        shortfall_usd: f64,
        compute_units: Option<u64>,
    },
    /// One step on both legs of a hedge (`liquidate_hedge`).
    HedgeLiquidated {
        account: Pubkey,
        perp_market: Pubkey,
        liability_asset: Pubkey,
        /// Native units of the liability repaid.
        repaid: u64,
        /// The perp leg's signed trade (the same base units as the spot leg moved).
        base_delta: i64,
        shortfall_usd: f64,
        compute_units: Option<u64>,
    },
    Bankruptcy {
        account: Pubkey,
        asset: Pubkey,
        debt: u64,
        insurance_paid: u64,
    },
    Failed {
        account: Pubkey,
        error: String,
    },
}

/// What a round found and did.
#[derive(Debug, Default)]
pub struct Round {
    pub scanned: usize,
    pub liquidatable: usize,
    pub unpriced: usize,
    pub skipped_in_flight: usize,
    pub actions: Vec<Action>,
}

pub struct Liquidator {
    pub keypair: Keypair,
    pub opts: SendOptions,
    /// Accounts whose last liquidation's outcome is unknown, with its signature and send time.
    in_flight: HashMap<Pubkey, (Signature, Instant)>,
    /// After this long an unconfirmed signature's blockhash has expired: it can no longer land.
    pub in_flight_expiry: Duration,
}

impl Liquidator {
    pub fn new(keypair: Keypair, opts: SendOptions) -> Self {
        Liquidator { keypair, opts, in_flight: HashMap::new(), in_flight_expiry: Duration::from_secs(90) }
    }

    /// The liquidator's token account for an asset (seeded from its key and the mint).
    pub fn token_account(&self, a: &Asset) -> Pubkey {
        seeded_token_account(&self.keypair.pubkey(), &a.mint, &a.token_program).0
    }

    /// The liquidator's margin account in `group` (index 0), credited with seized collateral.
    pub fn margin_account(&self, group: &Pubkey) -> Pubkey {
        address::margin_account(group, &self.keypair.pubkey(), 0)
    }

    /// Creates the liquidator's missing token accounts and its margin account (idempotent).
    pub async fn ensure_token_accounts<C: Chain>(&self, chain: &C, state: &GroupState) -> Result<()> {
        let me = self.keypair.pubkey();
        if chain.account(&self.margin_account(&state.address)).await?.is_none() {
            let ix = pix::create_margin_account(&me, state.address, 0);
            send_ixs(chain, &self.keypair, &[], &[ix], &self.opts)
                .await?
                .check("creating the liquidator's margin account")?;
        }
        let rent = chain.rent_exempt_minimum(token::ACCOUNT_LEN).await?;
        for a in &state.assets {
            let address = self.token_account(&a.account);
            if chain.account(&address).await?.is_none() {
                let me = self.keypair.pubkey();
                let ixs = token::create_seeded_account(&me, &me, &a.account.mint, &a.account.token_program, rent);
                let out = send_ixs(chain, &self.keypair, &[], &ixs, &self.opts).await?;
                out.check(&format!("creating the liquidator's token account for asset {}", a.account.index))?;
            }
        }
        Ok(())
    }

    /// One scan-and-liquidate round over every account of the group.
    pub async fn round<C: Chain>(&mut self, chain: &C, state: &GroupState, metrics: &Metrics) -> Result<Round> {
        let now = chain.unix_time().await?;
        let oracles = chain.accounts(&state.oracles()).await?;
        let prices = view::read_oracles(state, &oracles, now);
        let accounts = margin_accounts(chain, &state.address).await?;
        let assets: Vec<Asset> = state.assets.iter().map(|a| a.account).collect();
        let scan = view::scan(&assets, &state.group, &state.model, state.perps.as_ref(), &prices, &accounts, now)?;
        metrics.accounts_scanned.fetch_add(accounts.len() as u64, Relaxed);
        metrics.accounts_liquidatable.store(scan.liquidatable.len() as u64, Relaxed);
        let worst = scan.liquidatable.first().map_or(0.0, |s| -s.maintenance_health.to_num::<f64>());
        metrics.shortfall_micro_usd.store((worst * 1e6) as i64, Relaxed);
        let mut round = Round {
            scanned: accounts.len(),
            liquidatable: scan.liquidatable.len(),
            unpriced: scan.unpriced.len(),
            ..Default::default()
        };
        for (address, asset) in &scan.unpriced {
            tracing::warn!(%address, asset, "account owes an asset without a usable price: cannot be liquidated now");
        }
        let by_address: HashMap<Pubkey, &MarginAccount> = accounts.iter().map(|(k, a)| (*k, a)).collect();
        for s in &scan.liquidatable {
            if let Some((sig, sent)) = self.in_flight.get(&s.address).copied() {
                match chain.signature_status(&sig).await {
                    Ok(Some(_)) => {
                        self.in_flight.remove(&s.address);
                    }
                    _ if sent.elapsed() >= self.in_flight_expiry => {
                        self.in_flight.remove(&s.address);
                    }
                    _ => {
                        round.skipped_in_flight += 1;
                        continue;
                    }
                }
            }
            let account = by_address[&s.address];
            let shortfall = -s.maintenance_health.to_num::<f64>();
            let result = if s.bankrupt {
                self.resolve(chain, state, s.address, account, metrics, &mut round).await
            } else {
                self.liquidate(chain, state, &prices, now, s.address, account, shortfall, metrics, &mut round).await
            };
            if let Err(e) = result {
                metrics.transaction_errors.fetch_add(1, Relaxed);
                tracing::warn!(account = %s.address, "liquidation failed: {e:#}");
                round.actions.push(Action::Failed { account: s.address, error: format!("{e:#}") });
            }
        }
        Ok(round)
    }

    #[allow(clippy::too_many_arguments)]
    async fn liquidate<C: Chain>(
        &mut self,
        chain: &C,
        state: &GroupState,
        prices: &[PriceRead],
        now: i64,
        address: Pubkey,
        account: &MarginAccount,
        shortfall: f64,
        metrics: &Metrics,
        round: &mut Round,
    ) -> Result<()> {
        // Pairs to try: largest debt first, against the largest deposit first. Holdings as the
        // program builds them for a liquidation: interest accrued to now, deposits without a usable
        // price left out.
        let assets: Vec<Asset> = state.assets.iter().map(|a| a.account).collect();
        let holdings0 = view::holdings(&assets, prices, account, now, Pricing::Liquidation)
            .map_err(|i| anyhow::anyhow!("asset {i} owed but unpriced"))?;
        let (perps, perp_markets) = view::perp_book(&state.group, state.perps.as_ref(), prices, account, now)
            .map_err(|i| anyhow::anyhow!("perp on asset {i} unpriced"))?;
        if !perps.is_empty() {
            // Both legs of a hedge first: a single leg would leave the book less hedged.
            match self.liquidate_hedge(chain, state, prices, now, &perps, address, account).await {
                Ok(Some(out)) => {
                    return self.record(out, "liquidate_hedge", metrics, round, |out| {
                        out.events::<HedgeLiquidated>().into_iter().next().map(|e| Action::HedgeLiquidated {
                            account: address,
                            perp_market: e.perp_market,
                            liability_asset: e.liability_asset,
                            repaid: e.repaid,
                            base_delta: e.base_delta,
                            shortfall_usd: shortfall,
                            compute_units: out.compute_units,
                        })
                    })
                }
                Ok(None) => {}
                Err(e) => tracing::debug!(account = %address, "no hedged liquidation: {e:#}"),
            }
            match self.liquidate_perp(chain, state, &holdings0, &perps, &perp_markets, address, account).await {
                Ok(Some(out)) => {
                    return self.record(out, "liquidate_perp", metrics, round, |out| {
                        out.events::<PerpLiquidated>().into_iter().next().map(|e| Action::PerpLiquidated {
                            account: address,
                            perp_market: e.perp_market,
                            base_delta: e.base_delta,
                            reward: e.reward,
                            shortfall_usd: shortfall,
                            compute_units: out.compute_units,
                        })
                    })
                }
                Ok(None) => {}
                Err(e) => tracing::debug!(account = %address, "no perp liquidation: {e:#}"),
            }
        }
        let value = |h: &risk_engine::Holding| Fx::from_num(h.amount).saturating_mul(h.price).abs();
        let mut debts: Vec<usize> = (0..holdings0.len()).filter(|&i| holdings0[i].amount < 0).collect();
        let mut deposits: Vec<usize> = (0..holdings0.len()).filter(|&i| holdings0[i].amount > 0).collect();
        debts.sort_by_key(|&i| std::cmp::Reverse(value(&holdings0[i])));
        deposits.sort_by_key(|&i| std::cmp::Reverse(value(&holdings0[i])));
        let margin = state.group.params.margin_params().map_err(|e| anyhow::anyhow!("{e}"))?;
        let liq = state.group.params.liquidation_params();
        let cov = portfolio_margin::state::ModelView { model: &state.model };
        let mut last_err = anyhow::anyhow!("no debt/deposit pair to liquidate");
        let mut chosen = None;
        'pairs: for &l in &debts {
            let li = holdings0[l].asset;
            let my_l = self.token_account(&state.assets[li].account);
            let budget = match chain.account(&my_l).await? {
                Some(a) => token_amount(&a)? as i128,
                None => 0,
            };
            if budget == 0 {
                last_err = anyhow::anyhow!("liquidator holds none of asset {li} to repay with");
                continue;
            }
            for &c in &deposits {
                let ci = holdings0[c].asset;
                // The program accrues the liability and the collateral before it values the book.
                let mut touched = assets.clone();
                for i in [li, ci] {
                    touched[i].accrue(now).map_err(|e| anyhow::anyhow!("accrual: {e}"))?;
                }
                let holdings = view::holdings(&touched, prices, account, now, Pricing::Liquidation)
                    .map_err(|i| anyhow::anyhow!("asset {i} owed but unpriced"))?;
                match risk_engine::liquidation::plan_or_close_out_with_perps(
                    &cov, &holdings, &perps, l, c, budget, &margin, &liq,
                ) {
                    Ok(v) => {
                        chosen = Some((li, ci, v.flows));
                        break 'pairs;
                    }
                    Err(e) => last_err = anyhow::anyhow!("planning {li}/{ci}: {e}"),
                }
            }
        }
        let Some((li, ci, plan)) = chosen else { return Err(last_err) };
        let (la, ca) = (&state.assets[li], &state.assets[ci]);
        let my_l = self.token_account(&la.account);
        let repay = u64::try_from(plan.repay).context("repay out of range")?;
        let health = state.health_keys(account);
        let mut ix = pix::liquidate(
            LiquidateKeys {
                liquidator: self.keypair.pubkey(),
                group: state.address,
                risk_model: state.group.risk_model,
                account: address,
                liquidator_account: self.margin_account(&state.address),
                liability: &la.keys,
                liquidator_liability_tokens: my_l,
                collateral: &ca.keys,
                health: &health,
            },
            repay,
        );
        state.push_perp_health(&mut ix, account);
        let opts = state.send_options(&self.opts).with_fallback_limit(600_000);
        let out = self.send_guarded(chain, address, &[ix], &opts).await?;
        self.record(out, "liquidate", metrics, round, |out| {
            out.events::<Liquidated>().into_iter().next().map(|event| Action::Liquidated {
                account: address,
                liability_asset: event.liability_asset,
                collateral_asset: event.collateral_asset,
                repaid: event.repaid,
                to_liquidator: event.collateral_to_liquidator,
                to_insurance: event.collateral_to_insurance,
                shortfall_usd: shortfall,
                compute_units: out.compute_units,
            })
        })
    }

    /// Closes part of the account's largest perp position the engine's plan can liquidate
    /// (`PerpBook::plan`, the program's own rule), against the vault; `None` when no perp position
    /// of the account is liquidatable on its own.
    #[allow(clippy::too_many_arguments)]
    async fn liquidate_perp<C: Chain>(
        &mut self,
        chain: &C,
        state: &GroupState,
        holdings: &[risk_engine::Holding],
        perps: &[risk_engine::perp::PerpHolding],
        markets: &[portfolio_margin::health::LoadedPerp],
        address: Pubkey,
        account: &MarginAccount,
    ) -> Result<Option<TxOutcome>> {
        let Some(p) = &state.perps else { return Ok(None) };
        let margin = state.group.params.margin_params().map_err(|e| anyhow::anyhow!("{e}"))?;
        let liq = state.group.params.liquidation_params();
        let cov = portfolio_margin::state::ModelView { model: &state.model };
        let slots: Vec<_> = account.active_perps().copied().collect();
        let notional = |j: usize| (Fx::from_num(perps[j].base).saturating_mul(perps[j].price)).abs();
        let mut order: Vec<usize> = (0..slots.len()).collect();
        order.sort_by_key(|&j| std::cmp::Reverse(notional(j)));
        for j in order {
            let book = risk_engine::perp::liquidation::PerpBook {
                cov: &cov,
                holdings,
                perps,
                target: j,
                position: slots[j].position(),
                pricing: markets[j].pricing(&state.group),
                margin: &margin,
                liq: &liq,
                fee: markets[j].params.liquidation_fee,
            };
            let Ok(v) = book.plan() else { continue };
            let market = p.markets[slots[j].market_index as usize].0;
            let spot = state.health_keys(account);
            let perp_keys = state.perp_health_keys(account);
            let reward_to = self.token_account(&state.assets[p.keys.quote.index as usize].account);
            let ix = portfolio_margin_client::perp::liquidate_perp(
                portfolio_margin_client::perp::TradeKeys {
                    owner: self.keypair.pubkey(),
                    risk_model: state.group.risk_model,
                    account: address,
                    vault: &p.keys,
                    spot: &spot,
                    perps: &perp_keys,
                },
                &market,
                reward_to,
                v.close.delta.unsigned_abs() as u64,
            );
            let opts = state.send_options(&self.opts).with_fallback_limit(600_000);
            return Ok(Some(self.send_guarded(chain, address, &[ix], &opts).await?));
        }
        Ok(None)
    }

    /// One step on both legs of a hedge (`HedgeBook::plan`, the program's own rule): for each perp
    /// position, largest first, the spot leg of its asset on the other side (a deposit beside a
    /// short, a borrow beside a long) with a debt (or a deposit) the liquidator can pair it with,
    /// largest first. A book whose only debt is an unsettled perp loss (an unlevered carry whose
    /// short lost funding) has nothing to repay: then each losing perp is settled first, in the same
    /// transaction (`settle_perp_pnl`, replayed on copies with the program's `book_settlement` to
    /// plan on the settled book). `None` when the account holds no liquidatable hedge.
    #[allow(clippy::too_many_arguments)]
    async fn liquidate_hedge<C: Chain>(
        &mut self,
        chain: &C,
        state: &GroupState,
        prices: &[PriceRead],
        now: i64,
        perps: &[risk_engine::perp::PerpHolding],
        address: Pubkey,
        account: &MarginAccount,
    ) -> Result<Option<TxOutcome>> {
        let Some(p) = &state.perps else { return Ok(None) };
        let mut ixs = match self.plan_hedge(chain, state, p, prices, now, address, account).await? {
            Some(ix) => vec![ix],
            None => vec![],
        };
        if ixs.is_empty() {
            // Settle a losing perp that hedges a spot leg, then plan on the settled book.
            let q = p.keys.quote.index as usize;
            for (j, slot) in account.active_perps().enumerate() {
                let (keys, market) = p.markets[slot.market_index as usize];
                let Some(Ok(price)) = prices.get(market.asset_index as usize) else { continue };
                if perps[j].pnl >= Fx::ZERO {
                    continue;
                }
                let (mut m, mut acc, mut qa) = (market, *account, state.assets[q].account);
                qa.accrue(now).map_err(|e| anyhow::anyhow!("accrual: {e}"))?;
                let lending = match chain.account(&state.assets[q].keys.vault).await? {
                    Some(a) => token_amount(&a)?,
                    None => continue,
                };
                let decimals = qa.decimals;
                let Ok((_, paid)) = portfolio_margin::instructions::perp::settle_perp_pnl::book_settlement(
                    &mut m, &mut acc, &mut qa, price, now, decimals, p.tokens, lending,
                ) else {
                    continue;
                };
                let mut settled = state.clone();
                settled.assets[q].account = qa;
                if let Some(sp) = settled.perps.as_mut() {
                    sp.markets[slot.market_index as usize].1 = m;
                    sp.tokens = u64::try_from(p.tokens as i128 - paid).unwrap_or(0);
                }
                let sp = settled.perps.clone().expect("perps");
                if let Some(ix) = self.plan_hedge(chain, &settled, &sp, prices, now, address, &acc).await? {
                    ixs = vec![portfolio_margin_client::perp::settle_perp_pnl(&p.keys, address, &keys), ix];
                    break;
                }
            }
        }
        if ixs.is_empty() {
            return Ok(None);
        }
        let opts = state.send_options(&self.opts).with_fallback_limit(800_000);
        Ok(Some(self.send_guarded(chain, address, &ixs, &opts).await?))
    }

    /// The `liquidate_hedge` instruction the engine plans for `account` on `state` (the group as the
    /// program will read it when the instruction runs), or `None`.
    #[allow(clippy::too_many_arguments)]
    async fn plan_hedge<C: Chain>(
        &self,
        chain: &C,
        state: &GroupState,
        p: &portfolio_margin_client::state::PerpState,
        prices: &[PriceRead],
        now: i64,
        address: Pubkey,
        account: &MarginAccount,
    ) -> Result<Option<anchor_lang::solana_program::instruction::Instruction>> {
        let assets: Vec<Asset> = state.assets.iter().map(|a| a.account).collect();
        let Ok(holdings0) = view::holdings(&assets, prices, account, now, Pricing::Liquidation) else {
            return Ok(None);
        };
        let Ok((perps, markets)) = view::perp_book(&state.group, Some(p), prices, account, now) else {
            return Ok(None);
        };
        let margin = state.group.params.margin_params().map_err(|e| anyhow::anyhow!("{e}"))?;
        let liq = state.group.params.liquidation_params();
        let cov = portfolio_margin::state::ModelView { model: &state.model };
        let slots: Vec<_> = account.active_perps().copied().collect();
        let by_value = |sign: i128| {
            let mut v: Vec<usize> = holdings0.iter().filter(|h| h.amount.signum() == sign).map(|h| h.asset).collect();
            let value = |a: usize| {
                let h = holdings0.iter().find(|h| h.asset == a).expect("held");
                Fx::from_num(h.amount).saturating_mul(h.price).abs()
            };
            v.sort_by_key(|&a| std::cmp::Reverse(value(a)));
            v
        };
        let notional = |j: usize| (Fx::from_num(perps[j].base).saturating_mul(perps[j].price)).abs();
        let mut order: Vec<usize> = (0..slots.len()).collect();
        order.sort_by_key(|&j| std::cmp::Reverse(notional(j)));
        for j in order {
            let (asset, base) = (perps[j].asset, perps[j].base);
            let held = |sign: i128| holdings0.iter().any(|h| h.asset == asset && h.amount.signum() == sign);
            // (liability, collateral) asset pairs.
            let pairs: Vec<(usize, usize)> = if base < 0 && held(1) {
                by_value(-1).into_iter().map(|l| (l, asset)).collect()
            } else if base > 0 && held(-1) {
                by_value(1).into_iter().map(|c| (asset, c)).collect()
            } else {
                continue;
            };
            for (li, ci) in pairs {
                let my_l = self.token_account(&state.assets[li].account);
                let budget = match chain.account(&my_l).await? {
                    Some(a) => token_amount(&a)? as i128,
                    None => 0,
                };
                if budget == 0 {
                    continue;
                }
                // The program accrues the liability and the collateral before it values the book.
                let mut touched = assets.clone();
                for i in [li, ci] {
                    touched[i].accrue(now).map_err(|e| anyhow::anyhow!("accrual: {e}"))?;
                }
                let holdings = view::holdings(&touched, prices, account, now, Pricing::Liquidation)
                    .map_err(|i| anyhow::anyhow!("asset {i} owed but unpriced"))?;
                let find =
                    |a: usize, sign: i128| holdings.iter().position(|h| h.asset == a && h.amount.signum() == sign);
                let (Some(l), Some(c)) = (find(li, -1), find(ci, 1)) else { continue };
                let book = risk_engine::perp::hedge::HedgeBook {
                    cov: &cov,
                    holdings: &holdings,
                    perps: &perps,
                    liability: l,
                    collateral: c,
                    target: j,
                    position: slots[j].position(),
                    pricing: markets[j].pricing(&state.group),
                    margin: &margin,
                    liq: &liq,
                    fee: markets[j].params.liquidation_fee,
                };
                let Ok(v) = book.plan(budget) else { continue };
                let (la, ca) = (&state.assets[li], &state.assets[ci]);
                let health = state.health_keys(account);
                let keys = LiquidateKeys {
                    liquidator: self.keypair.pubkey(),
                    group: state.address,
                    risk_model: state.group.risk_model,
                    account: address,
                    liquidator_account: self.margin_account(&state.address),
                    liability: &la.keys,
                    liquidator_liability_tokens: my_l,
                    collateral: &ca.keys,
                    health: &health,
                };
                let market = p.markets[slots[j].market_index as usize].0;
                let perp_keys = state.perp_health_keys(account);
                let repay = u64::try_from(v.repay).context("repay out of range")?;
                return Ok(Some(portfolio_margin_client::perp::liquidate_hedge(
                    keys, &market, &perp_keys, &p.keys, repay,
                )));
            }
        }
        Ok(None)
    }

    /// A sent liquidation step: an error unless it landed; counted, with its action read from its
    /// event by `action` (none when the node kept no logs).
    fn record(
        &self,
        out: TxOutcome,
        what: &str,
        metrics: &Metrics,
        round: &mut Round,
        action: impl FnOnce(&TxOutcome) -> Option<Action>,
    ) -> Result<()> {
        if let Err(e) = &out.result {
            anyhow::bail!("{what}: {}", out.error_text().unwrap_or_else(|| e.to_string()));
        }
        metrics.liquidations.fetch_add(1, Relaxed);
        if let Some(a) = action(&out) {
            tracing::debug!("{what}: {a:?}");
            round.actions.push(a);
        }
        Ok(())
    }

    async fn resolve<C: Chain>(
        &mut self,
        chain: &C,
        state: &GroupState,
        address: Pubkey,
        account: &MarginAccount,
        metrics: &Metrics,
        round: &mut Round,
    ) -> Result<()> {
        let dust: Vec<Pubkey> = account
            .active()
            .filter(|p| p.shares.get() > Fx::ZERO)
            .map(|p| state.assets[p.asset_index as usize].keys.asset)
            .collect();
        for (k, p) in account.active().filter(|p| p.shares.get() < Fx::ZERO).enumerate() {
            let a = &state.assets[p.asset_index as usize];
            // The first call clears the dust; later ones find none.
            let ix = pix::resolve_bankruptcy(state.address, address, &a.keys, if k == 0 { &dust } else { &[] });
            let out = self.send_guarded(chain, address, &[ix], &self.opts.clone()).await?;
            if let Err(e) = &out.result {
                anyhow::bail!("resolve_bankruptcy: {}", out.error_text().unwrap_or_else(|| e.to_string()));
            }
            metrics.bankruptcies_resolved.fetch_add(1, Relaxed);
            if let Some(event) = out.events::<BankruptcyResolved>().into_iter().next() {
                tracing::debug!(account = %address, debt = event.debt, insurance_paid = event.insurance_paid, "bankruptcy resolved");
                round.actions.push(Action::Bankruptcy {
                    account: address,
                    asset: event.asset,
                    debt: event.debt,
                    insurance_paid: event.insurance_paid,
                });
            }
        }
        Ok(())
    }

    /// Sends with the account marked in flight until the outcome is known.
    async fn send_guarded<C: Chain>(
        &mut self,
        chain: &C,
        account: Pubkey,
        ixs: &[anchor_lang::solana_program::instruction::Instruction],
        opts: &SendOptions,
    ) -> Result<TxOutcome> {
        let r = send_ixs(chain, &self.keypair, &[], ixs, opts).await;
        match &r {
            // Unknown outcome: keep the account blocked until its signature resolves.
            Err(e) => {
                if let Some(u) = e.downcast_ref::<Unconfirmed>() {
                    self.in_flight.insert(account, (u.signature, Instant::now()));
                }
            }
            Ok(_) => {
                self.in_flight.remove(&account);
            }
        }
        r
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }
}
