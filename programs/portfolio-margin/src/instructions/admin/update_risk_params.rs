use anchor_lang::prelude::*;

use crate::error::ErrorCode;
use crate::events::RiskParamsUpdated;
use crate::state::{Group, RiskParams, RiskParamsArgs};

/// The group's risk authority (named by the admin at creation; the admin itself unless configured)
/// replaces the risk parameters: the admin registers assets, the risk authority sets the margin.
#[derive(Accounts)]
pub struct UpdateRiskParams<'info> {
    pub risk_authority: Signer<'info>,
    #[account(mut, has_one = risk_authority)]
    pub group: AccountLoader<'info, Group>,
}

/// Validated like `create_group`; the sample interval cannot change once an asset is registered,
/// since the stored covariance and volatilities are per sample interval.
pub fn handle_update_risk_params(ctx: Context<UpdateRiskParams>, args: RiskParamsArgs) -> Result<()> {
    let params = RiskParams::from_args(&args)?;
    let mut group = ctx.accounts.group.load_mut()?;
    if group.asset_count > 0 && params.sample_interval_seconds != group.params.sample_interval_seconds {
        msg!(
            "sample interval {} s is fixed once assets are registered (asked {} s)",
            group.params.sample_interval_seconds,
            params.sample_interval_seconds
        );
        return err!(ErrorCode::SampleIntervalLocked);
    }
    group.params = params;
    emit!(RiskParamsUpdated {
        group: ctx.accounts.group.key(),
        risk_authority: ctx.accounts.risk_authority.key(),
        params: args
    });
    Ok(())
}
