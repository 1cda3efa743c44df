use anchor_lang::prelude::*;
use anchor_lang::solana_program::program_pack::Pack;
use anchor_lang::system_program;
use anchor_spl::token_interface::{self, Mint, TokenAccount, TokenInterface};
use risk_engine::fixed_point::fx_ratio;

use crate::error::{math, ErrorCode};
use crate::events::PerpVaultCreated;
use crate::state::params::E6;
use crate::state::{seeds, Asset, Group, PerpVault};

/// Admin: creates the group's perp liquidity vault in a registered quote asset (the asset perp PnL
/// settles in), with its token account and LP-share mint.
#[derive(Accounts)]
pub struct CreatePerpVault<'info> {
    #[account(mut)]
    pub admin: Signer<'info>,
    #[account(has_one = admin)]
    pub group: AccountLoader<'info, Group>,
    #[account(has_one = group, has_one = mint, has_one = token_program)]
    pub quote_asset: AccountLoader<'info, Asset>,
    pub mint: InterfaceAccount<'info, Mint>,
    #[account(
        init,
        payer = admin,
        space = PerpVault::SPACE,
        seeds = [seeds::PERP_VAULT, group.key().as_ref()],
        bump,
    )]
    pub perp_vault: AccountLoader<'info, PerpVault>,
    #[account(
        init,
        payer = admin,
        seeds = [seeds::PERP_VAULT_TOKENS, group.key().as_ref()],
        bump,
        token::mint = mint,
        token::authority = perp_vault,
        token::token_program = token_program,
    )]
    pub vault_tokens: InterfaceAccount<'info, TokenAccount>,
    /// CHECK: the LP-share mint's PDA, created and initialised here (decimals of the quote mint,
    /// authority: the vault, no freeze authority).
    #[account(mut, seeds = [seeds::PERP_LP_MINT, group.key().as_ref()], bump)]
    pub share_mint: UncheckedAccount<'info>,
    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

pub fn handle_create_perp_vault(ctx: Context<CreatePerpVault>, max_utilization_e6: u32) -> Result<()> {
    if max_utilization_e6 == 0 || max_utilization_e6 as i128 > E6 {
        msg!("invalid perp parameter `max_utilization_e6`: must be in (0, 1000000]");
        return err!(ErrorCode::InvalidRiskParameter);
    }
    let a = &ctx.accounts;
    let group_key = a.group.key();
    let mint_seeds: &[&[u8]] = &[seeds::PERP_LP_MINT, group_key.as_ref(), &[ctx.bumps.share_mint]];
    let space = anchor_spl::token_2022::spl_token_2022::state::Mint::LEN;
    let create = system_program::CreateAccount { from: a.admin.to_account_info(), to: a.share_mint.to_account_info() };
    system_program::create_account(
        CpiContext::new_with_signer(a.system_program.key(), create, &[mint_seeds]),
        Rent::get()?.minimum_balance(space),
        space as u64,
        &a.token_program.key(),
    )?;
    let init = token_interface::InitializeMint2 { mint: a.share_mint.to_account_info() };
    token_interface::initialize_mint2(
        CpiContext::new(a.token_program.key(), init),
        a.mint.decimals,
        &a.perp_vault.key(),
        None,
    )?;
    let mut v = a.perp_vault.load_init()?;
    v.group = a.group.key();
    v.quote_asset = a.quote_asset.key();
    v.mint = a.mint.key();
    v.token_program = a.token_program.key();
    v.tokens = a.vault_tokens.key();
    v.share_mint = a.share_mint.key();
    v.max_utilization = fx_ratio(max_utilization_e6 as i128, E6).map_err(math)?.into();
    v.bump = ctx.bumps.perp_vault;
    v.tokens_bump = ctx.bumps.vault_tokens;
    v.share_mint_bump = ctx.bumps.share_mint;
    v.quote_decimals = a.mint.decimals;
    emit!(PerpVaultCreated {
        group: v.group,
        perp_vault: a.perp_vault.key(),
        quote_asset: v.quote_asset,
        share_mint: v.share_mint,
        max_utilization_e6,
    });
    Ok(())
}
