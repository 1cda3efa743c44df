//! Token transfers in and out of the protocol's token accounts (SPL Token or Token-2022, always
//! `transfer_checked`).
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Mint, TokenAccount, TokenInterface, TransferChecked};

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

/// [`transfer_in`] between deserialized token accounts of a deserialized mint.
pub fn transfer_in_accounts<'info>(
    token_program: &Interface<'info, TokenInterface>,
    from: &InterfaceAccount<'info, TokenAccount>,
    to: &InterfaceAccount<'info, TokenAccount>,
    mint: &InterfaceAccount<'info, Mint>,
    authority: &Signer<'info>,
    amount: u64,
) -> Result<()> {
    let (from, to) = (from.to_account_info(), to.to_account_info());
    transfer_in(token_program, from, to, mint.to_account_info(), mint.decimals, authority, amount)
}

/// Checks a user's token account in place as `InterfaceAccount<TokenAccount>` with Anchor's
/// `token::authority`, `token::mint` and `token::token_program` constraints would (the same checks in
/// the same order, with their errors) without deserializing it: the unpack of the account and its
/// extensions costs ~490 CU. The base layout is SPL Token's, shared by Token-2022: mint at 0..32,
/// owner at 32..64, state at 108 (0: uninitialized); a longer Token-2022 account carries its type
/// at 165 (2: an account). The token program checks the account again in the transfer.
pub fn check_token_account(
    info: &AccountInfo<'_>,
    name: &'static str,
    token_program: &Pubkey,
    mint: &Pubkey,
    authority: &Pubkey,
) -> Result<()> {
    use anchor_lang::error::ErrorCode as A;
    if info.owner != &anchor_spl::token::ID && info.owner != &anchor_spl::token_2022::ID {
        return Err(Error::from(A::AccountOwnedByWrongProgram)
            .with_account_name(name)
            .with_pubkeys((*info.owner, *token_program)));
    }
    let data = info.try_borrow_data()?;
    const BASE: usize = 165;
    if data.len() < BASE || data[108] == 0 || (data.len() > BASE && data[BASE] != 2) {
        return Err(Error::from(A::AccountDidNotDeserialize).with_account_name(name));
    }
    let key_at = |at: usize| Pubkey::try_from(&data[at..at + 32]).unwrap_or_default();
    let (account_mint, owner) = (key_at(0), key_at(32));
    if owner != *authority {
        return Err(Error::from(A::ConstraintTokenOwner).with_account_name(name).with_pubkeys((owner, *authority)));
    }
    if account_mint != *mint {
        return Err(Error::from(A::ConstraintTokenMint).with_account_name(name).with_pubkeys((account_mint, *mint)));
    }
    if info.owner != token_program {
        return Err(Error::from(A::ConstraintTokenTokenProgram)
            .with_account_name(name)
            .with_pubkeys((*info.owner, *token_program)));
    }
    Ok(())
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
