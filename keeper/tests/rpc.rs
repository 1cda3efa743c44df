//! The RPC backend for real: migrate, crank, trade, liquidate and inspect over JSON-RPC against
//! the local network (surfpool, `scripts/localnet`), with prices published through its
//! `surfnet_setAccount` cheatcode as the Pyth receiver would write them.
//!
//! Needs a running local network: `scripts/test` starts one and runs this with `--ignored`.
//! By hand: `bash scripts/localnet &` then
//! `KEEPER_TEST_RPC_URL=http://127.0.0.1:8899 cargo test -p keeper --test rpc -- --ignored`.
use keeper::crank::{crank_once, CrankOutcome};
use keeper::liquidator::Action;
use keeper::metrics::Metrics;
use keeper::migrate;
use keeper::simulate::publish_prices;
use portfolio_margin_client::chain::rpc::Rpc;
use portfolio_margin_client::chain::Chain;
use portfolio_margin_client::state::GroupState;
use portfolio_margin_client::{Keypair, Signer};

mod common;
use common::{config, leveraged_trader, liquidator, opts, PX};

/// The local network's URL (KEEPER_TEST_RPC_URL), a client, and a new admin key with 500 SOL.
async fn funded_admin() -> (String, Rpc, Keypair) {
    let url = std::env::var("KEEPER_TEST_RPC_URL").unwrap_or_else(|_| "http://127.0.0.1:8899".into());
    let rpc = Rpc::new(&url);
    let admin = Keypair::new();
    rpc.airdrop(&admin.pubkey(), 500_000_000_000).await.expect("airdrop: is the local network running?");
    (url, rpc, admin)
}

#[tokio::test]
#[ignore = "needs the local network: scripts/test runs it against scripts/localnet"]
async fn crank_liquidate_inspect_end_to_end_over_json_rpc() {
    let (_, rpc, admin) = funded_admin().await;
    let mut c = config();
    c.group_id = rand::random::<u32>();

    // migrate over RPC, twice: the second run sends nothing.
    let run = migrate::migrate(&rpc, &admin, &c, &opts()).await.unwrap();
    assert!(run.changes.len() >= 5, "{:?}", run.changes);
    let again = migrate::migrate(&rpc, &admin, &c, &opts()).await.unwrap();
    assert!(again.changes.is_empty(), "{:?}", again.changes);
    let state = GroupState::fetch(&rpc, &run.group).await.unwrap();
    assert_eq!(state.assets.len(), 3);

    // Prices, then the crank: the first sample is taken, an immediate second round is too early.
    let now = rpc.unix_time().await.unwrap();
    publish_prices(&rpc, &state, &PX, 0.0005, now).await.unwrap();
    let m = Metrics::default();
    let first = crank_once(&rpc, &admin, &state, 32, &opts(), &m).await.unwrap();
    assert!(matches!(first, CrankOutcome::Sampled { sample_count: 0, .. }), "{first:?}");
    assert!(matches!(crank_once(&rpc, &admin, &state, 32, &opts(), &m).await.unwrap(), CrankOutcome::TooEarly { .. }));

    // A trader levered to the limit; BTC −15%; the liquidator liquidates it once.
    let account = leveraged_trader(&rpc, &admin, &state).await;
    let mut liq = liquidator(&rpc, &admin, &state).await;
    let now = rpc.unix_time().await.unwrap();
    publish_prices(&rpc, &state, &[PX[0] * 0.85, PX[1], 1.0], 0.0005, now).await.unwrap();
    let r = liq.round(&rpc, &state, &m).await.unwrap();
    assert_eq!(r.liquidatable, 1, "{:?}", r.actions);
    match &r.actions[..] {
        [Action::Liquidated { account: a, repaid, compute_units, .. }] => {
            assert_eq!(*a, account);
            assert!(*repaid > 0);
            println!("liquidation over RPC: repaid {repaid}, {compute_units:?} CU");
        }
        other => panic!("{other:?}"),
    }
    let r = liq.round(&rpc, &state, &m).await.unwrap();
    assert_eq!(r.liquidatable, 0);

    // The auditor's view over RPC: every invariant holds.
    let report = keeper::inspect::inspect(&rpc, &run.group).await.unwrap();
    assert!(report.ok(), "{}", report.render());
    // The lender, the trader and the liquidator's own account (credited with the collateral).
    assert_eq!(report.accounts, 3);
}

/// `keeper verify` against the local network, where the program is deployed under the upgradeable
/// loader (program account → program-data account): the deployed bytes are this build's, and a
/// different build is caught.
#[tokio::test]
#[ignore = "needs the local network: scripts/test runs it against scripts/localnet"]
async fn verify_reads_the_program_data_account_of_the_local_network() {
    let url = std::env::var("KEEPER_TEST_RPC_URL").unwrap_or_else(|_| "http://127.0.0.1:8899".into());
    let rpc = Rpc::new(&url);
    let so = portfolio_margin_client::chain::embedded::default_program_dir().join("portfolio_margin.so");
    let local = std::fs::read(&so).unwrap();
    let v = keeper::verify::verify(&rpc, &portfolio_margin::ID, &local).await.unwrap();
    println!("{}", v.render());
    assert!(v.matches, "the local network runs {} but this build is {}", v.deployed_sha256, v.local_sha256);
    assert!(!v.programdata.starts_with("none"), "deployed under the upgradeable loader");
    let mut other = local.clone();
    other[local.len() / 3] ^= 0x80;
    assert!(!keeper::verify::verify(&rpc, &portfolio_margin::ID, &other).await.unwrap().matches);
}

/// A 16-position account over JSON-RPC, where the packet limit is real: the same withdrawal as a
/// legacy transaction is refused by the network for its size; through the group's lookup table
/// (v0) the borrow, the withdrawal and the liquidation land.
#[tokio::test]
#[ignore = "needs the local network: scripts/test runs it against scripts/localnet"]
async fn sixteen_positions_need_the_lookup_table_on_a_real_network() {
    use portfolio_margin_client::chain::{send_ixs, Version};
    let (_, rpc, admin) = funded_admin().await;
    let dir = tempfile::tempdir().unwrap();
    let book = common::wide::wide_book(&rpc, &admin, dir.path()).await;
    assert_eq!(book.borrow_error, None, "the 16-position borrow");

    let ix = common::wide::withdraw_ix(&rpc, &book, 0, 1_000).await;
    let refused = send_ixs(&rpc, &admin, &[&book.trader.key], &[ix.clone()], &common::wide::raw(Version::Legacy))
        .await
        .expect_err("a 1,570-byte legacy transaction must not land");
    println!("legacy withdraw at 16 positions: {refused}");
    assert!(refused.to_string().contains("too large"), "{refused}");
    let out = send_ixs(&rpc, &admin, &[&book.trader.key], &[ix], &book.state.send_options(&opts())).await.unwrap();
    out.check("withdraw through the lookup table").unwrap();
    println!("withdraw through the lookup table: {:?} CU", out.compute_units);

    let now = rpc.unix_time().await.unwrap();
    common::wide::crash_and_liquidate(&rpc, &admin, &book, now).await;
}

/// The reactive liquidator (websocket notifications, polling only hourly here) against the local
/// network: for each shock, a trader levers to the limit at the base price, BTC is published 15%
/// lower, and the time until the liquidator's round that liquidated it is measured. Prints the
/// median and the worst; LATENCY_SHOCKS sets the count (3 in the test command, 20 for the README).
#[tokio::test]
#[ignore = "needs the local network: scripts/test runs it against scripts/localnet"]
async fn the_reactive_liquidator_acts_within_seconds_of_a_price_shock() {
    use std::cell::RefCell;
    use std::time::{Duration, Instant};
    let shocks: usize = std::env::var("LATENCY_SHOCKS").ok().and_then(|s| s.parse().ok()).unwrap_or(3);
    let (url, rpc, admin) = funded_admin().await;
    let mut c = config();
    c.group_id = rand::random::<u32>();
    let run = migrate::migrate(&rpc, &admin, &c, &opts()).await.unwrap();
    let state = GroupState::fetch(&rpc, &run.group).await.unwrap();
    publish_prices(&rpc, &state, &PX, 0.0005, rpc.unix_time().await.unwrap()).await.unwrap();
    common::lender(&rpc, &admin, &state).await;
    let mut liq = liquidator(&rpc, &admin, &state).await;

    let liquidated: RefCell<Vec<(portfolio_margin_client::Pubkey, Instant, keeper::reactive::Wake)>> =
        RefCell::new(vec![]);
    let metrics = Metrics::default();
    let reactor = keeper::reactive::run(
        &rpc,
        &mut liq,
        run.group,
        Some(keeper::reactive::ws_url_for(&url)),
        Duration::from_secs(3600),
        &metrics,
        |wake, r| {
            for a in r.as_ref().map(|r| &r.actions[..]).unwrap_or_default() {
                if let Action::Liquidated { account, .. } = a {
                    liquidated.borrow_mut().push((*account, Instant::now(), wake));
                }
            }
            true
        },
    );
    let shocker = async {
        let mut latencies = vec![];
        for i in 0..shocks {
            publish_prices(&rpc, &state, &PX, 0.0005, rpc.unix_time().await.unwrap()).await.unwrap();
            let account = common::levered(&rpc, &admin, &state, Keypair::new(), PX[0]).await;
            tokio::time::sleep(Duration::from_millis(1500)).await;
            let shocked = [PX[0] * 0.85, PX[1], PX[2]];
            let t0 = Instant::now();
            publish_prices(&rpc, &state, &shocked, 0.0005, rpc.unix_time().await.unwrap()).await.unwrap();
            let landed = loop {
                if let Some(&(_, t, wake)) = liquidated.borrow().iter().find(|(a, _, _)| *a == account) {
                    break (t, wake);
                }
                assert!(t0.elapsed() < Duration::from_secs(120), "shock {i}: not liquidated within 120 s");
                tokio::time::sleep(Duration::from_millis(10)).await;
            };
            let secs = landed.0.duration_since(t0).as_secs_f64();
            println!("shock {i}: liquidated {secs:.3} s after the price publication (woken by {:?})", landed.1);
            latencies.push(secs);
        }
        latencies
    };
    let latencies = tokio::select! {
        r = reactor => panic!("the liquidator stopped: {r:?}"),
        l = shocker => l,
    };
    let mut sorted = latencies.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "liquidation latency over {} shocks: median {:.3} s, worst {:.3} s",
        sorted.len(),
        sorted[sorted.len() / 2],
        sorted[sorted.len() - 1]
    );
}
