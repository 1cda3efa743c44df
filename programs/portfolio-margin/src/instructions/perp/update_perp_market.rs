use anchor_lang::prelude::*;

use crate::events::PerpMarketUpdated;
use crate::oracle::require_price;
use crate::state::{Group, PerpMarket, PerpParamsArgs, StoredPerpParams};

/// The group's risk authority replaces a perp market's parameters; funding is accrued to now at
/// the old parameters first (from the market's oracle), so a new rate never reaches back in time.
#[derive(Accounts)]
pub struct UpdatePerpMarket<'info> {
    pub risk_authority: Signer<'info>,
    #[account(has_one = risk_authority)]
    pub group: AccountLoader<'info, Group>,
    #[account(mut, has_one = group, has_one = oracle)]
    pub perp_market: AccountLoader<'info, PerpMarket>,
    /// CHECK: the market's registered oracle (`has_one`), decoded and checked by `read_price`.
    pub oracle: UncheckedAccount<'info>,
}

pub fn handle_update_perp_market(ctx: Context<UpdatePerpMarket>, args: PerpParamsArgs) -> Result<()> {
    let params = StoredPerpParams::from_args(&args)?;
    let now = Clock::get()?.unix_timestamp;
    let group = ctx.accounts.group.load()?;
    let mut m = ctx.accounts.perp_market.load_mut()?;
    let price = require_price(ctx.accounts.oracle.as_ref(), &m.oracle, &m.feed_id, now, &group.params)?;
    let f = m.funding_at(price.price, now)?;
    m.set_funding(&f);
    m.params = params;
    emit!(PerpMarketUpdated { group: m.group, perp_market: ctx.accounts.perp_market.key(), params: args });
    Ok(())
}
