//! Instruction builders of the perp instructions, with their health accounts.
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use portfolio_margin::accounts as acc;
use portfolio_margin::instruction as data;
use portfolio_margin::state::PerpParamsArgs;

use crate::address;
use crate::instructions::{ix, liquidate_accounts, AssetKeys, LiquidateKeys};

/// The group's perp vault and its accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PerpVaultKeys {
    pub group: Pubkey,
    pub perp_vault: Pubkey,
    pub tokens: Pubkey,
    pub share_mint: Pubkey,
    /// The quote asset (its mint, lending vault, token program).
    pub quote: AssetKeys,
}

impl PerpVaultKeys {
    pub fn new(group: Pubkey, quote: AssetKeys) -> Self {
        Self {
            group,
            perp_vault: address::perp_vault(&group),
            tokens: address::perp_vault_tokens(&group),
            share_mint: address::perp_lp_mint(&group),
            quote,
        }
    }
}

/// One perp market: its account and its oracle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PerpMarketKeys {
    pub market_index: u16,
    pub perp_market: Pubkey,
    pub oracle: Pubkey,
}

/// An account's health accounts: (asset, oracle) per spot position, (market, oracle) per perp
/// position, then the perp vault and its tokens when it holds perps.
pub fn push_health(ix: &mut Instruction, spot: &[AssetKeys], perps: &[PerpMarketKeys], vault: &PerpVaultKeys) {
    for a in spot {
        ix.accounts.push(AccountMeta::new_readonly(a.asset, false));
        ix.accounts.push(AccountMeta::new_readonly(a.oracle, false));
    }
    for m in perps {
        ix.accounts.push(AccountMeta::new_readonly(m.perp_market, false));
        ix.accounts.push(AccountMeta::new_readonly(m.oracle, false));
    }
    if !perps.is_empty() {
        ix.accounts.push(AccountMeta::new_readonly(vault.perp_vault, false));
        ix.accounts.push(AccountMeta::new_readonly(vault.tokens, false));
    }
}

pub fn create_perp_vault(admin: &Pubkey, v: &PerpVaultKeys, max_utilization_e6: u32) -> Instruction {
    ix(
        acc::CreatePerpVault {
            admin: *admin,
            group: v.group,
            quote_asset: v.quote.asset,
            mint: v.quote.mint,
            perp_vault: v.perp_vault,
            vault_tokens: v.tokens,
            share_mint: v.share_mint,
            token_program: v.quote.token_program,
            system_program: anchor_lang::system_program::ID,
        },
        data::CreatePerpVault { max_utilization_e6 },
    )
}

pub fn create_perp_market(admin: &Pubkey, v: &PerpVaultKeys, asset: &AssetKeys, params: PerpParamsArgs) -> Instruction {
    ix(
        acc::CreatePerpMarket {
            admin: *admin,
            group: v.group,
            perp_vault: v.perp_vault,
            asset: asset.asset,
            perp_market: address::perp_market(&v.group, asset.index),
            system_program: anchor_lang::system_program::ID,
        },
        data::CreatePerpMarket { params },
    )
}

pub fn update_perp_market(
    risk_authority: &Pubkey,
    group: Pubkey,
    m: &PerpMarketKeys,
    params: PerpParamsArgs,
) -> Instruction {
    ix(
        acc::UpdatePerpMarket { risk_authority: *risk_authority, group, perp_market: m.perp_market, oracle: m.oracle },
        data::UpdatePerpMarket { params },
    )
}

fn liquidity(
    owner: &Pubkey,
    v: &PerpVaultKeys,
    tokens: Pubkey,
    shares: Pubkey,
    markets: &[PerpMarketKeys],
    args: impl anchor_lang::InstructionData,
) -> Instruction {
    let mut i = ix(
        acc::PerpLiquidity {
            owner: *owner,
            group: v.group,
            perp_vault: v.perp_vault,
            tokens: v.tokens,
            share_mint: v.share_mint,
            mint: v.quote.mint,
            owner_tokens: tokens,
            owner_shares: shares,
            token_program: v.quote.token_program,
        },
        args,
    );
    for m in markets {
        i.accounts.push(AccountMeta::new_readonly(m.perp_market, false));
        i.accounts.push(AccountMeta::new_readonly(m.oracle, false));
    }
    i
}

/// `markets`: every perp market of the group, in market order.
pub fn deposit_perp_liquidity(
    owner: &Pubkey,
    v: &PerpVaultKeys,
    tokens: Pubkey,
    shares: Pubkey,
    markets: &[PerpMarketKeys],
    amount: u64,
) -> Instruction {
    liquidity(owner, v, tokens, shares, markets, data::DepositPerpLiquidity { amount })
}

/// `markets`: every perp market of the group, in market order.
pub fn withdraw_perp_liquidity(
    owner: &Pubkey,
    v: &PerpVaultKeys,
    tokens: Pubkey,
    shares: Pubkey,
    markets: &[PerpMarketKeys],
    amount: u64,
) -> Instruction {
    liquidity(owner, v, tokens, shares, markets, data::WithdrawPerpLiquidity { shares: amount })
}

/// What a trade names besides its market.
#[derive(Clone, Copy, Debug)]
pub struct TradeKeys<'a> {
    pub owner: Pubkey,
    pub risk_model: Pubkey,
    pub account: Pubkey,
    pub vault: &'a PerpVaultKeys,
    /// The account's positions after the trade.
    pub spot: &'a [AssetKeys],
    pub perps: &'a [PerpMarketKeys],
}

pub fn trade_perp(k: TradeKeys, m: &PerpMarketKeys, base_delta: i64, limit_price_e6: u64) -> Instruction {
    let mut i = ix(
        acc::TradePerp {
            owner: k.owner,
            group: k.vault.group,
            risk_model: k.risk_model,
            margin_account: k.account,
            perp_vault: k.vault.perp_vault,
            tokens: k.vault.tokens,
            perp_market: m.perp_market,
            oracle: m.oracle,
        },
        data::TradePerp { base_delta, limit_price_e6 },
    );
    push_health(&mut i, k.spot, k.perps, k.vault);
    i
}

pub fn settle_perp_pnl(v: &PerpVaultKeys, account: Pubkey, m: &PerpMarketKeys) -> Instruction {
    ix(
        acc::SettlePerpPnl {
            group: v.group,
            margin_account: account,
            perp_vault: v.perp_vault,
            tokens: v.tokens,
            perp_market: m.perp_market,
            oracle: m.oracle,
            quote_asset: v.quote.asset,
            vault: v.quote.vault,
            mint: v.quote.mint,
            token_program: v.quote.token_program,
        },
        data::SettlePerpPnl {},
    )
}

/// `k.owner` is the liquidator; `reward_to` receives its share of the fee.
pub fn liquidate_perp(k: TradeKeys, m: &PerpMarketKeys, reward_to: Pubkey, max_base: u64) -> Instruction {
    let mut i = ix(
        acc::LiquidatePerp {
            liquidator: k.owner,
            group: k.vault.group,
            risk_model: k.risk_model,
            margin_account: k.account,
            perp_vault: k.vault.perp_vault,
            tokens: k.vault.tokens,
            mint: k.vault.quote.mint,
            liquidator_tokens: reward_to,
            token_program: k.vault.quote.token_program,
            perp_market: m.perp_market,
            oracle: m.oracle,
        },
        data::LiquidatePerp { max_base },
    );
    push_health(&mut i, k.spot, k.perps, k.vault);
    i
}

/// `liquidate_hedge`: a spot liquidation of `k` (its `health` are the spot health accounts) and the
/// account's position in market `m`; `perps` are the account's perp markets in slot order.
pub fn liquidate_hedge(
    k: LiquidateKeys,
    m: &PerpMarketKeys,
    perps: &[PerpMarketKeys],
    vault: &PerpVaultKeys,
    max_repay: u64,
) -> Instruction {
    let mut i = ix(
        acc::LiquidateHedge { spot: liquidate_accounts(&k), perp_market: m.perp_market, oracle: m.oracle },
        data::LiquidateHedge { max_repay },
    );
    push_health(&mut i, k.health, perps, vault);
    i
}
