//! Helpers shared by the embedded-runtime and RPC tests: a config, a lender, a trader levered to
//! the limit, and a liquidator with inventory — generic over the chain backend.
#![allow(dead_code)]
use std::path::PathBuf;

use anchor_lang::prelude::Pubkey;
use keeper::liquidator::Liquidator;
use keeper::migrate::{self, Config};
use keeper::simulate::traders;
use portfolio_margin::state::MarginAccount;
use portfolio_margin_client::chain::{Chain, SendOptions};
use portfolio_margin_client::state::{load, GroupState};
use portfolio_margin_client::{token, Keypair, Signer};

pub mod wide;

pub const PX: [f64; 3] = [8_500.0, 220.0, 1.0];

/// migrations/localnet.toml cut to BTC, ETH and USDC.
pub fn config() -> Config {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../migrations/localnet.toml");
    let mut c = Config::load(&path).unwrap();
    c.assets.retain(|a| ["BTC", "ETH", "USDC"].contains(&a.symbol.as_str()));
    c
}

pub fn opts() -> SendOptions {
    SendOptions { retries: 2, backoff: std::time::Duration::from_millis(1), ..Default::default() }
}

/// A trader long BTC on USDC debt, borrowed to the limit; returns its margin account.
pub async fn leveraged_trader<C: Chain>(chain: &C, admin: &Keypair, state: &GroupState) -> Pubkey {
    lender(chain, admin, state).await;
    levered(chain, admin, state, migrate::derive_keypair(&[b"test trader"]), PX[0]).await
}

/// A lender supplying 10M USDC.
pub async fn lender<C: Chain>(chain: &C, admin: &Keypair, state: &GroupState) {
    let (key, account, tokens) =
        traders::enroll(chain, admin, state, migrate::derive_keypair(&[b"lender"]), &opts()).await.unwrap();
    let lender = traders::Participant {
        key,
        account,
        tokens,
        strategy: traders::Strategy::Lender,
        capital_usd: 10_000_000.0,
        appetite: 0.0,
        next_action_day: 0,
        opened: true,
    };
    assert!(traders::fund_and_deposit(chain, admin, state, &lender, 2, 10_000_000_000_000, &opts()).await.unwrap());
}

/// `key` deposits $100k of BTC at `btc` dollars and borrows USDC to the limit; returns its account.
pub async fn levered<C: Chain>(chain: &C, admin: &Keypair, state: &GroupState, key: Keypair, btc: f64) -> Pubkey {
    let (key, account, tokens) = traders::enroll(chain, admin, state, key, &opts()).await.unwrap();
    let p = traders::Participant {
        key,
        account,
        tokens,
        strategy: traders::Strategy::Long { asset: 0 },
        capital_usd: 100_000.0,
        appetite: 0.99,
        next_action_day: 0,
        opened: true,
    };
    assert!(traders::fund_and_deposit(chain, admin, state, &p, 0, traders::native(100_000.0, btc, 8), &opts())
        .await
        .unwrap());
    let acc: MarginAccount = load(&chain.account(&account).await.unwrap().unwrap().data).unwrap();
    let assets: Vec<_> = state.assets.iter().map(|a| a.account).collect();
    let oracles = chain.accounts(&state.oracles()).await.unwrap();
    let now = chain.unix_time().await.unwrap();
    let prices = keeper::view::read_oracles(state, &oracles, now);
    let room = traders::max_borrow(state, &assets, &prices, &acc, 2, now).unwrap();
    assert!(room > 0);
    // The program accepts the engine's largest borrow (preview = enforcement)… With debts already
    // in the pool, interest accrues between the preview's second and the execution's: 0.1% less.
    let usdc: portfolio_margin::state::Asset =
        load(&chain.account(&state.assets[2].keys.asset).await.unwrap().unwrap().data).unwrap();
    let pool_has_debt = usdc.borrow_shares.get() > risk_engine::Fx::ZERO;
    let room = if pool_has_debt { room - room / 1000 } else { room };
    assert_eq!(traders::borrow(chain, admin, state, &p, 2, room, &opts()).await.unwrap(), None);
    // …and refuses one more unit.
    if !pool_has_debt {
        let refused = traders::borrow(chain, admin, state, &p, 2, 1, &opts()).await.unwrap();
        assert!(refused.unwrap().contains("initial margin"), "expected the initial-margin refusal");
    }
    account
}

/// A funded liquidator with inventory in every asset.
pub async fn liquidator<C: Chain>(chain: &C, admin: &Keypair, state: &GroupState) -> Liquidator {
    let k = migrate::derive_keypair(&[b"test liquidator"]);
    chain.airdrop(&k.pubkey(), 10_000_000_000).await.unwrap();
    let l = Liquidator::new(k, opts());
    l.ensure_token_accounts(chain, state).await.unwrap();
    for (i, a) in state.assets.iter().enumerate() {
        let ix = token::mint_to(
            &a.keys.token_program,
            &a.keys.mint,
            &l.token_account(&a.account),
            &admin.pubkey(),
            traders::native(10_000_000.0, PX[i], a.account.decimals),
        );
        portfolio_margin_client::chain::send_ixs(chain, admin, &[], &[ix], &opts())
            .await
            .unwrap()
            .check("mint")
            .unwrap();
    }
    l
}
