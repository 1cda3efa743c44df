//! LPs deposit quote tokens into the perp vault for shares and withdraw them back, at the vault's
//! value (tokens − traders' PnL in every market, valued against the LP on each side).
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Burn, Mint, MintTo, TokenAccount, TokenInterface};

use crate::error::{math, ErrorCode};
use crate::events::PerpLiquidityChanged;
use crate::perp::{check_vault_stress, load_all_markets, vault_value};
use crate::state::{seeds, Group, PerpVault};
use crate::token::{transfer_in_accounts, transfer_signed_by_perp_vault};

/// Accounts of both LP instructions; remaining accounts: `(perp market, oracle)` for every market of
/// the group, in market order.
#[derive(Accounts)]
pub struct PerpLiquidity<'info> {
    pub owner: Signer<'info>,
    pub group: AccountLoader<'info, Group>,
    #[account(has_one = group, has_one = tokens, has_one = share_mint, has_one = mint, has_one = token_program)]
    pub perp_vault: AccountLoader<'info, PerpVault>,
    #[account(mut)]
    pub tokens: InterfaceAccount<'info, TokenAccount>,
    #[account(mut)]
    pub share_mint: InterfaceAccount<'info, Mint>,
    pub mint: InterfaceAccount<'info, Mint>,
    /// The LP's quote tokens.
    #[account(mut, token::mint = mint, token::authority = owner, token::token_program = token_program)]
    pub owner_tokens: InterfaceAccount<'info, TokenAccount>,
    /// The LP's shares.
    #[account(mut, token::mint = share_mint, token::authority = owner, token::token_program = token_program)]
    pub owner_shares: InterfaceAccount<'info, TokenAccount>,
    pub token_program: Interface<'info, TokenInterface>,
}

/// `a × b / c`, rounded down, checked.
fn mul_div(a: u64, b: u64, c: i128) -> Result<u64> {
    if c <= 0 {
        return err!(ErrorCode::PerpVaultInsolvent);
    }
    let v = (a as i128).checked_mul(b as i128).ok_or_else(|| math("shares overflow"))? / c;
    u64::try_from(v).map_err(math)
}

/// Deposits `amount` quote tokens for `amount × supply / value` shares (rounded down; 1:1 into an
/// empty vault). Refused while the vault owes traders more than it holds.
pub fn handle_deposit_perp_liquidity(ctx: Context<PerpLiquidity>, amount: u64) -> Result<()> {
    if amount == 0 {
        return err!(ErrorCode::ZeroAmount);
    }
    let now = Clock::get()?.unix_timestamp;
    let a = &ctx.accounts;
    let (shares, value) = {
        let group = a.group.load()?;
        let vault = a.perp_vault.load()?;
        let markets = load_all_markets(&a.group.key(), &group, &vault, ctx.remaining_accounts, now)?;
        let value = vault_value(a.tokens.amount, vault.quote_decimals, &markets, group.params.conf_k.get(), false)?;
        let supply = a.share_mint.supply;
        let shares = if supply == 0 { amount } else { mul_div(amount, supply, value)? };
        (shares, value)
    };
    if shares == 0 {
        return err!(ErrorCode::AmountTooSmall);
    }
    transfer_in_accounts(&a.token_program, &a.owner_tokens, &a.tokens, &a.mint, &a.owner, amount)?;
    let (group_key, bump) = (a.group.key(), a.perp_vault.load()?.bump);
    let signer: &[&[u8]] = &[seeds::PERP_VAULT, group_key.as_ref(), &[bump]];
    let accounts = MintTo {
        mint: a.share_mint.to_account_info(),
        to: a.owner_shares.to_account_info(),
        authority: a.perp_vault.to_account_info(),
    };
    token_interface::mint_to(CpiContext::new_with_signer(a.token_program.key(), accounts, &[signer]), shares)?;
    emit!(PerpLiquidityChanged {
        perp_vault: a.perp_vault.key(),
        owner: a.owner.key(),
        deposit: true,
        tokens: amount,
        shares,
        vault_value_native: value as i64,
    });
    Ok(())
}

/// Burns `shares` for `shares × value / supply` quote tokens (rounded down, value counted low);
/// refused when the vault could not then pay the stressed loss of every market's net position.
pub fn handle_withdraw_perp_liquidity(ctx: Context<PerpLiquidity>, shares: u64) -> Result<()> {
    if shares == 0 {
        return err!(ErrorCode::ZeroAmount);
    }
    let now = Clock::get()?.unix_timestamp;
    let a = &ctx.accounts;
    if shares > a.owner_shares.amount {
        msg!("the LP holds {} shares", a.owner_shares.amount);
        return err!(ErrorCode::InsufficientDeposit);
    }
    let (amount, value) = {
        let group = a.group.load()?;
        let vault = a.perp_vault.load()?;
        let markets = load_all_markets(&a.group.key(), &group, &vault, ctx.remaining_accounts, now)?;
        let value = vault_value(a.tokens.amount, vault.quote_decimals, &markets, group.params.conf_k.get(), true)?;
        let amount = mul_div(shares, value.max(0) as u64, a.share_mint.supply as i128)?;
        if amount > a.tokens.amount {
            return err!(ErrorCode::InsufficientLiquidity);
        }
        check_vault_stress(&vault, a.tokens.amount - amount, &markets)?;
        (amount, value)
    };
    if amount == 0 {
        return err!(ErrorCode::AmountTooSmall);
    }
    let burn = Burn {
        mint: a.share_mint.to_account_info(),
        from: a.owner_shares.to_account_info(),
        authority: a.owner.to_account_info(),
    };
    token_interface::burn(CpiContext::new(a.token_program.key(), burn), shares)?;
    let bump = a.perp_vault.load()?.bump;
    transfer_signed_by_perp_vault(
        &a.token_program,
        a.tokens.to_account_info(),
        &a.mint,
        a.owner_tokens.to_account_info(),
        a.perp_vault.to_account_info(),
        &a.group.key(),
        bump,
        amount,
    )?;

    emit!(PerpLiquidityChanged {
        perp_vault: a.perp_vault.key(),
        owner: a.owner.key(),
        deposit: false,
        tokens: amount,
        shares,
        vault_value_native: value as i64,
    });
    Ok(())
}
