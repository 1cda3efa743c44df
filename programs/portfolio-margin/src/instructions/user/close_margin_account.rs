use anchor_lang::prelude::*;

use crate::error::ErrorCode;
use crate::events::MarginAccountClosed;
use crate::state::MarginAccount;

#[derive(Accounts)]
pub struct CloseMarginAccount<'info> {
    #[account(mut)]
    pub owner: Signer<'info>,
    #[account(mut, has_one = owner, close = owner)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
}

pub fn handle_close_margin_account(ctx: Context<CloseMarginAccount>) -> Result<()> {
    let acc = ctx.accounts.margin_account.load()?;
    if acc.active_count() != 0 || acc.active_perps().next().is_some() {
        return err!(ErrorCode::AccountNotEmpty);
    }
    emit!(MarginAccountClosed {
        group: acc.group,
        owner: acc.owner,
        margin_account: ctx.accounts.margin_account.key()
    });
    Ok(())
}
