use anchor_lang::prelude::*;

use crate::events::MarginAccountCreated;
use crate::state::{seeds, Group, MarginAccount};

#[derive(Accounts)]
#[instruction(index: u8)]
pub struct CreateMarginAccount<'info> {
    #[account(mut)]
    pub owner: Signer<'info>,
    pub group: AccountLoader<'info, Group>,
    #[account(
        init,
        payer = owner,
        space = MarginAccount::SPACE,
        seeds = [seeds::MARGIN_ACCOUNT, group.key().as_ref(), owner.key().as_ref(), &[index]],
        bump,
    )]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    pub system_program: Program<'info, System>,
}

pub fn handle_create_margin_account(ctx: Context<CreateMarginAccount>, index: u8) -> Result<()> {
    let mut acc = ctx.accounts.margin_account.load_init()?;
    acc.group = ctx.accounts.group.key();
    acc.owner = ctx.accounts.owner.key();
    acc.index = index;
    acc.bump = ctx.bumps.margin_account;
    emit!(MarginAccountCreated {
        group: acc.group,
        owner: acc.owner,
        margin_account: ctx.accounts.margin_account.key(),
        index,
    });
    Ok(())
}
