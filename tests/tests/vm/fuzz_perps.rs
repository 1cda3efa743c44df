//! The invariant fuzzer's perp actions (trades, settlements, hedged and perp liquidations sized by
//! the engine's plans, LP moves) and its check that every market's books are the sum of its positions.
use portfolio_margin::state::{Group, MarginAccount, ModelView, PerpMarket, RiskModel};
use portfolio_margin_tests::*;
use risk_engine::{Fx, FxExt};

use super::{held, with_asset, Rng, State, SPECS};

/// One perp action of a step; `None` when there was nothing to do (no liquidatable perp).
#[allow(clippy::too_many_arguments)]
pub(super) async fn step(
    w: &mut World,
    m: &Market,
    p: &Perps,
    lp: &Lp,
    t: &Trader,
    traders: &[Trader],
    liquidator: &Trader,
    st: &State,
    rng: &mut Rng,
) -> Option<(&'static str, Outcome)> {
    Some({
        let market = rng.below(2) as usize;
        let a = p.markets[market].1;
        let sub = rng.below(100);
        if sub < 55 {
            // A trade of 0.001 to 1,000 tokens either way, no limit (sized in tokens like the
            // spot actions, so a collapsed price does not turn dollars into an absurd size).
            let tokens = 10f64.powf(rng.unit() * 6.0 - 3.0);
            let base = ((tokens * 10f64.powi(SPECS[a].decimals as i32)) as i64).saturating_add(1);
            let mut delta = if rng.below(2) == 0 { base } else { -base };
            // A third of the time, hedge the spot holding of the asset instead (part of it, the
            // other side): books the hedged liquidation can then unwind.
            if rng.below(3) == 0 {
                let spot =
                    account_holdings(w, &m, t, &st.prices).await.iter().find(|q| q.asset == a).map_or(0, |q| q.amount);
                let hedge = -(spot as f64 * (0.5 + 0.5 * rng.unit())) as i128;
                if hedge != 0 {
                    delta = hedge.clamp(i64::MIN as i128 + 1, i64::MAX as i128) as i64;
                }
            }
            let limit = if delta > 0 { u64::MAX } else { 0 };
            let h = held(w, t).await;
            let ph = with_asset(p.held(w, t).await, market);
            ("trade_perp", w.send(&[p.trade_ix(&m, t, market, delta, limit, &h, &ph)], &[&t.key]).await)
        } else if sub < 75 {
            ("settle_perp_pnl", w.send(&[p.settle_ix(t, market)], &[]).await)
        } else if sub < 92 {
            // Liquidate a perp position of whichever trader the engine finds liquidatable.
            let mut done = None;
            for x in traders {
                let (perps, markets) = p.book(w, &m, x, &st.prices).await;
                let acc: MarginAccount = w.zero_copy(x.margin_account).await;
                if perps.is_empty() {
                    continue;
                }
                // A perp or a debt on a stopped feed cannot be priced: the program refuses.
                if let Some(s) = st.stale {
                    let perp_stale = markets.iter().any(|lp| lp.market.asset_index as usize == s);
                    let debt_stale = acc.active().any(|q| q.asset_index as usize == s && q.shares.get() < Fx::ZERO);
                    if perp_stale || debt_stale {
                        continue;
                    }
                }
                let mut holdings = account_holdings(w, &m, x, &st.prices).await;
                holdings.retain(|q| !(Some(q.asset) == st.stale && q.amount > 0));
                let group: Group = w.zero_copy(m.group).await;
                let model: RiskModel = w.zero_copy(m.risk_model).await;
                let (mp, lq) = (group.params.margin_params().unwrap(), group.params.liquidation_params());
                let slots: Vec<_> = acc.active_perps().copied().collect();
                // Both legs of a hedge first, as the keeper does: each perp against a spot holding
                // of its asset on the other side and a debt (or, beside a long, a deposit).
                for (j, slot) in slots.iter().enumerate() {
                    let asset = perps[j].asset;
                    let side = |sign: i128| holdings.iter().position(|q| q.asset == asset && q.amount.signum() == sign);
                    let pairs: Vec<(usize, usize)> = match (perps[j].base.signum(), side(1), side(-1)) {
                        (-1, Some(c), _) => {
                            (0..holdings.len()).filter(|&l| holdings[l].amount < 0).map(|l| (l, c)).collect()
                        }
                        (1, _, Some(l)) => {
                            (0..holdings.len()).filter(|&c| holdings[c].amount > 0).map(|c| (l, c)).collect()
                        }
                        _ => vec![],
                    };
                    for (l, c) in pairs {
                        let hedge = risk_engine::perp::hedge::HedgeBook {
                            cov: &ModelView { model: &model },
                            holdings: &holdings,
                            perps: &perps,
                            liability: l,
                            collateral: c,
                            target: j,
                            position: slot.position(),
                            pricing: markets[j].pricing(&group),
                            margin: &mp,
                            liq: &lq,
                            fee: markets[j].params.liquidation_fee,
                        };
                        let planned = hedge.plan(i128::MAX);
                        if std::env::var("FUZZ_DEBUG").is_ok() {
                            eprintln!("hedge pair {l}/{c} of perp {j}: {:?}", planned.as_ref().map(|v| v.repay));
                        }
                        if let Ok(v) = planned {
                            let h = held(w, x).await;
                            let ph = p.held(w, x).await;
                            let (la, ca) = (holdings[l].asset, holdings[c].asset);
                            let market = slot.market_index as usize;
                            let ix = p.hedge_ix(&m, &liquidator, x, (la, ca), market, v.repay as u64, &h, &ph);
                            let out = w.send(&[compute_limit_ix(1_400_000), ix], &[&liquidator.key]).await;
                            return Some(("liquidate_hedge", out));
                        }
                    }
                }
                for (j, slot) in slots.iter().enumerate() {
                    let book = risk_engine::perp::liquidation::PerpBook {
                        cov: &ModelView { model: &model },
                        holdings: &holdings,
                        perps: &perps,
                        target: j,
                        position: slot.position(),
                        pricing: markets[j].pricing(&group),
                        margin: &mp,
                        liq: &lq,
                        fee: markets[j].params.liquidation_fee,
                    };
                    if let Ok(v) = book.plan() {
                        let h = held(w, x).await;
                        let ph = p.held(w, x).await;
                        let q = v.close.delta.unsigned_abs() as u64;
                        let ix = p.liquidate_ix(&m, &liquidator, x, slot.market_index as usize, q, &h, &ph);
                        done = Some(w.send(&[compute_limit_ix(1_400_000), ix], &[&liquidator.key]).await);
                        break;
                    }
                }
                if done.is_some() {
                    break;
                }
            }
            match done {
                Some(out) => ("liquidate_perp", out),
                None => return None,
            }
        } else if sub < 96 {
            let shares = w.token_balance(lp.shares).await;
            let amount = (shares as f64 * rng.unit() * 0.5) as u64;
            ("perp_liquidity", w.send(&[p.withdraw_lp_ix(&lp, amount)], &[&lp.trader.key]).await)
        } else {
            let amount = (w.token_balance(lp.trader.tokens[2]).await as f64 * rng.unit() * 0.5) as u64;
            ("perp_liquidity", w.send(&[p.deposit_lp_ix(&lp, amount)], &[&lp.trader.key]).await)
        }
    })
}

/// Every market's aggregates equal the sum of the positions in it, to the last bit.
pub(super) async fn check_books(w: &mut World, p: &Perps, accounts: &[anchor_lang::prelude::Pubkey], step: usize) {
    let mut sums = vec![(0u64, 0u64, Fx::ZERO, Fx::ZERO, Fx::ZERO); p.markets.len()];
    for address in accounts {
        let acc: MarginAccount = w.zero_copy(*address).await;
        for slot in acc.active_perps() {
            let i = slot.market_index as usize;
            let market: PerpMarket = w.zero_copy(p.markets[i].0.perp_market).await;
            let pos = slot.position();
            let basis = risk_engine::valuation::native_to_tokens_floor(pos.base.abs(), market.decimals)
                .unwrap()
                .mul_floor(pos.funding_index)
                .unwrap();
            let s = &mut sums[i];
            if pos.base > 0 {
                s.0 += pos.base as u64;
                s.3 += basis;
            } else if pos.base < 0 {
                s.1 += (-pos.base) as u64;
                s.4 += basis;
            }
            s.2 += pos.quote;
        }
    }
    for (i, (keys, _)) in p.markets.iter().enumerate() {
        let mk: PerpMarket = w.zero_copy(keys.perp_market).await;
        let books =
            (mk.long_oi, mk.short_oi, mk.net_quote.get(), mk.long_funding_basis.get(), mk.short_funding_basis.get());
        assert_eq!(sums[i], books, "step {step}: perp market {i}'s aggregates are not the sum of its positions");
    }
}
