//! Each on-chain subcommand against the embedded runtime (the program's SBF binary in the client's
//! in-process SVM): the runtime refuses forged signatures and replays; migrate is idempotent, the crank samples on schedule and skips when
//! early, the liquidator liquidates exactly once through injected RPC faults, and the inspector
//! passes a sound state and catches a corrupted one.
use std::cell::Cell;
use std::path::PathBuf;

use anchor_lang::prelude::Pubkey;
use keeper::crank::{crank_once, CrankOutcome};
use keeper::liquidator::Action;
use keeper::metrics::Metrics;
use keeper::migrate::{self, Config};
use keeper::simulate::publish_prices;
use portfolio_margin::state::{MarginAccount, RiskModel};
use portfolio_margin_client::chain::embedded::{default_program_dir, Embedded};
use portfolio_margin_client::chain::{send_ixs, Chain, ChainError, ChainResult, Filter, TxOutcome};
use portfolio_margin_client::state::{load, GroupState};
use portfolio_margin_client::Keypair;
use solana_account::Account;

mod common;
use common::{config, leveraged_trader, liquidator, opts, PX};

const DAY: i64 = 86_400;
/// 2020-03-01, inside the data.
const T0: i64 = 1_583_020_800;

/// A chain at T0 with the three-asset group migrated and today's prices published.
async fn setup() -> (Embedded, Keypair, GroupState) {
    let chain = Embedded::start(&default_program_dir()).await.unwrap();
    chain.set_unix_time(T0).await.unwrap();
    let admin = chain.payer().insecure_clone();
    let run = migrate::migrate(&chain, &admin, &config(), &opts()).await.unwrap();
    let state = GroupState::fetch(&chain, &run.group).await.unwrap();
    publish_prices(&chain, &state, &PX, 0.0005, T0).await.unwrap();
    (chain, admin, state)
}

/// The embedded runtime is not a bank but refuses what a bank refuses: a transaction whose
/// signature does not verify, and the same signed transaction a second time; neither moves a
/// lamport.
#[tokio::test]
async fn the_embedded_runtime_refuses_a_forged_signature_and_a_replay() {
    use portfolio_margin_client::Signer;
    use solana_transaction_error::TransactionError;
    let chain = Embedded::start(&default_program_dir()).await.unwrap();
    let payer = chain.payer().insecure_clone();
    let to = Pubkey::new_unique();
    let ix = anchor_lang::solana_program::system_instruction::transfer(&payer.pubkey(), &to, 1_000_000);
    let hash = chain.latest_blockhash().await.unwrap();
    let tx = solana_transaction::Transaction::new_signed_with_payer(&[ix], Some(&payer.pubkey()), &[&payer], hash);
    let mut forged = tx.clone();
    forged.signatures[0] = solana_signature::Signature::from([7u8; 64]);
    let out = chain.send(&forged.into()).await.unwrap();
    assert_eq!(out.result, Err(TransactionError::SignatureFailure));
    assert_eq!(chain.account(&to).await.unwrap(), None, "a forged transaction moved lamports");
    chain.send(&tx.clone().into()).await.unwrap().check("the transfer").unwrap();
    let out = chain.send(&tx.into()).await.unwrap();
    assert_eq!(out.result, Err(TransactionError::AlreadyProcessed));
    assert_eq!(chain.account(&to).await.unwrap().unwrap().lamports, 1_000_000, "the replay moved lamports");
}

#[tokio::test]
async fn migrate_is_idempotent() {
    let (chain, admin, state) = setup().await;
    let before: Vec<Option<Account>> = chain.accounts(&[state.address, state.group.risk_model]).await.unwrap();
    let sent = chain.transactions();
    let again = migrate::migrate(&chain, &admin, &config(), &opts()).await.unwrap();
    assert!(again.changes.is_empty(), "second run changed: {:?}", again.changes);
    assert_eq!(chain.transactions(), sent, "second run sent transactions");
    assert_eq!(chain.accounts(&[state.address, state.group.risk_model]).await.unwrap(), before);
    assert_eq!(state.assets.len(), 3);
    // The bootstrap covariance came from history: BTC and ETH strongly correlated.
    let corr = keeper::inspect::correlation(&state.model, 3);
    assert!(corr[0][1] > 0.5 && corr[0][1] < 1.0, "BTC/ETH correlation {}", corr[0][1]);
    // A changed parameter is applied, and only that.
    let mut c = config();
    c.params.z_e6 = 2_500_000;
    let changed = migrate::migrate(&chain, &admin, &c, &opts()).await.unwrap();
    assert_eq!(changed.changes, vec!["updated risk parameters".to_string()]);
}

#[tokio::test]
async fn crank_samples_on_schedule_and_skips_when_early() {
    let (chain, admin, state) = setup().await;
    let m = Metrics::default();
    let first = crank_once(&chain, &admin, &state, 32, &opts(), &m).await.unwrap();
    assert!(matches!(first, CrankOutcome::Sampled { sample_count: 0, .. }), "{first:?}");
    let sent = chain.transactions();
    let early = crank_once(&chain, &admin, &state, 32, &opts(), &m).await.unwrap();
    assert_eq!(early, CrankOutcome::TooEarly { due: T0 + DAY });
    assert_eq!(chain.transactions(), sent, "an early round sends nothing");
    // Next day, two-phase (chunks of 2 assets), with ETH's oracle stale: sampled, ETH reported.
    chain.advance_to(T0 + DAY).await.unwrap();
    publish_prices(&chain, &state, &[8_000.0, 200.0, 1.0], 0.0005, T0 + DAY).await.unwrap();
    let stale = [8_000.0, 200.0, 1.0];
    publish_prices(
        &chain,
        &GroupState { assets: vec![state.assets[1].clone()], ..state.clone() },
        &stale[1..2],
        0.0005,
        T0,
    )
    .await
    .unwrap();
    let second = crank_once(&chain, &admin, &state, 2, &opts(), &m).await.unwrap();
    match second {
        CrankOutcome::Sampled { sample_count, missing, .. } => {
            assert_eq!(sample_count, 1);
            assert_eq!(missing, vec![1]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(m.samples_taken.load(std::sync::atomic::Ordering::Relaxed), 2);
    assert_eq!(m.oracle_failures.load(std::sync::atomic::Ordering::Relaxed), 1);
    assert!(m.render().contains("keeper_oracle_failures_total 1"));
}

/// Delegates to the embedded chain, failing sends on request: before submitting (nothing lands)
/// or after (it lands but the client hears an error, like an RPC timeout).
use solana_transaction::versioned::VersionedTransaction;

struct Flaky<'a> {
    inner: &'a Embedded,
    fail_before: Cell<u32>,
    fail_after: Cell<u32>,
}

impl Chain for Flaky<'_> {
    fn describe(&self) -> String {
        "flaky".into()
    }
    async fn account(&self, a: &Pubkey) -> ChainResult<Option<Account>> {
        self.inner.account(a).await
    }
    async fn accounts(&self, a: &[Pubkey]) -> ChainResult<Vec<Option<Account>>> {
        self.inner.accounts(a).await
    }
    async fn program_accounts(&self, p: &Pubkey, f: &[Filter]) -> ChainResult<Vec<(Pubkey, Account)>> {
        self.inner.program_accounts(p, f).await
    }
    async fn latest_blockhash(&self) -> ChainResult<solana_hash::Hash> {
        self.inner.latest_blockhash().await
    }
    async fn send(&self, tx: &VersionedTransaction) -> ChainResult<TxOutcome> {
        if self.fail_before.get() > 0 {
            self.fail_before.set(self.fail_before.get() - 1);
            return Err(ChainError::Transient("injected: connection reset".into()));
        }
        let out = self.inner.send(tx).await?;
        if self.fail_after.get() > 0 {
            self.fail_after.set(self.fail_after.get() - 1);
            return Err(ChainError::Transient("injected: timed out waiting for confirmation".into()));
        }
        Ok(out)
    }
    async fn simulate(&self, tx: &VersionedTransaction) -> ChainResult<TxOutcome> {
        self.inner.simulate(tx).await
    }
    async fn recent_prioritization_fees(&self, a: &[Pubkey]) -> ChainResult<Vec<u64>> {
        self.inner.recent_prioritization_fees(a).await
    }
    async fn next_slot(&self) -> ChainResult<()> {
        self.inner.next_slot().await
    }
    async fn signature_status(
        &self,
        s: &solana_signature::Signature,
    ) -> ChainResult<Option<Result<(), solana_transaction_error::TransactionError>>> {
        self.inner.signature_status(s).await
    }
    async fn unix_time(&self) -> ChainResult<i64> {
        self.inner.unix_time().await
    }
    async fn rent_exempt_minimum(&self, len: usize) -> ChainResult<u64> {
        self.inner.rent_exempt_minimum(len).await
    }
    async fn airdrop(&self, to: &Pubkey, l: u64) -> ChainResult<()> {
        self.inner.airdrop(to, l).await
    }
}

/// 16 positions: the borrow, a withdrawal and the liquidation go through the group's lookup table
/// as v0 transactions; legacy ones would exceed a packet, and without the table the client says so.
#[tokio::test]
async fn sixteen_positions_borrow_withdraw_and_liquidate_through_the_lookup_table() {
    use portfolio_margin_client::chain::transaction::{build, BuildError, Version};
    let chain = Embedded::start(&default_program_dir()).await.unwrap();
    chain.set_unix_time(T0).await.unwrap();
    let admin = chain.payer().insecure_clone();
    let dir = tempfile::tempdir().unwrap();
    let book = common::wide::wide_book(&chain, &admin, dir.path()).await;
    assert_eq!(book.borrow_error, None, "the 16-position borrow");
    let acc: MarginAccount = load(&chain.account(&book.trader.account).await.unwrap().unwrap().data).unwrap();
    assert_eq!(acc.active().count(), 16);
    assert_eq!(book.state.lookup_tables.len(), 1);
    assert_eq!(book.state.lookup_tables[0].addresses.len(), 5 + 17 * 5);
    // Migrating again changes nothing, the table included.
    let again = migrate::migrate(&chain, &admin, &book.config, &opts()).await.unwrap();
    assert!(again.changes.is_empty(), "{:?}", again.changes);

    let ix = common::wide::withdraw_ix(&chain, &book, 0, 1_000).await;
    let signers = [&admin, &book.trader.key];
    let hash = chain.latest_blockhash().await.unwrap();
    let legacy = build(&signers, &[ix.clone()], &[], hash, Version::Legacy).unwrap();
    let v0 = build(&signers, &[ix.clone()], &book.state.lookup_tables, hash, Version::Auto).unwrap();
    let (l, v) = (portfolio_margin_client::chain::Shape::of(&legacy), portfolio_margin_client::chain::Shape::of(&v0));
    println!("withdraw at 16 positions: {l}; {v}");
    assert!(!l.fits() && v.fits() && v.v0, "{l} / {v}");
    let e = build(&signers, &[ix.clone()], &[], hash, Version::Auto).unwrap_err();
    assert!(matches!(e, BuildError::NoLookupTable { .. }), "{e}");
    assert!(e.to_string().contains("keeper migrate"), "{e}");
    let out = send_ixs(&chain, &admin, &[&book.trader.key], &[ix], &book.state.send_options(&opts())).await.unwrap();
    out.check("withdraw through the lookup table").unwrap();

    // Every volatile asset −45%: the liquidator liquidates through the table.
    common::wide::crash_and_liquidate(&chain, &admin, &book, T0).await;
}

fn liquidations(r: &keeper::liquidator::Round) -> usize {
    r.actions.iter().filter(|a| matches!(a, Action::Liquidated { .. })).count()
}

#[tokio::test]
async fn liquidator_retries_injected_faults_without_double_liquidation() {
    let (chain, admin, state) = setup().await;
    let account = leveraged_trader(&chain, &admin, &state).await;
    let mut liq = liquidator(&chain, &admin, &state).await;
    let m = Metrics::default();

    // Healthy: nothing to do. (Three accounts: the lender, the trader and the liquidator's own,
    // which receives seized collateral.)
    let r = liq.round(&chain, &state, &m).await.unwrap();
    assert_eq!((r.scanned, r.liquidatable), (3, 0));

    // BTC −15%: below maintenance, still solvent.
    chain.advance_to(T0 + 60).await.unwrap();
    publish_prices(&chain, &state, &[PX[0] * 0.85, PX[1], 1.0], 0.0005, T0 + 60).await.unwrap();

    // Every send fails before reaching the chain: the outcome is unknown, the account is held
    // in flight and the next round does not send again.
    let flaky = Flaky { inner: &chain, fail_before: Cell::new(100), fail_after: Cell::new(0) };
    let r = liq.round(&flaky, &state, &m).await.unwrap();
    assert_eq!((r.liquidatable, liquidations(&r)), (1, 0));
    assert!(matches!(r.actions[0], Action::Failed { .. }));
    assert_eq!(liq.in_flight(), 1);
    let sent = chain.transactions();
    let r = liq.round(&flaky, &state, &m).await.unwrap();
    assert_eq!(r.skipped_in_flight, 1);
    assert_eq!(chain.transactions(), sent, "an in-flight liquidation is not sent twice");

    // Its blockhash expires; now the send lands but the client hears a timeout: the retry finds
    // the signature confirmed instead of sending a second liquidation.
    liq.in_flight_expiry = std::time::Duration::ZERO;
    let flaky = Flaky { inner: &chain, fail_before: Cell::new(0), fail_after: Cell::new(1) };
    let r = liq.round(&flaky, &state, &m).await.unwrap();
    assert!(r.actions.iter().all(|a| !matches!(a, Action::Failed { .. })), "{:?}", r.actions);
    assert_eq!(liq.in_flight(), 0);
    assert_eq!(m.liquidations.load(std::sync::atomic::Ordering::Relaxed), 1);

    // Exactly one liquidation happened: the account is healthy again.
    let r = liq.round(&chain, &state, &m).await.unwrap();
    assert_eq!((r.scanned, r.liquidatable, liquidations(&r)), (3, 0, 0));
    let acc: MarginAccount = load(&chain.account(&account).await.unwrap().unwrap().data).unwrap();
    assert_eq!(acc.active_count(), 2);
}

#[tokio::test]
async fn inspect_passes_a_sound_state_and_catches_corruption() {
    let (chain, admin, state) = setup().await;
    let account = leveraged_trader(&chain, &admin, &state).await;
    let report = keeper::inspect::inspect(&chain, &state.address).await.unwrap();
    assert!(report.ok(), "{}", report.render());
    assert_eq!(report.accounts, 2);
    assert!(report.checks.len() >= 12);

    // Corrupt the account: double its BTC deposit shares (tokens the vault never received).
    let raw = chain.account(&account).await.unwrap().unwrap();
    let mut acc: MarginAccount = load(&raw.data).unwrap();
    let slot = acc.find(0).unwrap();
    let doubled = acc.positions[slot].shares.get() * risk_engine::Fx::from_num(2);
    acc.positions[slot].shares.set(doubled);
    chain.set_account(&account, chain_account_with(&raw, &acc));
    let report = keeper::inspect::inspect(&chain, &state.address).await.unwrap();
    assert!(!report.ok());
    let failed: Vec<&str> = report.checks.iter().filter(|c| !c.ok).map(|c| c.name.as_str()).collect();
    assert_eq!(failed, vec!["asset 0 shares add up"], "{}", report.render());
    chain.set_account(
        &account,
        chain_account_with(&raw, &{
            let mut a = acc;
            a.positions[slot].shares.set(doubled / risk_engine::Fx::from_num(2));
            a
        }),
    );

    // Corrupt the margin kernel (what every health check reads): one entry lowered.
    let model_address = state.group.risk_model;
    let mut raw = chain.account(&model_address).await.unwrap().unwrap();
    let mut model: Box<RiskModel> = Box::new(load(&raw.data).unwrap());
    model.kernel_cov[1] -= 1;
    raw.data[8..8 + std::mem::size_of::<RiskModel>()].copy_from_slice(bytemuck::bytes_of(&*model));
    chain.set_account(&model_address, raw);
    let report = keeper::inspect::inspect(&chain, &state.address).await.unwrap();
    let failed: Vec<&str> = report.checks.iter().filter(|c| !c.ok).map(|c| c.name.as_str()).collect();
    assert_eq!(failed.len(), 1, "{}", report.render());
    assert!(report.render().contains("margin kernel entry 1"), "{}", report.render());
}

fn chain_account_with(raw: &Account, acc: &MarginAccount) -> Account {
    let mut raw = raw.clone();
    raw.data[8..8 + std::mem::size_of::<MarginAccount>()].copy_from_slice(bytemuck::bytes_of(acc));
    raw
}

#[tokio::test]
async fn simulate_runs_the_covid_crash_and_ends_with_every_invariant_holding() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../migrations/localnet.toml");
    let mut config = Config::load(&path).unwrap();
    config.bootstrap.start = "2019-01-01".into();
    config.bootstrap.end = "2020-01-31".into();
    let result = keeper::simulate::run(keeper::simulate::SimArgs {
        config,
        prices: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/crypto_daily_close_usd.csv"),
        start: "2020-02-01".into(),
        end: "2020-04-30".into(),
        traders: 24,
        seed: 3,
        conf_ratio: 0.0005,
        static_rates: (0.10, 0.05),
        stablecoins: vec!["USDC".into()],
        program_dir: default_program_dir(),
        progress: false,
        stress: Some(keeper::stress::StressConfig { scenarios: 2_000, ..Default::default() }),
    })
    .await
    .unwrap();
    assert_eq!(result.days.len(), 90);
    assert_eq!(result.crank_cu.len(), 90, "one sample per day");
    let covid = keeper::simulate::report::windows(&result.days);
    assert_eq!(covid.len(), 1);
    assert!(covid[0].1.liquidations > 0, "the March 2020 crash liquidates someone");
    assert!(result.inspection.ok(), "{}", result.inspection.render());
    let text = keeper::simulate::report::render(&result);
    assert!(text.contains("COVID crash (Mar 2020)") && text.contains("hedged pair"));
    // summary.json's tables, and the stress test of the final books.
    let summary = serde_json::to_value(keeper::simulate::report::summary(&result)).unwrap();
    let window = &summary["windows"][0];
    assert_eq!(window["name"], "COVID crash (Mar 2020)");
    let by_strategy = window["strategies"].as_array().unwrap();
    assert!(!by_strategy.is_empty(), "the window's breaches per strategy");
    let sum: u64 = by_strategy.iter().map(|x| x["breaches_model"].as_u64().unwrap()).sum();
    assert_eq!(Some(sum), window["breaches_model"].as_u64(), "per strategy adds up to the window");
    for field in ["liquidations", "bad_debt_usd", "breaches_model", "breaches_static"] {
        assert!(window[field].is_number(), "{field}");
    }
    let strategies = summary["strategies"].as_array().unwrap();
    assert!(strategies.iter().any(|s| s["name"] == "hedged pair" && s["book_days"].as_u64() > Some(0)));
    let st = result.stress.as_ref().unwrap();
    println!("{}", keeper::stress::render(st));
    assert!(st.accounts > 0 && st.config.scenarios == 2_000);
    assert!(st.es999_bad_debt_usd >= st.es99_bad_debt_usd && st.es99_bad_debt_usd >= 0.0);
    assert!(st.es999_beyond_margin_usd >= st.es99_beyond_margin_usd);
    assert!((0.0..=1.0).contains(&st.p_insurance_exhausted) && st.p_insurance_exhausted <= st.p_any_bad_debt);
    assert!(st.insurance_usd > 0.0, "the run's fees fill the insurance fund");
    assert!(keeper::stress::chart::svg(st).starts_with("<svg"));
    let dir = tempfile::tempdir().unwrap();
    let charts = keeper::simulate::charts::write_charts(
        dir.path(),
        &result.assets,
        &result.days,
        &keeper::simulate::record::STRESS_WINDOWS,
    )
    .unwrap();
    // The config lists perp markets: the perp vault's chart is the fourth.
    assert_eq!(charts.len(), 4);
    assert!(charts[3].ends_with("perps.svg"));
}

/// The simulation on hourly rows: one crank sample per hour (sample interval 3,600 s, hourly λ), losses
/// judged over the one-day horizon (24 rows). The hourly file is interpolated from the daily closes
/// (geometric, within each day): it exercises the machinery, it is not market data.
#[tokio::test]
async fn simulate_runs_on_hourly_prices() {
    let daily = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/crypto_daily_close_usd.csv");
    let table = keeper::prices::PriceTable::load(
        &daily,
        &keeper::prices::Selection {
            assets: ["BTC", "ETH", "USDC"].iter().map(|s| s.to_string()).collect(),
            start: Some("2020-03-01".into()),
            end: Some("2020-03-05".into()),
        },
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let hourly = dir.path().join("hourly.csv");
    let mut csv = String::from("timestamp_utc,BTC,ETH,USDC\n");
    for i in 0..table.rows() - 1 {
        let (a, b, t) = (&table.prices[i], &table.prices[i + 1], &table.timestamps[i]);
        for h in 0..24 {
            let f = h as f64 / 24.0;
            let px: Vec<String> = a.iter().zip(b).map(|(x, y)| format!("{}", x.powf(1.0 - f) * y.powf(f))).collect();
            csv.push_str(&format!("{}T{h:02}:00:00Z,{}\n", &t[..10], px.join(",")));
        }
    }
    std::fs::write(&hourly, csv).unwrap();
    let mut config = config();
    config.bootstrap.start = "2019-06-01".into();
    config.bootstrap.end = "2020-02-28".into();
    config.params.sample_interval_seconds = 3_600;
    config.params.oracle_max_age_seconds = 60;
    config.params.lambda_e9 = (0.94f64.powf(1.0 / 24.0) * 1e9).round() as u64;
    config.params.slow_lambda_e9 = (0.995f64.powf(1.0 / 24.0) * 1e9).round() as u64;
    config.params.short_lambda_e9 = (0.7f64.powf(1.0 / 24.0) * 1e9).round() as u64;
    let result = keeper::simulate::run(keeper::simulate::SimArgs {
        config,
        prices: hourly,
        start: "2020-03-01".into(),
        end: "2020-03-04".into(),
        traders: 6,
        seed: 5,
        conf_ratio: 0.0005,
        static_rates: (0.10, 0.05),
        stablecoins: vec!["USDC".into()],
        program_dir: default_program_dir(),
        progress: false,
        stress: None,
    })
    .await
    .unwrap();
    assert_eq!((result.row_seconds, result.horizon_rows), (3_600.0, 24));
    assert_eq!(result.days.len(), 96, "four days of hourly rows");
    assert_eq!(result.crank_cu.len(), 96, "one sample per hour");
    assert!(keeper::simulate::report::render(&result).contains("rows of 3600 s"));
    assert!(result.inspection.ok(), "{}", result.inspection.render());
}

#[test]
fn metrics_are_served_in_prometheus_text_format() {
    use std::io::{Read, Write};
    let m = std::sync::Arc::new(Metrics::default());
    m.liquidations.fetch_add(3, std::sync::atomic::Ordering::Relaxed);
    m.shortfall_micro_usd.store(1_500_000, std::sync::atomic::Ordering::Relaxed);
    let addr = m.serve("127.0.0.1:0".parse().unwrap()).unwrap();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut body = String::new();
    s.read_to_string(&mut body).unwrap();
    assert!(body.starts_with("HTTP/1.1 200 OK"));
    assert!(body.contains("# TYPE keeper_liquidations_total counter\nkeeper_liquidations_total 3"));
    assert!(body.contains("keeper_max_shortfall_usd 1.500000"));
    for name in ["samples_taken_total", "oracle_failures_total", "accounts_scanned_total", "transaction_errors_total"] {
        assert!(body.contains(&format!("keeper_{name} 0")), "{name}");
    }
}

/// Perps through the keeper: `migrate` creates the vault and markets from the config; an LP funds
/// the vault; a naked BTC short near its limit loses 40% of its notional's worth of margin when BTC
/// rises, and one liquidator round closes part of it against the vault (the program's own rule,
/// sized by the engine).
#[tokio::test]
async fn the_liquidator_closes_a_losing_perp_against_the_vault() {
    use portfolio_margin_client::perp::{self as pp, TradeKeys};
    use portfolio_margin_client::{address, token, Signer};
    let (chain, admin, state) = setup().await;
    let p = state.perps.clone().expect("the config lists perps");
    assert_eq!(p.markets.len(), 2);
    let usdc = &state.assets[2];
    let markets: Vec<_> = p.markets.iter().map(|m| m.0).collect();
    let mint = |to: Pubkey, amount: u64| {
        token::mint_to(&usdc.keys.token_program, &usdc.keys.mint, &to, &admin.pubkey(), amount)
    };
    // The LP: 5M USDC for shares.
    let (lp, _, lp_tokens) =
        keeper::simulate::traders::enroll(&chain, &admin, &state, migrate::derive_keypair(&[b"lp"]), &opts())
            .await
            .unwrap();
    let rent = chain.rent_exempt_minimum(token::ACCOUNT_LEN).await.unwrap();
    let me = lp.pubkey();
    let share_ixs = token::create_seeded_account(&me, &me, &p.keys.share_mint, &usdc.keys.token_program, rent);
    let shares = address::seeded_token_account(&me, &p.keys.share_mint, &usdc.keys.token_program).0;
    send_ixs(&chain, &admin, &[&lp], &share_ixs, &opts()).await.unwrap().check("share account").unwrap();
    send_ixs(&chain, &admin, &[], &[mint(lp_tokens[2], 5_000_000_000_000)], &opts())
        .await
        .unwrap()
        .check("mint")
        .unwrap();
    let ix = pp::deposit_perp_liquidity(&me, &p.keys, lp_tokens[2], shares, &markets, 5_000_000_000_000);
    send_ixs(&chain, &admin, &[&lp], &[ix], &opts()).await.unwrap().check("deposit_perp_liquidity").unwrap();

    // The trader: $100k of USDC, the largest BTC short of 40, 30, 20 or 10 BTC it may open.
    let (trader, account, tokens) =
        keeper::simulate::traders::enroll(&chain, &admin, &state, migrate::derive_keypair(&[b"perp trader"]), &opts())
            .await
            .unwrap();
    send_ixs(&chain, &admin, &[], &[mint(tokens[2], 100_000_000_000)], &opts()).await.unwrap().check("mint").unwrap();
    let ix = portfolio_margin_client::instructions::deposit(
        &trader.pubkey(),
        state.address,
        account,
        &usdc.keys,
        tokens[2],
        100_000_000_000,
    );
    send_ixs(&chain, &admin, &[&trader], &[ix], &opts()).await.unwrap().check("deposit").unwrap();
    let mut opened = 0;
    for btc in [40i64, 30, 20, 10] {
        let keys = TradeKeys {
            owner: trader.pubkey(),
            risk_model: state.group.risk_model,
            account,
            vault: &p.keys,
            spot: &[usdc.keys],
            perps: &markets[..1],
        };
        let ix = pp::trade_perp(keys, &markets[0], -btc * 100_000_000, 0);
        if send_ixs(&chain, &admin, &[&trader], &[ix], &opts()).await.unwrap().result.is_ok() {
            opened = btc;
            break;
        }
    }
    assert!(opened > 0, "no short could be opened");
    let mut liq = liquidator(&chain, &admin, &state).await;
    let m = Metrics::default();
    let state = GroupState::fetch(&chain, &state.address).await.unwrap();
    let r = liq.round(&chain, &state, &m).await.unwrap();
    assert_eq!(r.liquidatable, 0, "healthy at the opening price");

    // BTC +40%.
    chain.advance_to(T0 + 60).await.unwrap();
    publish_prices(&chain, &state, &[PX[0] * 1.4, PX[1], 1.0], 0.0005, T0 + 60).await.unwrap();
    let state = GroupState::fetch(&chain, &state.address).await.unwrap();
    let r = liq.round(&chain, &state, &m).await.unwrap();
    assert_eq!(r.liquidatable, 1, "{:?}", r.actions);
    let closed = r
        .actions
        .iter()
        .find_map(|a| match a {
            Action::PerpLiquidated { account: a, base_delta, reward, .. } if *a == account => {
                Some((*base_delta, *reward))
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no perp liquidation: {:?}", r.actions));
    assert!(closed.0 > 0 && closed.0 <= opened * 100_000_000, "a partial buy-back: {closed:?}");
    assert!(closed.1 > 0, "the liquidator is paid from the vault");
    println!(
        "keeper: {opened} BTC short, BTC +40%: closed {} BTC, reward {} USDC",
        closed.0 as f64 / 1e8,
        closed.1 as f64 / 1e6
    );
}

/// 10 BTC deposited and a 10 BTC short perp in one account (a carry), on a chain with the group
/// migrated, a USDC lender and an LP-funded perp vault: (chain, admin, state, trader, its account,
/// its token accounts).
async fn carry_book() -> (Embedded, Keypair, GroupState, Keypair, Pubkey, Vec<Pubkey>) {
    use keeper::simulate::traders;
    use portfolio_margin_client::instructions as pix;
    use portfolio_margin_client::perp::{self as pp, TradeKeys};
    use portfolio_margin_client::Signer;
    let (chain, admin, state) = setup().await;
    common::lender(&chain, &admin, &state).await;
    let p = state.perps.clone().expect("the config lists perps");
    let markets: Vec<_> = p.markets.iter().map(|m| m.0).collect();
    let btc = &state.assets[0];
    let (lp, _, lp_tokens) =
        traders::enroll(&chain, &admin, &state, migrate::derive_keypair(&[b"lp"]), &opts()).await.unwrap();
    keeper::simulate::perps::fund_vault(&chain, &admin, &state, &lp, &lp_tokens, 5_000_000.0, &opts()).await.unwrap();
    let (trader, account, tokens) =
        traders::enroll(&chain, &admin, &state, migrate::derive_keypair(&[b"carry trader"]), &opts()).await.unwrap();
    let ten = 10 * 100_000_000u64;
    let ixs = [
        portfolio_margin_client::token::mint_to(
            &btc.keys.token_program,
            &btc.keys.mint,
            &tokens[0],
            &admin.pubkey(),
            ten,
        ),
        pix::deposit(&trader.pubkey(), state.address, account, &btc.keys, tokens[0], ten),
    ];
    send_ixs(&chain, &admin, &[&trader], &ixs, &opts()).await.unwrap().check("deposit").unwrap();
    let keys = TradeKeys {
        owner: trader.pubkey(),
        risk_model: state.group.risk_model,
        account,
        vault: &p.keys,
        spot: &[btc.keys],
        perps: &markets[..1],
    };
    let ix = pp::trade_perp(keys, &markets[0], -(ten as i64), 0);
    send_ixs(&chain, &admin, &[&trader], &[ix], &opts()).await.unwrap().check("short 10 BTC").unwrap();
    (chain, admin, state, trader, account, tokens)
}

/// A levered cash and carry through the keeper: 10 BTC deposited, short 10 BTC perp, USDC borrowed
/// against the hedge. The risk authority raises the market's floor rate, the book falls below
/// maintenance, and one liquidator round unwinds both legs in one step (`liquidate_hedge`: neither
/// leg alone could): the book is an exact hedge again, above maintenance.
#[tokio::test]
async fn the_liquidator_unwinds_a_levered_carry_on_both_legs_at_once() {
    use portfolio_margin::state::PerpParamsArgs;
    use portfolio_margin_client::instructions::{self as pix, AddRiskKeys};
    use portfolio_margin_client::perp as pp;
    use portfolio_margin_client::Signer;
    let (chain, admin, state, trader, account, tokens) = carry_book().await;
    let p = state.perps.clone().expect("the config lists perps");
    let markets: Vec<_> = p.markets.iter().map(|m| m.0).collect();
    let (usdc, btc) = (&state.assets[2], &state.assets[0]);
    let ten = 10 * 100_000_000u64;
    // $80k of USDC against $85k of hedged BTC.
    let mut ix = pix::borrow(
        AddRiskKeys {
            owner: trader.pubkey(),
            group: state.address,
            risk_model: state.group.risk_model,
            account,
            asset: &usdc.keys,
            destination: tokens[2],
            health: &[btc.keys, usdc.keys],
        },
        80_000_000_000,
    );
    pp::push_health(&mut ix, &[], &markets[..1], &p.keys);
    send_ixs(&chain, &admin, &[&trader], &[ix], &opts()).await.unwrap().check("borrow").unwrap();

    let mut liq = liquidator(&chain, &admin, &state).await;
    let m = Metrics::default();
    let state = GroupState::fetch(&chain, &state.address).await.unwrap();
    assert_eq!(liq.round(&chain, &state, &m).await.unwrap().liquidatable, 0, "healthy as opened");
    // The floor rate from 0.5% to 5%.
    let raised = PerpParamsArgs { floor_rate_e6: 50_000, ..PerpParamsArgs::defaults(5_000 * 100_000_000) };
    let ix = pp::update_perp_market(&admin.pubkey(), state.address, &markets[0], raised);
    send_ixs(&chain, &admin, &[], &[ix], &opts()).await.unwrap().check("update_perp_market").unwrap();
    let state = GroupState::fetch(&chain, &state.address).await.unwrap();
    let r = liq.round(&chain, &state, &m).await.unwrap();
    assert_eq!(r.liquidatable, 1, "{:?}", r.actions);
    let (repaid, base) = r
        .actions
        .iter()
        .find_map(|a| match a {
            Action::HedgeLiquidated { account: a, repaid, base_delta, .. } if *a == account => {
                Some((*repaid, *base_delta))
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no hedged liquidation: {:?}", r.actions));
    assert!(base > 0 && base < ten as i64, "part of the short bought back: {base}");
    println!(
        "keeper: levered carry, floor 0.5% → 5%: repaid {} USDC, {} BTC on both legs",
        repaid as f64 / 1e6,
        base as f64 / 1e8
    );
    let state = GroupState::fetch(&chain, &state.address).await.unwrap();
    let r = liq.round(&chain, &state, &m).await.unwrap();
    assert_eq!(r.liquidatable, 0, "restored: {:?}", r.actions);
    let acc: MarginAccount = load(&chain.account(&account).await.unwrap().unwrap().data).unwrap();
    let perp = acc.perps[acc.find_perp(0).unwrap()].position().base;
    assert_eq!(perp, (base - ten as i64) as i128, "the perp leg shrank by the base the spot leg moved");
}

/// An unlevered carry (10 BTC deposited, short 10 BTC perp, no debt) whose short pays the capped
/// funding for 230 days (the market is all short): its only debt is the unsettled perp loss, so a
/// hedged step has nothing to repay. The liquidator settles the loss and unwinds both legs in one
/// transaction (`settle_perp_pnl` + `liquidate_hedge`); drained this far the whole hedge goes, both
/// legs together: the book is never left with a naked leg.
#[tokio::test]
async fn the_liquidator_settles_a_carry_drained_by_funding_and_unwinds_both_legs() {
    let (chain, admin, state, _, account, _) = carry_book().await;
    let ten = 10 * 100_000_000u64;
    let mut liq = liquidator(&chain, &admin, &state).await;
    let m = Metrics::default();
    // 230 days at the funding cap (0.432% a day): ~99% of the notional paid.
    let later = T0 + 230 * DAY;
    chain.advance_to(later).await.unwrap();
    publish_prices(&chain, &state, &PX, 0.0005, later).await.unwrap();
    let state = GroupState::fetch(&chain, &state.address).await.unwrap();
    let r = liq.round(&chain, &state, &m).await.unwrap();
    assert_eq!(r.liquidatable, 1, "{:?}", r.actions);
    let base = r
        .actions
        .iter()
        .find_map(|a| match a {
            Action::HedgeLiquidated { account: a, base_delta, .. } if *a == account => Some(*base_delta),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no hedged liquidation: {:?}", r.actions));
    // Drained this far, no step short of the whole hedge restores initial health: both legs are
    // unwound together, and what is left of them is still an exact hedge.
    assert!(base > 0 && base <= ten as i64, "the short bought back: {base}");
    println!("keeper: a carry drained by 230 days of funding: settled, then {} BTC on both legs", base as f64 / 1e8);
    let acc: MarginAccount = load(&chain.account(&account).await.unwrap().unwrap().data).unwrap();
    let perp = acc.perps.iter().find(|s| s.active == 1).map_or(0, |s| s.position().base);
    assert_eq!(perp, (base - ten as i64) as i128, "the perp leg shrank by the base the spot leg moved");
    let state = GroupState::fetch(&chain, &state.address).await.unwrap();
    let oracles = chain.accounts(&state.oracles()).await.unwrap();
    let prices = keeper::view::read_oracles(&state, &oracles, later);
    let assets: Vec<_> = state.assets.iter().map(|a| a.account).collect();
    let held =
        keeper::view::holdings(&assets, &prices, &acc, later, portfolio_margin::health::Pricing::Strict).unwrap();
    let spot = held.iter().find(|h| h.asset == 0).map_or(0, |h| h.amount);
    assert_eq!(spot + perp, 0, "no naked leg: {spot} BTC spot, perp {perp}");
}
