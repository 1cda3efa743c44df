//! Token transfers in and out of the protocol's token accounts (SPL Token or Token-2022, always
//! `transfer_checked`).
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Mint, TokenInterface, TransferChecked};

use crate::state::seeds;

/// Moves `amount` (of a mint with `decimals`) from a user's token account, signed by its
/// authority. `transfer_checked` makes the token program check both accounts' mint and the decimals.
pub fn transfer_in<'info>(
    token_program: &Interface<'info, TokenInterface>,
    from: AccountInfo<'info>,
    to: AccountInfo<'info>,
    mint: AccountInfo<'info>,
    decimals: u8,
    authority: &Signer<'info>,
    amount: u64,
) -> Result<()> {
    let accounts = TransferChecked { from, mint, to, authority: authority.to_account_info() };
    token_interface::transfer_checked(CpiContext::new(token_program.key(), accounts), amount, decimals)
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

/// Moves `amount` out of the perp vault's token account, signed by the perp-vault PDA
/// `[PERP_VAULT, group, bump]`.
#[allow(clippy::too_many_arguments)]
pub fn transfer_signed_by_perp_vault<'info>(
    token_program: &Interface<'info, TokenInterface>,
    from: AccountInfo<'info>,
    mint: &InterfaceAccount<'info, Mint>,
    to: AccountInfo<'info>,
    perp_vault: AccountInfo<'info>,
    group: &Pubkey,
    bump: u8,
    amount: u64,
) -> Result<()> {
    let seeds: &[&[u8]] = &[seeds::PERP_VAULT, group.as_ref(), &[bump]];
    let accounts = TransferChecked { from, mint: mint.to_account_info(), to, authority: perp_vault };
    token_interface::transfer_checked(
        CpiContext::new_with_signer(token_program.key(), accounts, &[seeds]),
        amount,
        mint.decimals,
    )
}
