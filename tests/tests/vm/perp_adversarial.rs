//! The perp instructions' adversarial table: each case one hostile transaction that must fail with
//! its specific error and leave every account of the market (perp vault, markets, LP shares
//! included) byte-for-byte unchanged.
use anchor_lang::error::ErrorCode as A;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use portfolio_margin::error::ErrorCode as E;
use portfolio_margin::state::PerpParamsArgs;
use portfolio_margin_client::perp::{self as pp, PerpMarketKeys, PerpVaultKeys};
use portfolio_margin_tests::*;
use pyth_solana_receiver_sdk::price_update::VerificationLevel;
use solana_keypair::Keypair;
use solana_signer::Signer;

const BTC: AssetSpec = AssetSpec { decimals: 8, price: 50_000.0, daily_vol: 0.04, token_2022: false };
const USDC: AssetSpec = AssetSpec { decimals: 6, price: 1.0, daily_vol: 0.001, token_2022: false };
const ETH: AssetSpec = AssetSpec { decimals: 8, price: 2_000.0, daily_vol: 0.05, token_2022: false };
const ONE: i64 = 100_000_000;
const USD: u64 = 1_000_000;

fn custom(e: E) -> u32 {
    u32::from(e)
}
fn anchor(e: A) -> u32 {
    e as u32
}

struct World2<'a> {
    m: &'a Market,
    other: &'a Market,
    p: &'a Perps,
    other_vault: PerpVaultKeys,
    third_vault: PerpVaultKeys,
    people: Vec<&'a Trader>,
    extra: Vec<Pubkey>,
}

async fn snapshot(w: &mut World, s: &World2<'_>) -> Vec<Vec<u8>> {
    let mut keys = vec![s.m.group, s.m.risk_model, s.other.group, s.third_vault.perp_vault, s.third_vault.share_mint];
    for market in [s.m, s.other] {
        for a in &market.assets {
            keys.extend([a.asset, a.vault, a.insurance_vault]);
        }
    }
    keys.extend([s.p.vault.perp_vault, s.p.vault.tokens, s.p.vault.share_mint, s.other_vault.perp_vault]);
    keys.extend(s.p.markets.iter().map(|(k, _)| k.perp_market));
    for t in &s.people {
        keys.push(t.margin_account);
        keys.extend(t.tokens.iter().copied());
    }
    keys.extend(s.extra.iter().copied());
    let mut out = vec![];
    for k in keys {
        out.push(w.account_data(k).await.unwrap_or_default());
    }
    out
}

fn unsign(mut ix: Instruction, index: usize) -> Instruction {
    ix.accounts[index].is_signer = false;
    ix
}

fn swap(mut ix: Instruction, index: usize, key: Pubkey) -> Instruction {
    ix.accounts[index].pubkey = key;
    ix
}

fn truncate(mut ix: Instruction, len: usize) -> Instruction {
    ix.accounts.truncate(len);
    ix
}

#[tokio::test]
async fn every_perp_attack_fails_with_its_error_and_changes_nothing() {
    let mut w = World::new().await;
    let m = Market::new(&mut w, &[BTC, USDC, ETH], 0.3).await;
    let other = Market::with_group_id(&mut w, 1, &[USDC], 0.0).await;
    // A group without a perp vault yet.
    let third = Market::with_group_id(&mut w, 2, &[USDC], 0.0).await;
    let third_vault = PerpVaultKeys::new(third.group, third.assets[0].keys());
    let admin = w.payer();
    let p = Perps::new(&mut w, &m, 1, &[0, 2], 1_000 * ONE as u64).await;
    let other_vault = PerpVaultKeys::new(other.group, other.assets[0].keys());
    w.send(&[pp::create_perp_vault(&admin, &other_vault, 500_000)], &[]).await.ok();
    let (btc, eth) = (p.markets[0].0, p.markets[1].0);
    // ETH's market: at most $100k per position.
    let small = PerpParamsArgs { max_position_notional_usd: 100_000, ..PerpParamsArgs::defaults(1_000 * ONE as u64) };
    w.send(&[pp::update_perp_market(&admin, m.group, &eth, small)], &[]).await.ok();
    let lp = p.lp(&mut w, &m, 1_000_000 * USD).await;
    w.send(&[p.deposit_lp_ix(&lp, 1_000_000 * USD)], &[&lp.trader.key]).await.ok();
    // The trader: $100k USDC, long 1 BTC perp.
    let t = m.trader(&mut w, &[0, 100_000 * USD, 0]).await;
    w.send(&[m.deposit_ix(&t, 1, 100_000 * USD)], &[&t.key]).await.ok();
    w.send(&[p.trade_ix(&m, &t, 0, ONE, 60_000 * USD, &[1], &[0])], &[&t.key]).await.ok();
    let thief = m.trader(&mut w, &[0, 10_000 * USD, 0]).await;
    w.send(&[m.deposit_ix(&thief, 1, 10_000 * USD)], &[&thief.key]).await.ok();
    let liq = m.trader(&mut w, &[1_000, 1_000 * USD, 0]).await;
    // A hedged book on the ETH market (the BTC market's skew stays the table's): 1 BTC and 10 ETH
    // deposited, short 10 ETH perp, $5k USDC borrowed (healthy).
    let hg = m.trader(&mut w, &[ONE as u64, 0, 10 * ONE as u64]).await;
    w.send(&[m.deposit_ix(&hg, 0, ONE as u64), m.deposit_ix(&hg, 2, 10 * ONE as u64)], &[&hg.key]).await.ok();
    w.send(&[p.trade_ix(&m, &hg, 1, -10 * ONE, 0, &[0, 2], &[1])], &[&hg.key]).await.ok();
    w.send(&[p.with_perp_health(m.borrow_ix(&hg, 1, 5_000 * USD, &[0, 2, 1]), &[1])], &[&hg.key]).await.ok();
    let hedge = |signer: &Trader, pair: (usize, usize), market: usize, max_repay: u64| {
        p.hedge_ix(&m, signer, &hg, pair, market, max_repay, &[0, 2, 1], &[1])
    };
    let other_trader = other.trader(&mut w, &[0]).await;
    let now = w.clock().await.unix_timestamp;
    let s = World2 {
        m: &m,
        other: &other,
        p: &p,
        other_vault,
        third_vault,
        people: vec![&t, &thief, &liq, &lp.trader, &hg],
        extra: vec![lp.shares],
    };
    let usdc = m.assets[1].keys();
    let trade =
        |who: &Trader, market: usize, delta: i64, limit: u64| p.trade_ix(&m, who, market, delta, limit, &[1], &[0]);
    let buy = |delta: i64| trade(&t, 0, delta, u64::MAX);
    let invalid = PerpParamsArgs { upnl_initial_weight_e6: 900_000, ..PerpParamsArgs::defaults(1_000) };
    let reversed: Vec<PerpMarketKeys> = vec![eth, btc];
    let lp_t = &lp.trader;
    let deposit_lp = |amount| p.deposit_lp_ix(&lp, amount);

    let cases: Vec<(&str, Instruction, Vec<&Keypair>, u32)> = vec![
        // create_perp_vault
        (
            "create_perp_vault: not the admin",
            pp::create_perp_vault(&thief.key.pubkey(), &third_vault, 500_000),
            vec![&thief.key],
            anchor(A::ConstraintHasOne),
        ),
        (
            "create_perp_vault: max utilization 0",
            pp::create_perp_vault(&admin, &third_vault, 0),
            vec![],
            custom(E::InvalidRiskParameter),
        ),
        (
            "create_perp_vault: max utilization above 1",
            pp::create_perp_vault(&admin, &third_vault, 1_000_001),
            vec![],
            custom(E::InvalidRiskParameter),
        ),
        (
            "create_perp_vault: a second vault for the group (account in use)",
            pp::create_perp_vault(&admin, &p.vault, 500_000),
            vec![],
            0,
        ),
        (
            "create_perp_vault: quote asset of another group",
            swap(pp::create_perp_vault(&admin, &third_vault, 500_000), 2, m.assets[1].asset),
            vec![],
            anchor(A::ConstraintHasOne),
        ),
        // create_perp_market
        (
            "create_perp_market: not the admin",
            pp::create_perp_market(&thief.key.pubkey(), &p.vault, &m.assets[1].keys(), PerpParamsArgs::defaults(1_000)),
            vec![&thief.key],
            anchor(A::ConstraintHasOne),
        ),
        (
            "create_perp_market: a second market on BTC (account in use)",
            pp::create_perp_market(&admin, &p.vault, &m.assets[0].keys(), PerpParamsArgs::defaults(1_000)),
            vec![],
            0,
        ),
        (
            "create_perp_market: initial weight ≥ maintenance weight",
            pp::create_perp_market(&admin, &p.vault, &usdc, invalid),
            vec![],
            custom(E::InvalidRiskParameter),
        ),
        (
            "create_perp_market: stress move 0",
            pp::create_perp_market(
                &admin,
                &p.vault,
                &usdc,
                PerpParamsArgs { stress_move_e6: 0, ..PerpParamsArgs::defaults(1_000) },
            ),
            vec![],
            custom(E::InvalidRiskParameter),
        ),
        (
            "create_perp_market: zero open-interest cap",
            pp::create_perp_market(&admin, &p.vault, &usdc, PerpParamsArgs::defaults(0)),
            vec![],
            custom(E::InvalidRiskParameter),
        ),
        // (the market's address is derived from its asset: a substituted asset fails the seeds)
        (
            "create_perp_market: asset of another group",
            swap(
                pp::create_perp_market(&admin, &p.vault, &usdc, PerpParamsArgs::defaults(1_000)),
                3,
                other.assets[0].asset,
            ),
            vec![],
            anchor(A::ConstraintSeeds),
        ),
        (
            "create_perp_market: another group's vault",
            swap(
                pp::create_perp_market(&admin, &p.vault, &usdc, PerpParamsArgs::defaults(1_000)),
                2,
                other_vault.perp_vault,
            ),
            vec![],
            anchor(A::ConstraintSeeds),
        ),
        // update_perp_market
        (
            "update_perp_market: not the risk authority",
            pp::update_perp_market(&thief.key.pubkey(), m.group, &btc, PerpParamsArgs::defaults(1_000)),
            vec![&thief.key],
            anchor(A::ConstraintHasOne),
        ),
        (
            "update_perp_market: another market's oracle",
            swap(pp::update_perp_market(&admin, m.group, &btc, PerpParamsArgs::defaults(1_000)), 3, eth.oracle),
            vec![],
            anchor(A::ConstraintHasOne),
        ),
        (
            "update_perp_market: invalid parameters",
            pp::update_perp_market(&admin, m.group, &btc, invalid),
            vec![],
            custom(E::InvalidRiskParameter),
        ),
        // deposit / withdraw_perp_liquidity
        ("deposit_perp_liquidity: zero", deposit_lp(0), vec![&lp_t.key], custom(E::ZeroAmount)),
        ("deposit_perp_liquidity: unsigned", unsign(deposit_lp(1_000), 0), vec![], anchor(A::AccountNotSigner)),
        (
            "deposit_perp_liquidity: markets left out",
            truncate(deposit_lp(1_000), 9),
            vec![&lp_t.key],
            custom(E::PerpMarketsMismatch),
        ),
        (
            "deposit_perp_liquidity: markets out of order",
            pp::deposit_perp_liquidity(&lp_t.key.pubkey(), &p.vault, lp_t.tokens[1], lp.shares, &reversed, 1_000),
            vec![&lp_t.key],
            custom(E::PerpMarketsMismatch),
        ),
        (
            "deposit_perp_liquidity: someone else's tokens",
            swap(deposit_lp(1_000), 6, thief.tokens[1]),
            vec![&lp_t.key],
            anchor(A::ConstraintTokenOwner),
        ),
        (
            "deposit_perp_liquidity: a substituted share mint",
            swap(deposit_lp(1_000), 4, m.assets[0].mint),
            vec![&lp_t.key],
            anchor(A::ConstraintHasOne),
        ),
        (
            "deposit_perp_liquidity: another group's vault",
            swap(deposit_lp(1_000), 2, other_vault.perp_vault),
            vec![&lp_t.key],
            anchor(A::ConstraintHasOne),
        ),
        (
            "withdraw_perp_liquidity: more shares than held",
            p.withdraw_lp_ix(&lp, 1_000_001 * USD),
            vec![&lp_t.key],
            custom(E::InsufficientDeposit),
        ),
        ("withdraw_perp_liquidity: zero", p.withdraw_lp_ix(&lp, 0), vec![&lp_t.key], custom(E::ZeroAmount)),
        (
            "withdraw_perp_liquidity: beyond the vault's stress budget",
            p.withdraw_lp_ix(&lp, 950_000 * USD),
            vec![&lp_t.key],
            custom(E::PerpVaultUtilization),
        ),
        (
            "withdraw_perp_liquidity: by someone else",
            pp::withdraw_perp_liquidity(&thief.key.pubkey(), &p.vault, thief.tokens[1], lp.shares, &p.keys(), 1_000),
            vec![&thief.key],
            anchor(A::ConstraintTokenOwner),
        ),
        // trade_perp
        ("trade_perp: zero", buy(0), vec![&t.key], custom(E::ZeroAmount)),
        ("trade_perp: unsigned", unsign(buy(ONE / 100), 0), vec![], anchor(A::AccountNotSigner)),
        (
            "trade_perp: someone else's account",
            swap(trade(&thief, 0, ONE / 100, u64::MAX), 3, t.margin_account),
            vec![&thief.key],
            anchor(A::ConstraintHasOne),
        ),
        (
            "trade_perp: another market's oracle",
            swap(buy(ONE / 100), 7, eth.oracle),
            vec![&t.key],
            anchor(A::ConstraintHasOne),
        ),
        (
            "trade_perp: buy above the limit price",
            trade(&t, 0, ONE / 100, 40_000 * USD),
            vec![&t.key],
            custom(E::LimitPriceExceeded),
        ),
        (
            "trade_perp: sell below the limit price",
            trade(&t, 0, -ONE / 100, 60_000 * USD),
            vec![&t.key],
            custom(E::LimitPriceExceeded),
        ),
        ("trade_perp: beyond the open-interest cap", buy(1_000 * ONE), vec![&t.key], custom(E::OpenInterestCap)),
        (
            "trade_perp: beyond the maximum notional",
            p.trade_ix(&m, &t, 1, 60 * ONE, u64::MAX, &[1], &[0, 1]),
            vec![&t.key],
            custom(E::PositionTooLarge),
        ),
        (
            "trade_perp: health accounts left out",
            truncate(buy(ONE / 100), 10),
            vec![&t.key],
            custom(E::HealthAccountsMismatch),
        ),
        (
            "trade_perp: another market as the position's health account",
            p.trade_ix(&m, &t, 0, ONE / 100, u64::MAX, &[1], &[1]),
            vec![&t.key],
            custom(E::WrongPerpMarket),
        ),
        (
            "trade_perp: another group's vault",
            swap(buy(ONE / 100), 4, other_vault.perp_vault),
            vec![&t.key],
            custom(E::WrongPerpVault),
        ),
        (
            "trade_perp: risk-increasing beyond initial health",
            buy(14 * ONE),
            vec![&t.key],
            custom(E::InitialHealthBelowZero),
        ),
        // The largest size the argument can carry: priced without overflow, refused at the cap.
        ("trade_perp: the largest size (i64::MAX)", buy(i64::MAX), vec![&t.key], custom(E::OpenInterestCap)),
        (
            "trade_perp: the largest short (i64::MIN)",
            trade(&t, 0, i64::MIN, 0),
            vec![&t.key],
            custom(E::OpenInterestCap),
        ),
        // settle_perp_pnl
        ("settle_perp_pnl: no position", p.settle_ix(&thief, 0), vec![], custom(E::NoPerpPosition)),
        (
            "settle_perp_pnl: another asset as the quote",
            swap(p.settle_ix(&t, 0), 6, m.assets[0].asset),
            vec![],
            custom(E::WrongPerpVault),
        ),
        (
            "settle_perp_pnl: another lending vault",
            swap(p.settle_ix(&t, 0), 7, m.assets[0].vault),
            vec![],
            anchor(A::ConstraintHasOne),
        ),
        (
            "settle_perp_pnl: another market's oracle",
            swap(p.settle_ix(&t, 0), 5, eth.oracle),
            vec![],
            anchor(A::ConstraintHasOne),
        ),
        (
            "settle_perp_pnl: an account of another group",
            swap(p.settle_ix(&t, 0), 1, other_trader.margin_account),
            vec![],
            anchor(A::ConstraintHasOne),
        ),
        // liquidate_perp
        (
            "liquidate_perp: a healthy account",
            p.liquidate_ix(&m, &liq, &t, 0, ONE as u64, &[1], &[0]),
            vec![&liq.key],
            custom(E::NotLiquidatable),
        ),
        (
            "liquidate_perp: by its owner",
            p.liquidate_ix(&m, &t, &t, 0, ONE as u64, &[1], &[0]),
            vec![&t.key],
            custom(E::SelfLiquidation),
        ),
        ("liquidate_perp: zero", p.liquidate_ix(&m, &liq, &t, 0, 0, &[1], &[0]), vec![&liq.key], custom(E::ZeroAmount)),
        (
            "liquidate_perp: no position in that market",
            p.liquidate_ix(&m, &liq, &t, 1, ONE as u64, &[1], &[0]),
            vec![&liq.key],
            custom(E::NoPerpPosition),
        ),
        (
            "liquidate_perp: reward to a token account of another mint",
            swap(p.liquidate_ix(&m, &liq, &t, 0, ONE as u64, &[1], &[0]), 7, liq.tokens[0]),
            vec![&liq.key],
            anchor(A::ConstraintTokenMint),
        ),
        (
            "liquidate_perp: health accounts left out",
            truncate(p.liquidate_ix(&m, &liq, &t, 0, ONE as u64, &[1], &[0]), 13),
            vec![&liq.key],
            custom(E::HealthAccountsMismatch),
        ),
        // liquidate_hedge (accounts: 11 of a spot liquidation, the perp market, its oracle)
        (
            "liquidate_hedge: a healthy account",
            hedge(&liq, (1, 2), 1, 1_000 * USD),
            vec![&liq.key],
            custom(E::NotLiquidatable),
        ),
        (
            "liquidate_hedge: by its owner",
            hedge(&hg, (1, 2), 1, 1_000 * USD),
            vec![&hg.key],
            custom(E::SelfLiquidation),
        ),
        ("liquidate_hedge: zero", hedge(&liq, (1, 2), 1, 0), vec![&liq.key], custom(E::ZeroAmount)),
        (
            "liquidate_hedge: no position in that market",
            hedge(&liq, (1, 2), 0, 1_000 * USD),
            vec![&liq.key],
            custom(E::NoPerpPosition),
        ),
        (
            "liquidate_hedge: a collateral the perp does not hedge",
            hedge(&liq, (1, 0), 1, 1_000 * USD),
            vec![&liq.key],
            custom(E::NotAHedge),
        ),
        (
            "liquidate_hedge: a liability that is a deposit",
            hedge(&liq, (0, 2), 1, 1_000 * USD),
            vec![&liq.key],
            custom(E::NoDebt),
        ),
        (
            "liquidate_hedge: another market's oracle",
            swap(hedge(&liq, (1, 2), 1, 1_000 * USD), 12, btc.oracle),
            vec![&liq.key],
            anchor(A::ConstraintHasOne),
        ),
        (
            "liquidate_hedge: health accounts left out",
            truncate(hedge(&liq, (1, 2), 1, 1_000 * USD), 17),
            vec![&liq.key],
            custom(E::HealthAccountsMismatch),
        ),
        (
            "liquidate_hedge: the liquidator's account of another owner",
            swap(hedge(&liq, (1, 2), 1, 1_000 * USD), 4, thief.margin_account),
            vec![&liq.key],
            custom(E::WrongLiquidatorAccount),
        ),
    ];
    let count = cases.len();
    let mut wrong = vec![];
    for (name, ix, signers, expected) in cases {
        let before = snapshot(&mut w, &s).await;
        let out = w.send(&[ix], &signers).await;
        if out.result.is_ok() {
            wrong.push(format!("{name}: succeeded"));
        } else if expected != 0 && out.custom_error() != Some(expected) {
            wrong.push(format!("{name}: {:?} instead of {expected}\n{}", out.custom_error(), out.logs.join("\n")));
        }
        if snapshot(&mut w, &s).await != before {
            wrong.push(format!("{name}: state changed"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
    // The BTC market's registered oracle unusable: every instruction that prices it refuses.
    let btc_asset = m.assets[0];
    let mut stale_cases = 0;
    for (variant, data, error) in [
        (
            "stale",
            price_update_data(btc_asset.feed_id, 50_000.0, 5.0, now - 61, VerificationLevel::Full),
            E::OracleStale,
        ),
        (
            "wide",
            price_update_data(btc_asset.feed_id, 50_000.0, 5_000.0, now, VerificationLevel::Full),
            E::OracleConfidenceTooWide,
        ),
    ] {
        w.set_oracle(btc_asset.oracle, data);
        let cases: Vec<(String, Instruction, Vec<&Keypair>)> = vec![
            (format!("trade_perp: {variant} oracle"), buy(ONE / 100), vec![&t.key]),
            (format!("settle_perp_pnl: {variant} oracle"), p.settle_ix(&t, 0), vec![]),
            (
                format!("liquidate_perp: {variant} oracle"),
                p.liquidate_ix(&m, &liq, &t, 0, ONE as u64, &[1], &[0]),
                vec![&liq.key],
            ),
            // (the BTC market is read before the account, whose hedge is on ETH)
            (format!("liquidate_hedge: {variant} oracle"), hedge(&liq, (1, 2), 0, 1_000 * USD), vec![&liq.key]),
            (format!("deposit_perp_liquidity: {variant} oracle"), deposit_lp(1_000), vec![&lp_t.key]),
            (format!("withdraw_perp_liquidity: {variant} oracle"), p.withdraw_lp_ix(&lp, 1_000), vec![&lp_t.key]),
            (
                format!("update_perp_market: {variant} oracle"),
                pp::update_perp_market(&admin, m.group, &btc, PerpParamsArgs::defaults(1_000)),
                vec![],
            ),
        ];
        for (name, ix, signers) in cases {
            let before = snapshot(&mut w, &s).await;
            let out = w.send(&[ix], &signers).await;
            assert_eq!(out.custom_error(), Some(custom(error)), "{name}\n{:#?}", out.logs);
            assert_eq!(snapshot(&mut w, &s).await, before, "{name}: state changed");
            stale_cases += 1;
        }
    }
    println!("perp adversarial cases: {} + {} oracle cases", count, stale_cases);
}
