//! A book too wide for a legacy transaction: a group of 17 assets (16 volatile, one stablecoin) on
//! synthetic one-factor prices, and a trader with 16 positions (15 deposits and a USDC debt), whose
//! withdraw, borrow and liquidation carry 16 (asset, oracle) pairs: only v0 transactions through
//! the group's lookup table fit a packet.
use std::io::Write;
use std::path::Path;

use anchor_lang::prelude::Pubkey;
use keeper::liquidator::{Action, Liquidator};
use keeper::metrics::Metrics;
use keeper::migrate::{self, AssetConfig, Config};
use keeper::simulate::{publish_prices, traders};
use portfolio_margin::state::MarginAccount;
use portfolio_margin_client::chain::{send_ixs, AccountWriter, SendOptions};
use portfolio_margin_client::instructions::{self as pix, AddRiskKeys};
use portfolio_margin_client::state::{load, GroupState};
use portfolio_margin_client::{token, Keypair, Signer};
use rand::{Rng, SeedableRng};

use super::opts;

pub const VOLATILE: usize = 16;
/// The stablecoin's index.
pub const USDC: usize = VOLATILE;

/// Today's prices: asset i at 10 + i dollars, USDC at 1.
pub fn prices() -> Vec<f64> {
    (0..VOLATILE).map(|i| 10.0 + i as f64).chain([1.0]).collect()
}

/// Writes 200 days of seeded one-factor prices (daily vol 3%, correlation ~0.36) and returns
/// migrations/localnet.toml's parameters with 17 assets on them.
pub fn config(dir: &Path) -> Config {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(16);
    let mut px: Vec<f64> = prices();
    let path = dir.join("wide_prices.csv");
    let mut f = std::fs::File::create(&path).unwrap();
    let names: Vec<String> = (0..VOLATILE).map(|i| format!("W{i:02}")).chain(["USDC".to_string()]).collect();
    writeln!(f, "timestamp_utc,{}", names.join(",")).unwrap();
    for day in 0..200 {
        let date = chrono_date(day);
        let market: f64 = rng.gen_range(-1.0..1.0);
        for (i, p) in px.iter_mut().enumerate() {
            if i < VOLATILE {
                let own: f64 = rng.gen_range(-1.0..1.0);
                *p *= 1.0 + 0.03 * 1.7 * (0.6 * market + 0.8 * own);
            } else {
                *p = 1.0 + rng.gen_range(-0.001..0.001);
            }
        }
        let row: Vec<String> = px.iter().map(|p| format!("{p:.6}")).collect();
        writeln!(f, "{date}T00:00:00Z,{}", row.join(",")).unwrap();
    }
    let mut c = super::config();
    c.group_id = rand::random::<u32>();
    c.bootstrap.prices = path;
    c.bootstrap.start = chrono_date(0);
    c.bootstrap.end = chrono_date(199);
    let template = c.assets.iter().find(|a| a.symbol == "BTC").unwrap().clone();
    let usdc = c.assets.iter().find(|a| a.symbol == "USDC").unwrap().clone();
    c.assets = (0..VOLATILE)
        .map(|i| AssetConfig { symbol: names[i].clone(), feed_id: feed(i), decimals: 6, ..template.clone() })
        .chain([AssetConfig { feed_id: feed(USDC), ..usdc }])
        .collect();
    // Spot only: the 16-position book and its lookup table.
    c.perps = None;
    c
}

fn feed(i: usize) -> String {
    format!("{:064x}", 0xfeed_0000u64 + i as u64)
}

/// 2020-01-01 plus `day` days, as YYYY-MM-DD (every month of 2020 that 200 days reach).
fn chrono_date(day: usize) -> String {
    let months = [31, 29, 31, 30, 31, 30, 31, 31];
    let (mut m, mut d) = (0, day);
    while d >= months[m] {
        d -= months[m];
        m += 1;
    }
    format!("2020-{:02}-{:02}", m + 1, d + 1)
}

/// The wide group migrated, prices published, and a trader holding 16 positions (15 deposits of
/// $10k, then 90% of the USDC it may borrow — itself a 16-position borrow through the lookup table).
pub struct WideBook {
    pub config: Config,
    pub state: GroupState,
    pub trader: traders::Participant,
    /// The borrow's outcome: `None` when the program accepted it.
    pub borrow_error: Option<String>,
}

pub async fn wide_book<C: AccountWriter>(chain: &C, admin: &Keypair, dir: &Path) -> WideBook {
    let c = config(dir);
    let run = migrate::migrate(chain, admin, &c, &opts()).await.unwrap();
    assert!(run.changes.iter().any(|s| s.starts_with("created lookup table 0")), "{:?}", run.changes);
    let state = GroupState::fetch(chain, &run.group).await.unwrap();
    let px = prices();
    publish_prices(chain, &state, &px, 0.0005, chain.unix_time().await.unwrap()).await.unwrap();
    let o = state.send_options(&opts());
    // A lender supplies the USDC.
    let (key, account, tokens) = traders::enroll(
        chain,
        admin,
        &state,
        migrate::derive_keypair(&[b"wide lender", &c.group_id.to_le_bytes()]),
        &o,
    )
    .await
    .unwrap();
    let lender = participant(key, account, tokens);
    assert!(traders::fund_and_deposit(chain, admin, &state, &lender, USDC, 10_000_000_000_000, &o).await.unwrap());
    let key = migrate::derive_keypair(&[b"wide trader", &c.group_id.to_le_bytes()]);
    let (key, account, tokens) = traders::enroll(chain, admin, &state, key, &o).await.unwrap();
    let trader = participant(key, account, tokens);
    for (a, p) in px.iter().enumerate().take(VOLATILE - 1) {
        let amount = traders::native(10_000.0, *p, 6);
        assert!(traders::fund_and_deposit(chain, admin, &state, &trader, a, amount, &o).await.unwrap());
    }
    let acc: MarginAccount = load(&chain.account(&account).await.unwrap().unwrap().data).unwrap();
    let assets: Vec<_> = state.assets.iter().map(|a| a.account).collect();
    let oracles = chain.accounts(&state.oracles()).await.unwrap();
    let now = chain.unix_time().await.unwrap();
    let prices = keeper::view::read_oracles(&state, &oracles, now);
    let room = traders::max_borrow(&state, &assets, &prices, &acc, USDC, now).unwrap();
    assert!(room > 0);
    let borrow_error = traders::borrow(chain, admin, &state, &trader, USDC, room / 10 * 9, &o).await.unwrap();
    WideBook { config: c, state, trader, borrow_error }
}

fn participant(key: Keypair, account: Pubkey, tokens: Vec<Pubkey>) -> traders::Participant {
    traders::Participant {
        key,
        account,
        tokens,
        strategy: traders::Strategy::Lender,
        capital_usd: 0.0,
        appetite: 0.0,
        next_action_day: 0,
        opened: true,
    }
}

/// The trader's withdraw of `amount` of asset `a`, as an instruction.
pub async fn withdraw_ix<C: AccountWriter>(
    chain: &C,
    book: &WideBook,
    a: usize,
    amount: u64,
) -> anchor_lang::solana_program::instruction::Instruction {
    let p = &book.trader;
    let acc: MarginAccount = load(&chain.account(&p.account).await.unwrap().unwrap().data).unwrap();
    let health = book.state.health_keys(&acc);
    pix::withdraw(
        AddRiskKeys {
            owner: p.key.pubkey(),
            group: book.state.address,
            risk_model: book.state.group.risk_model,
            account: p.account,
            asset: &book.state.assets[a].keys,
            destination: p.tokens[a],
            health: &health,
        },
        amount,
    )
}

/// A funded liquidator holding $10M of USDC.
pub async fn liquidator<C: AccountWriter>(chain: &C, admin: &Keypair, state: &GroupState) -> Liquidator {
    let k = Keypair::new();
    chain.airdrop(&k.pubkey(), 10_000_000_000).await.unwrap();
    let l = Liquidator::new(k, opts());
    l.ensure_token_accounts(chain, state).await.unwrap();
    let a = &state.assets[USDC];
    let ix = token::mint_to(
        &a.keys.token_program,
        &a.keys.mint,
        &l.token_account(&a.account),
        &admin.pubkey(),
        10_000_000_000_000,
    );
    send_ixs(chain, admin, &[], &[ix], &opts()).await.unwrap().check("mint").unwrap();
    l
}

/// Options sending exactly as asked: no simulation, a fixed limit, no fee lookup.
pub fn raw(version: portfolio_margin_client::chain::Version) -> SendOptions {
    SendOptions { simulate: false, compute_unit_limit: Some(400_000), compute_unit_price: Some(0), version, ..opts() }
}

/// Every volatile asset −45% at `now`: the liquidator liquidates the 16-position trader (through
/// the group's lookup table: the transaction does not fit a packet otherwise).
pub async fn crash_and_liquidate<C: AccountWriter>(chain: &C, admin: &Keypair, book: &WideBook, now: i64) {
    let mut px = prices();
    for p in px.iter_mut().take(VOLATILE) {
        *p *= 0.55;
    }
    publish_prices(chain, &book.state, &px, 0.0005, now).await.unwrap();
    let mut liq = liquidator(chain, admin, &book.state).await;
    let r = liq.round(chain, &book.state, &Metrics::default()).await.unwrap();
    assert!(
        r.actions.iter().any(|a| matches!(a, Action::Liquidated { account, .. } if *account == book.trader.account)),
        "{:?}",
        r.actions
    );
}
