use anchor_lang::prelude::*;

use crate::error::ErrorCode;
use crate::events::PerpMarketCreated;
use crate::state::{seeds, Asset, Group, PerpMarket, PerpParamsArgs, PerpVault, StoredPerpParams, MAX_PERP_MARKETS};

/// Admin: lists the perp market of a registered asset (one per asset), on the asset's covariance
/// index and oracle, against the group's perp vault.
#[derive(Accounts)]
pub struct CreatePerpMarket<'info> {
    #[account(mut)]
    pub admin: Signer<'info>,
    #[account(has_one = admin)]
    pub group: AccountLoader<'info, Group>,
    #[account(mut, has_one = group, seeds = [seeds::PERP_VAULT, group.key().as_ref()], bump = perp_vault.load()?.bump)]
    pub perp_vault: AccountLoader<'info, PerpVault>,
    #[account(has_one = group)]
    pub asset: AccountLoader<'info, Asset>,
    #[account(
        init,
        payer = admin,
        space = PerpMarket::SPACE,
        seeds = [seeds::PERP_MARKET, group.key().as_ref(), &asset.load()?.index.to_le_bytes()],
        bump,
    )]
    pub perp_market: AccountLoader<'info, PerpMarket>,
    pub system_program: Program<'info, System>,
}

pub fn handle_create_perp_market(ctx: Context<CreatePerpMarket>, args: PerpParamsArgs) -> Result<()> {
    let params = StoredPerpParams::from_args(&args)?;
    let a = &ctx.accounts;
    let mut vault = a.perp_vault.load_mut()?;
    if vault.market_count as usize >= MAX_PERP_MARKETS {
        return err!(ErrorCode::TooManyPerpMarkets);
    }
    let asset = a.asset.load()?;
    let mut m = a.perp_market.load_init()?;
    m.group = a.group.key();
    m.asset = a.asset.key();
    m.oracle = asset.oracle;
    m.feed_id = asset.feed_id;
    m.params = params;
    m.spot_floor_rate = asset.floor_rate;
    m.last_funding = Clock::get()?.unix_timestamp;
    m.asset_index = asset.index;
    m.market_index = vault.market_count;
    m.decimals = asset.decimals;
    m.bump = ctx.bumps.perp_market;
    vault.market_count += 1;
    emit!(PerpMarketCreated {
        group: m.group,
        perp_market: a.perp_market.key(),
        asset: m.asset,
        market_index: m.market_index,
        params: args,
    });
    Ok(())
}
