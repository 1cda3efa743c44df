use anchor_lang::prelude::*;

use crate::events::RiskParamsUpdated;
use crate::state::{Group, RiskParams, RiskParamsArgs};

#[derive(Accounts)]
pub struct UpdateRiskParams<'info> {
    pub admin: Signer<'info>,
    #[account(mut, has_one = admin)]
    pub group: AccountLoader<'info, Group>,
}

pub fn handler(ctx: Context<UpdateRiskParams>, args: RiskParamsArgs) -> Result<()> {
    let params = RiskParams::from_args(&args)?;
    ctx.accounts.group.load_mut()?.params = params;
    emit!(RiskParamsUpdated { group: ctx.accounts.group.key(), admin: ctx.accounts.admin.key(), params: args });
    Ok(())
}
