use anchor_lang::prelude::*;

use crate::events::GroupCreated;
use crate::state::{seeds, Group, RiskParams, RiskParamsArgs};

#[derive(Accounts)]
#[instruction(group_id: u32)]
pub struct CreateGroup<'info> {
    /// Becomes the group's admin and pays for the account.
    #[account(mut)]
    pub admin: Signer<'info>,
    #[account(
        init,
        payer = admin,
        space = Group::SPACE,
        seeds = [seeds::GROUP, admin.key().as_ref(), &group_id.to_le_bytes()],
        bump,
    )]
    pub group: AccountLoader<'info, Group>,
    pub system_program: Program<'info, System>,
}

pub fn handle_create_group(
    ctx: Context<CreateGroup>,
    group_id: u32,
    risk_authority: Pubkey,
    args: RiskParamsArgs,
) -> Result<()> {
    let params = RiskParams::from_args(&args)?;
    let mut group = ctx.accounts.group.load_init()?;
    group.admin = ctx.accounts.admin.key();
    group.risk_authority = risk_authority;
    group.params = params;
    group.group_id = group_id;
    group.bump = ctx.bumps.group;
    group.created_at = Clock::get()?.unix_timestamp;
    emit!(GroupCreated { group: ctx.accounts.group.key(), admin: group.admin, risk_authority, group_id, params: args });
    Ok(())
}
