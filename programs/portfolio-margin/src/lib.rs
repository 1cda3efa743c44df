//! Portfolio-margin protocol: traders deposit SPL tokens as collateral and borrow against them; margin
//! comes from an on-chain EWMA covariance matrix. All the math lives in the `risk-engine` crate; this
//! crate is account plumbing. `lib.rs` only dispatches.
use anchor_lang::prelude::*;

extern crate alloc;

pub mod account_view;
#[cfg(all(feature = "sbf-entrypoint", not(feature = "cpi"), target_os = "solana"))]
mod entrypoint;
pub mod error;
pub mod events;
pub mod health;
pub mod instructions;
pub mod interest;
pub mod layout;
pub mod oracle;
pub mod perp;
pub mod probe;
pub mod state;
pub mod token;

use instructions::*;
use state::{PerpParamsArgs, RiskParamsArgs};

pub use risk_engine;

// Memory and i128 builtins for the SBF build.
#[cfg(target_os = "solana")]
use solana_compiler_builtins as _;

declare_id!("GcBf6SJFvsFyrWsacm5UtohYNbqYkBDW3aU4eBHQGjwX");

#[cfg(any(not(feature = "no-entrypoint"), all(feature = "sbf-entrypoint", not(feature = "cpi"))))]
solana_security_txt::security_txt! {
    name: "Portfolio margin",
    project_url: "https://portfolio-margin.invalid",
    contacts: "email:security@portfolio-margin.invalid",
    policy: "See SECURITY.md in the source repository: report privately, do not open public issues.",
    preferred_languages: "en",
    source_code: "https://portfolio-margin.invalid",
    auditors: "None yet"
}

#[program]
pub mod portfolio_margin {
    use super::*;

    /// Admin: creates a group (one protocol instance) with its authorities and risk parameters.
    pub fn create_group(
        ctx: Context<CreateGroup>,
        group_id: u32,
        risk_authority: Pubkey,
        params: RiskParamsArgs,
    ) -> Result<()> {
        instructions::admin::create_group::handle_create_group(ctx, group_id, risk_authority, params)
    }

    /// Admin: replaces the group's risk parameters (validated like `create_group`).
    pub fn update_risk_params(ctx: Context<UpdateRiskParams>, params: RiskParamsArgs) -> Result<()> {
        instructions::admin::update_risk_params::handle_update_risk_params(ctx, params)
    }

    /// Admin: initialises the group's risk model in a client-allocated, zeroed account.
    pub fn create_risk_model(ctx: Context<CreateRiskModel>) -> Result<()> {
        instructions::admin::create_risk_model::handle_create_risk_model(ctx)
    }

    /// Admin: registers an SPL Token or Token-2022 mint with its oracle feed, vaults, pool settings
    /// and bootstrap covariances.
    pub fn register_asset(ctx: Context<RegisterAsset>, args: RegisterAssetArgs) -> Result<()> {
        instructions::admin::register_asset::handle_register_asset(ctx, args)
    }

    /// Admin: records address lookup table `index` (0 or 1) of the group, for clients' v0
    /// transactions; the table must be active and have the admin as its authority.
    pub fn set_lookup_table(ctx: Context<SetLookupTable>, index: u8) -> Result<()> {
        instructions::admin::set_lookup_table::handle_set_lookup_table(ctx, index)
    }

    /// Trader: opens margin account number `index` in a group.
    pub fn create_margin_account(ctx: Context<CreateMarginAccount>, index: u8) -> Result<()> {
        instructions::user::create_margin_account::handle_create_margin_account(ctx, index)
    }

    /// Trader: closes an empty margin account and reclaims its rent.
    pub fn close_margin_account(ctx: Context<CloseMarginAccount>) -> Result<()> {
        instructions::user::close_margin_account::handle_close_margin_account(ctx)
    }

    /// Trader: deposits collateral (no prices needed).
    pub fn deposit(ctx: Context<ReduceRisk>, amount: u64) -> Result<()> {
        instructions::user::deposit::handle_deposit(ctx, amount)
    }

    /// Trader: repays debt (no prices needed).
    pub fn repay(ctx: Context<ReduceRisk>, amount: u64) -> Result<()> {
        instructions::user::repay::handle_repay(ctx, amount)
    }

    /// Trader: withdraws collateral; needs initial health ≥ 0 afterwards.
    pub fn withdraw<'info>(ctx: Context<'info, AddRisk<'info>>, amount: u64) -> Result<()> {
        instructions::user::withdraw::handle_withdraw(ctx, amount)
    }

    /// Trader: borrows from a pool; needs initial health ≥ 0 afterwards.
    pub fn borrow<'info>(ctx: Context<'info, AddRisk<'info>>, amount: u64) -> Result<()> {
        instructions::user::borrow::handle_borrow(ctx, amount)
    }

    /// Anyone: records oracle prices for a run of assets; the last run applies the EWMA sample.
    pub fn crank_risk_model<'info>(ctx: Context<'info, CrankRiskModel<'info>>, first_asset: u16) -> Result<()> {
        instructions::keeper::crank_risk_model::handle_crank_risk_model(ctx, first_asset)
    }

    /// Anyone: liquidates an account below maintenance margin, repaying one liability against one
    /// collateral at a discount, no further than initial health.
    pub fn liquidate<'info>(ctx: Context<'info, Liquidate<'info>>, max_repay: u64) -> Result<()> {
        instructions::keeper::liquidate::handle_liquidate(ctx, max_repay)
    }

    /// Anyone: clears a bankrupt account's debt in one asset (insurance first, then socialised).
    pub fn resolve_bankruptcy<'info>(ctx: Context<'info, ResolveBankruptcy<'info>>) -> Result<()> {
        instructions::keeper::resolve_bankruptcy::handle_resolve_bankruptcy(ctx)
    }

    /// Anyone: moves the protocol's share of interest from an asset's vault to its insurance vault.
    pub fn collect_protocol_fees(ctx: Context<CollectProtocolFees>) -> Result<()> {
        instructions::keeper::collect_protocol_fees::handle_collect_protocol_fees(ctx)
    }

    /// Admin: creates the group's perp liquidity vault in a registered quote asset.
    pub fn create_perp_vault(ctx: Context<CreatePerpVault>, max_utilization_e6: u32) -> Result<()> {
        instructions::perp::create_perp_vault::handle_create_perp_vault(ctx, max_utilization_e6)
    }

    /// Admin: lists the perp market of a registered asset.
    pub fn create_perp_market(ctx: Context<CreatePerpMarket>, params: PerpParamsArgs) -> Result<()> {
        instructions::perp::create_perp_market::handle_create_perp_market(ctx, params)
    }

    /// Risk authority: replaces a perp market's parameters (funding accrued first).
    pub fn update_perp_market(ctx: Context<UpdatePerpMarket>, params: PerpParamsArgs) -> Result<()> {
        instructions::perp::update_perp_market::handle_update_perp_market(ctx, params)
    }

    /// LP: deposits quote tokens into the perp vault for shares.
    pub fn deposit_perp_liquidity(ctx: Context<PerpLiquidity>, amount: u64) -> Result<()> {
        instructions::perp::liquidity::handle_deposit_perp_liquidity(ctx, amount)
    }

    /// LP: burns shares for quote tokens, within the vault's stress budget.
    pub fn withdraw_perp_liquidity(ctx: Context<PerpLiquidity>, shares: u64) -> Result<()> {
        instructions::perp::liquidity::handle_withdraw_perp_liquidity(ctx, shares)
    }

    /// Trader: buys or sells a perp against the vault, no worse than the limit price.
    pub fn trade_perp<'info>(
        ctx: Context<'info, TradePerp<'info>>,
        base_delta: i64,
        limit_price_e6: u64,
    ) -> Result<()> {
        instructions::perp::trade_perp::handle_trade_perp(ctx, base_delta, limit_price_e6)
    }

    /// Anyone: settles an account's PnL in one perp market into its quote-asset position.
    pub fn settle_perp_pnl(ctx: Context<SettlePerpPnl>) -> Result<()> {
        instructions::perp::settle_perp_pnl::handle_settle_perp_pnl(ctx)
    }

    /// Anyone: closes part of a perp position of an account below maintenance margin.
    pub fn liquidate_perp<'info>(ctx: Context<'info, LiquidatePerp<'info>>, max_base: u64) -> Result<()> {
        instructions::perp::liquidate_perp::handle_liquidate_perp(ctx, max_base)
    }

    /// Anyone: one step that unwinds both legs of a hedge of an account below maintenance margin —
    /// repays part of a debt against a collateral and shrinks the perp on the hedged asset by the
    /// same base units.
    pub fn liquidate_hedge<'info>(ctx: Context<'info, LiquidateHedge<'info>>, max_repay: u64) -> Result<()> {
        instructions::perp::liquidate_hedge::handle_liquidate_hedge(ctx, max_repay)
    }

    /// Read-only: returns this build's account layouts (sizes, alignments, offsets) as return data.
    pub fn account_layouts(ctx: Context<AccountLayouts>) -> Result<()> {
        instructions::view::account_layouts::handle_account_layouts(ctx)
    }
}
