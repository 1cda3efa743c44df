//! The invariant fuzzer's protocol-wide checks: what a rejected action must leave unchanged, token
//! conservation, pool shares and vault coverage.
use portfolio_margin::state::{Asset, MarginAccount};
use portfolio_margin_tests::*;
use risk_engine::Fx;

/// Whether `t` owes an asset whose oracle is unusable (its liquidation would be refused).
pub(super) async fn owes_unpriced(w: &mut World, t: &Trader, stale: Option<usize>) -> bool {
    let acc: MarginAccount = w.zero_copy(t.margin_account).await;
    let owes = acc.active().any(|p| p.shares.get() < Fx::ZERO && Some(p.asset_index as usize) == stale);
    owes
}

pub(super) async fn snapshot(w: &mut World, m: &Market, p: &Perps, traders: &[Trader]) -> Vec<Vec<u8>> {
    // The group and the risk model too: a refused parameter update must leave them as they were.
    let mut keys = vec![m.group, m.risk_model, p.vault.perp_vault, p.vault.tokens, p.vault.share_mint];
    keys.extend(p.markets.iter().map(|(k, _)| k.perp_market));
    for a in &m.assets {
        keys.extend([a.asset, a.vault, a.insurance_vault]);
    }
    for t in traders {
        keys.push(t.margin_account);
        keys.extend(t.tokens.iter().copied());
    }
    let mut out = vec![];
    for k in keys {
        out.push(w.account_data(k).await.unwrap_or_default());
    }
    out
}

/// Tokens of each asset held by its vault, its insurance vault and every wallet of the run.
pub(super) async fn tokens_held(
    w: &mut World,
    m: &Market,
    p: &Perps,
    wallets: &[Vec<anchor_lang::prelude::Pubkey>],
) -> Vec<u128> {
    let mut out = vec![];
    for (i, a) in m.assets.iter().enumerate() {
        let mut total = w.token_balance(a.vault).await as u128 + w.token_balance(a.insurance_vault).await as u128;
        if i == p.quote {
            total += w.token_balance(p.vault.tokens).await as u128;
        }
        for tokens in wallets {
            total += w.token_balance(tokens[i]).await as u128;
        }
        out.push(total);
    }
    out
}

/// Σ of the shares every margin account holds (deposits of a wiped-out generation excluded) equals
/// each pool's books, deposits and borrows alike, to the last bit.
pub(super) async fn check_shares(w: &mut World, m: &Market, accounts: &[anchor_lang::prelude::Pubkey], step: usize) {
    let assets: Vec<Asset> = {
        let mut v = vec![];
        for a in &m.assets {
            v.push(w.zero_copy::<Asset>(a.asset).await);
        }
        v
    };
    let mut sums = vec![(Fx::ZERO, Fx::ZERO); assets.len()];
    for address in accounts {
        let acc: MarginAccount = w.zero_copy(*address).await;
        for p in acc.active() {
            let i = p.asset_index as usize;
            let s = assets[i].live_shares(p);
            if s > Fx::ZERO {
                sums[i].0 += s;
            } else {
                sums[i].1 -= s;
            }
        }
    }
    for (i, a) in assets.iter().enumerate() {
        let pool = a.pool();
        assert_eq!(sums[i], (pool.deposit_shares, pool.borrow_shares), "step {step}: asset {i}'s shares do not add up");
    }
}

pub(super) async fn check_vaults(w: &mut World, m: &Market, step: usize) {
    for a in &m.assets {
        let asset: Asset = w.zero_copy(a.asset).await;
        let pool = asset.pool();
        let books = pool.total_deposits().unwrap() - pool.total_borrows().unwrap() + pool.protocol_fees;
        let vault = w.token_balance(a.vault).await;
        assert!(books <= Fx::from_num(vault), "step {step}: asset {} books {books} exceed vault {vault}", a.index);
        assert!(pool.protocol_fees >= Fx::ZERO);
    }
}
