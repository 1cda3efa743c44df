//! Perps on a test market: the vault over a quote asset, perp markets, an LP, and instruction
//! builders that pass each account's health accounts.
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use portfolio_margin::state::PerpParamsArgs;
use portfolio_margin_client::address;
use portfolio_margin_client::perp::{self as pp, PerpMarketKeys, PerpVaultKeys, TradeKeys};
use solana_signer::Signer;

use crate::market::{AssetAccounts, Market, Trader};
use crate::World;

pub struct Perps {
    pub vault: PerpVaultKeys,
    /// Market `i` is on asset `markets[i].1`.
    pub markets: Vec<(PerpMarketKeys, usize)>,
    pub quote: usize,
}

/// An LP: its quote tokens and its share account.
pub struct Lp {
    pub trader: Trader,
    pub shares: Pubkey,
}

impl Perps {
    /// The vault over asset `quote` (max utilization 50%) and a market per asset of `perp_assets`
    /// with [`PerpParamsArgs::defaults`] at `oi_cap` native units.
    pub async fn new(w: &mut World, m: &Market, quote: usize, perp_assets: &[usize], oi_cap: u64) -> Perps {
        let admin = w.payer();
        let vault = PerpVaultKeys::new(m.group, m.assets[quote].keys());
        w.send(&[pp::create_perp_vault(&admin, &vault, 500_000)], &[]).await.ok();
        let mut p = Perps { vault, markets: vec![], quote };
        for &a in perp_assets {
            let keys = m.assets[a].keys();
            w.send(&[pp::create_perp_market(&admin, &vault, &keys, PerpParamsArgs::defaults(oi_cap))], &[]).await.ok();
            let mk = PerpMarketKeys {
                market_index: p.markets.len() as u16,
                perp_market: address::perp_market(&m.group, keys.index),
                oracle: keys.oracle,
            };
            p.markets.push((mk, a));
        }
        p
    }

    pub fn keys(&self) -> Vec<PerpMarketKeys> {
        self.markets.iter().map(|(k, _)| *k).collect()
    }

    /// The share mint as an `AssetAccounts` (for creating token accounts of it).
    pub fn share_asset(&self, m: &Market) -> AssetAccounts {
        AssetAccounts { mint: self.vault.share_mint, ..m.assets[self.quote] }
    }

    /// An LP holding `amount` quote tokens, with an empty share account.
    pub async fn lp(&self, w: &mut World, m: &Market, amount: u64) -> Lp {
        let mut amounts = vec![0; m.assets.len()];
        amounts[self.quote] = amount;
        let trader = m.trader(w, &amounts).await;
        let shares = w.token_account(&self.share_asset(m), &trader.key.pubkey(), 0).await;
        Lp { trader, shares }
    }

    pub fn deposit_lp_ix(&self, lp: &Lp, amount: u64) -> Instruction {
        let t = &lp.trader;
        pp::deposit_perp_liquidity(&t.key.pubkey(), &self.vault, t.tokens[self.quote], lp.shares, &self.keys(), amount)
    }

    pub fn withdraw_lp_ix(&self, lp: &Lp, shares: u64) -> Instruction {
        let t = &lp.trader;
        pp::withdraw_perp_liquidity(&t.key.pubkey(), &self.vault, t.tokens[self.quote], lp.shares, &self.keys(), shares)
    }

    fn trade_keys<'a>(
        &'a self,
        m: &Market,
        signer: &Trader,
        account: &Trader,
        spot: &'a [portfolio_margin_client::instructions::AssetKeys],
        perps: &'a [PerpMarketKeys],
    ) -> TradeKeys<'a> {
        TradeKeys {
            owner: signer.key.pubkey(),
            risk_model: m.risk_model,
            account: account.margin_account,
            vault: &self.vault,
            spot,
            perps,
        }
    }

    /// `trade_perp` of `t` in market `market`, with health accounts for spot assets `spot` and perp
    /// markets `perps` (in slot order, after the trade).
    #[allow(clippy::too_many_arguments)]
    pub fn trade_ix(
        &self,
        m: &Market,
        t: &Trader,
        market: usize,
        base_delta: i64,
        limit_price_e6: u64,
        spot: &[usize],
        perps: &[usize],
    ) -> Instruction {
        let s: Vec<_> = spot.iter().map(|&i| m.assets[i].keys()).collect();
        let p: Vec<_> = perps.iter().map(|&i| self.markets[i].0).collect();
        pp::trade_perp(self.trade_keys(m, t, t, &s, &p), &self.markets[market].0, base_delta, limit_price_e6)
    }

    pub fn settle_ix(&self, t: &Trader, market: usize) -> Instruction {
        pp::settle_perp_pnl(&self.vault, t.margin_account, &self.markets[market].0)
    }

    /// `liquidate_perp` of `account` by `liquidator` (reward to its quote-token account).
    #[allow(clippy::too_many_arguments)]
    pub fn liquidate_ix(
        &self,
        m: &Market,
        liquidator: &Trader,
        account: &Trader,
        market: usize,
        max_base: u64,
        spot: &[usize],
        perps: &[usize],
    ) -> Instruction {
        let s: Vec<_> = spot.iter().map(|&i| m.assets[i].keys()).collect();
        let p: Vec<_> = perps.iter().map(|&i| self.markets[i].0).collect();
        pp::liquidate_perp(
            self.trade_keys(m, liquidator, account, &s, &p),
            &self.markets[market].0,
            liquidator.tokens[self.quote],
            max_base,
        )
    }

    /// `liquidate_hedge` of `account` by `liquidator`: repays asset `liability` against asset
    /// `collateral` and shrinks the position in market `market` by the base units moved; health
    /// accounts for spot assets `spot` and perp markets `perps`.
    #[allow(clippy::too_many_arguments)]
    pub fn hedge_ix(
        &self,
        m: &Market,
        liquidator: &Trader,
        account: &Trader,
        (liability, collateral): (usize, usize),
        market: usize,
        max_repay: u64,
        spot: &[usize],
        perps: &[usize],
    ) -> Instruction {
        let (l, c) = (m.assets[liability].keys(), m.assets[collateral].keys());
        let s: Vec<_> = spot.iter().map(|&i| m.assets[i].keys()).collect();
        let p: Vec<_> = perps.iter().map(|&i| self.markets[i].0).collect();
        let k = portfolio_margin_client::instructions::LiquidateKeys {
            liquidator: liquidator.key.pubkey(),
            group: m.group,
            risk_model: m.risk_model,
            account: account.margin_account,
            liquidator_account: liquidator.margin_account,
            liability: &l,
            liquidator_liability_tokens: liquidator.tokens[liability],
            collateral: &c,
            health: &s,
        };
        pp::liquidate_hedge(k, &self.markets[market].0, &p, &self.vault, max_repay)
    }

    /// `ix` (a withdraw or borrow with its spot health accounts) with the perp health accounts of
    /// markets `perps` and the vault appended.
    pub fn with_perp_health(&self, mut ix: Instruction, perps: &[usize]) -> Instruction {
        let p: Vec<_> = perps.iter().map(|&i| self.markets[i].0).collect();
        pp::push_health(&mut ix, &[], &p, &self.vault);
        ix
    }
}

/// The oracle price the test oracles publish for `px` (confidence 0.1%), as the program reads it.
pub fn oracle_price(px: f64, now: i64) -> portfolio_margin::oracle::OraclePrice {
    use risk_engine::valuation::price_from_oracle;
    let scale = 10f64.powi(-crate::market::PRICE_EXPONENT);
    portfolio_margin::oracle::OraclePrice {
        price: price_from_oracle((px * scale).round() as i64, crate::market::PRICE_EXPONENT, false).unwrap(),
        conf: price_from_oracle((px * 0.001 * scale).round() as i64, crate::market::PRICE_EXPONENT, true).unwrap(),
        publish_time: now,
    }
}

impl Perps {
    /// Market indices of `t`'s perp positions, in slot order (its perp health accounts).
    pub async fn held(&self, w: &mut World, t: &Trader) -> Vec<usize> {
        let acc: portfolio_margin::state::MarginAccount = w.zero_copy(t.margin_account).await;
        acc.active_perps().map(|s| s.market_index as usize).collect()
    }

    /// `t`'s perp positions as the program's health check builds them (`health::perp_entry`) at
    /// `prices` (per asset), with their markets.
    pub async fn book(
        &self,
        w: &mut World,
        m: &Market,
        t: &Trader,
        prices: &[f64],
    ) -> (Vec<risk_engine::perp::PerpHolding>, Vec<portfolio_margin::health::LoadedPerp>) {
        use portfolio_margin::state::{Group, MarginAccount, PerpMarket, PerpVault};
        let now = w.clock().await.unix_timestamp;
        let acc: MarginAccount = w.zero_copy(t.margin_account).await;
        let group: Group = w.zero_copy(m.group).await;
        let vault: PerpVault = w.zero_copy(self.vault.perp_vault).await;
        let tokens = w.token_balance(self.vault.tokens).await;
        let share = portfolio_margin::health::vault_share(&vault, tokens).unwrap();
        let (mut holdings, mut markets) = (vec![], vec![]);
        for slot in acc.active_perps() {
            let (keys, asset) = self.markets[slot.market_index as usize];
            let market: PerpMarket = w.zero_copy(keys.perp_market).await;
            let price = oracle_price(prices[asset], now);
            let (lp, h) = portfolio_margin::health::perp_entry(&group, &market, slot, price, share, now).unwrap();
            holdings.push(h);
            markets.push(lp);
        }
        (holdings, markets)
    }
}
