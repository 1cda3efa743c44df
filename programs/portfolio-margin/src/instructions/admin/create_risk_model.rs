use anchor_lang::prelude::*;

use crate::error::ErrorCode;
use crate::events::RiskModelCreated;
use crate::state::{Group, RiskModel};

#[derive(Accounts)]
pub struct CreateRiskModel<'info> {
    pub admin: Signer<'info>,
    #[account(mut, has_one = admin)]
    pub group: AccountLoader<'info, Group>,
    /// Allocated by the client at `RiskModel::SPACE` bytes, owned by this program, all zero
    /// (larger than a program may create by CPI).
    #[account(zero)]
    pub risk_model: AccountLoader<'info, RiskModel>,
}

pub fn handle_create_risk_model(ctx: Context<CreateRiskModel>) -> Result<()> {
    let mut group = ctx.accounts.group.load_mut()?;
    if group.risk_model != Pubkey::default() {
        return err!(ErrorCode::RiskModelAlreadySet);
    }
    let mut model = ctx.accounts.risk_model.load_init()?;
    model.group = ctx.accounts.group.key();
    group.risk_model = ctx.accounts.risk_model.key();
    emit!(RiskModelCreated { group: ctx.accounts.group.key(), risk_model: ctx.accounts.risk_model.key() });
    Ok(())
}
