//! What deposit, withdraw, borrow and repay share: the accounts, interest accrual on touch, token
//! transfers in and out of the vault.
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Mint, TokenAccount, TokenInterface, TransferChecked};
use risk_engine::Fx;

use crate::error::ErrorCode;
use crate::events::{BalanceAction, BalanceChanged, InterestAccrued};
use crate::health::{account_health, require_initial_health};
use crate::state::{seeds, Asset, Group, MarginAccount, RiskModel};

/// Accounts of deposit and repay (no prices needed: they only reduce risk).
#[derive(Accounts)]
pub struct ReduceRisk<'info> {
    pub owner: Signer<'info>,
    pub group: AccountLoader<'info, Group>,
    #[account(mut, has_one = owner, has_one = group)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(mut, has_one = group, has_one = vault, has_one = mint, has_one = token_program)]
    pub asset: AccountLoader<'info, Asset>,
    #[account(mut)]
    pub vault: InterfaceAccount<'info, TokenAccount>,
    pub mint: InterfaceAccount<'info, Mint>,
    /// The owner's token account the tokens come from.
    #[account(mut, token::mint = mint, token::authority = owner, token::token_program = token_program)]
    pub owner_tokens: InterfaceAccount<'info, TokenAccount>,
    pub token_program: Interface<'info, TokenInterface>,
}

/// Accounts of withdraw and borrow; remaining accounts: (asset, oracle) per open position after the
/// action, in position order.
#[derive(Accounts)]
pub struct AddRisk<'info> {
    pub owner: Signer<'info>,
    #[account(has_one = risk_model @ ErrorCode::WrongRiskModel)]
    pub group: AccountLoader<'info, Group>,
    pub risk_model: AccountLoader<'info, RiskModel>,
    #[account(mut, has_one = owner, has_one = group)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(mut, has_one = group, has_one = vault, has_one = mint, has_one = token_program)]
    pub asset: AccountLoader<'info, Asset>,
    #[account(mut)]
    pub vault: InterfaceAccount<'info, TokenAccount>,
    pub mint: InterfaceAccount<'info, Mint>,
    /// Where the tokens go (any account of this mint).
    #[account(mut, token::mint = mint, token::token_program = token_program)]
    pub destination: InterfaceAccount<'info, TokenAccount>,
    pub token_program: Interface<'info, TokenInterface>,
}

/// Accrues the pool's interest up to `now`; emits when anything accrued.
pub fn accrue(asset: &mut Asset, asset_key: Pubkey, now: i64) -> Result<()> {
    let mut pool = asset.pool();
    let before = pool.last_accrual;
    let a =
        pool.accrue(now, &asset.curve(), asset.protocol_share.get()).map_err(|_| error!(ErrorCode::MathOverflow))?;
    asset.set_pool(&pool);
    if a.interest > Fx::ZERO {
        emit!(InterestAccrued {
            asset: asset_key,
            seconds: now - before,
            interest_bits: a.interest.to_bits(),
            protocol_fee_bits: a.protocol_fee.to_bits(),
            borrow_rate_bits: a.borrow_rate.to_bits(),
            deposit_index_bits: pool.deposit_index.to_bits(),
            borrow_index_bits: pool.borrow_index.to_bits(),
        });
    }
    Ok(())
}

pub fn transfer_in<'info>(
    token_program: &Interface<'info, TokenInterface>,
    from: &InterfaceAccount<'info, TokenAccount>,
    to: &InterfaceAccount<'info, TokenAccount>,
    mint: &InterfaceAccount<'info, Mint>,
    authority: &Signer<'info>,
    amount: u64,
) -> Result<()> {
    let accounts = TransferChecked {
        from: from.to_account_info(),
        mint: mint.to_account_info(),
        to: to.to_account_info(),
        authority: authority.to_account_info(),
    };
    token_interface::transfer_checked(CpiContext::new(token_program.key(), accounts), amount, mint.decimals)
}

/// Moves `amount` out of a token account the asset PDA owns (its vault or insurance vault), signed
/// by the asset PDA `[ASSET, group, mint, bump]`.
#[allow(clippy::too_many_arguments)]
pub fn transfer_signed_by_asset<'info>(
    token_program: &Interface<'info, TokenInterface>,
    from: AccountInfo<'info>,
    mint: &InterfaceAccount<'info, Mint>,
    to: AccountInfo<'info>,
    asset: AccountInfo<'info>,
    group: &Pubkey,
    asset_bump: u8,
    amount: u64,
) -> Result<()> {
    let mint_key = mint.key();
    let seeds: &[&[u8]] = &[seeds::ASSET, group.as_ref(), mint_key.as_ref(), &[asset_bump]];
    let accounts = TransferChecked { from, mint: mint.to_account_info(), to, authority: asset };
    token_interface::transfer_checked(
        CpiContext::new_with_signer(token_program.key(), accounts, &[seeds]),
        amount,
        mint.decimals,
    )
}

/// What withdraw and borrow share once the books are updated: initial health ≥ 0 from fresh prices
/// of every position (remaining accounts), the tokens out of the vault, the event.
pub fn finish_add_risk<'info>(
    ctx: &Context<'info, AddRisk<'info>>,
    action: BalanceAction,
    amount: u64,
    shares_after: Fx,
    asset_bump: u8,
    now: i64,
) -> Result<()> {
    let group_key = ctx.accounts.group.key();
    let health = {
        let group = ctx.accounts.group.load()?;
        let model = ctx.accounts.risk_model.load()?;
        let acc = ctx.accounts.margin_account.load()?;
        account_health(&group_key, &group, &model, &acc, ctx.remaining_accounts, now)?
    };
    require_initial_health(&health)?;
    let a = &ctx.accounts;
    transfer_signed_by_asset(
        &a.token_program,
        a.vault.to_account_info(),
        &a.mint,
        a.destination.to_account_info(),
        a.asset.to_account_info(),
        &group_key,
        asset_bump,
        amount,
    )?;
    emit!(BalanceChanged {
        margin_account: a.margin_account.key(),
        owner: a.owner.key(),
        asset: a.asset.key(),
        action,
        amount,
        shares_after_bits: shares_after.to_bits(),
        equity_bits: health.equity.to_bits(),
        initial_margin_bits: health.margin.initial.to_bits(),
    });
    Ok(())
}

/// Tokens in the vault that are neither lent out nor owed to the insurance fund.
pub fn available_liquidity(asset: &Asset, vault_amount: u64) -> u64 {
    let fees = risk_engine::fixed_point::ceil_to_int(asset.protocol_fees.get()).max(0) as u64;
    vault_amount.saturating_sub(fees)
}
