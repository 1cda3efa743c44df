use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};
use risk_engine::fixed_point::{ceil_to_int, floor_to_int, pow10};
use risk_engine::{Fx, FxExt};

use crate::error::{math, ErrorCode};
use crate::events::PerpSettled;
use crate::interest::accrue;
use crate::oracle::{require_price, OraclePrice};
use crate::state::{Asset, Group, MarginAccount, PerpMarket, PerpVault};
use crate::token::{transfer_signed_by_asset, transfer_signed_by_perp_vault};

/// Anyone settles an account's PnL in one perp market into its quote-asset lending position.
#[derive(Accounts)]
pub struct SettlePerpPnl<'info> {
    pub group: AccountLoader<'info, Group>,
    #[account(mut, has_one = group)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(
        has_one = group @ ErrorCode::WrongPerpVault,
        has_one = tokens @ ErrorCode::WrongPerpVault,
        has_one = quote_asset @ ErrorCode::WrongPerpVault,
        has_one = mint @ ErrorCode::WrongPerpVault,
        has_one = token_program @ ErrorCode::WrongPerpVault,
    )]
    pub perp_vault: AccountLoader<'info, PerpVault>,
    #[account(mut)]
    pub tokens: InterfaceAccount<'info, TokenAccount>,
    #[account(mut, has_one = group @ ErrorCode::WrongPerpMarket, has_one = oracle)]
    pub perp_market: AccountLoader<'info, PerpMarket>,
    /// CHECK: the market's registered oracle (`has_one`), decoded and checked by `require_price`.
    pub oracle: UncheckedAccount<'info>,
    /// The quote asset's lending pool, where the PnL lands.
    #[account(mut, has_one = vault)]
    pub quote_asset: AccountLoader<'info, Asset>,
    #[account(mut)]
    pub vault: InterfaceAccount<'info, TokenAccount>,
    pub mint: InterfaceAccount<'info, Mint>,
    pub token_program: Interface<'info, TokenInterface>,
}

/// Settles the position's PnL at the oracle price (funding included): a profit is paid from the
/// vault up to the settle limit and the vault's tokens (the rest stays unrealized) and credited to
/// the account's quote position (repaying a debt first); a loss, rounded up to a whole native unit,
/// comes out of the quote deposit and is borrowed beyond it. Tokens move between the lending vault
/// and the perp vault; the position's entry is reset by the amount settled.
pub fn handle_settle_perp_pnl(ctx: Context<SettlePerpPnl>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let a = &ctx.accounts;
    let group = a.group.load()?;
    let quote_key = a.quote_asset.key();
    let (settled, paid, position_key) = {
        let mut m = a.perp_market.load_mut()?;
        let price = require_price(a.oracle.as_ref(), &m.oracle, &m.feed_id, now, &group.params)?;
        let mut acc = a.margin_account.load_mut()?;
        let mut qa = a.quote_asset.load_mut()?;
        accrue(&mut qa, quote_key, now)?;
        let (settled, paid) =
            book_settlement(&mut m, &mut acc, &mut qa, &price, now, a.mint.decimals, a.tokens.amount, a.vault.amount)?;
        (settled, paid, m.market_index)
    };
    let group_key = a.group.key();
    if paid > 0 {
        let bump = a.perp_vault.load()?.bump;
        transfer_signed_by_perp_vault(
            &a.token_program,
            a.tokens.to_account_info(),
            &a.mint,
            a.vault.to_account_info(),
            a.perp_vault.to_account_info(),
            &group_key,
            bump,
            paid as u64,
        )?;
    } else if paid < 0 {
        let bump = a.quote_asset.load()?.bump;
        transfer_signed_by_asset(
            &a.token_program,
            a.vault.to_account_info(),
            &a.mint,
            a.tokens.to_account_info(),
            a.quote_asset.to_account_info(),
            &group_key,
            bump,
            (-paid) as u64,
        )?;
    }
    emit!(PerpSettled {
        margin_account: a.margin_account.key(),
        perp_market: a.perp_market.key(),
        market_index: position_key,
        settled_bits: settled.to_bits(),
        tokens: paid as i64,
    });
    Ok(())
}

/// The state change of `settle_perp_pnl` on the market, the account and the quote asset (accrued to
/// `now` by the caller), given the market's fresh oracle price and the token amounts of the perp
/// vault and the quote's lending vault (the program's; a liquidator replays it on copies before it
/// plans a step on the settled book). Returns the PnL booked (USD) and the native quote tokens paid
/// to the account (> 0) or owed by it (< 0). On `Err` the accounts may be partly changed (the
/// transaction reverts).
#[allow(clippy::too_many_arguments)]
pub fn book_settlement(
    m: &mut PerpMarket,
    acc: &mut MarginAccount,
    qa: &mut Asset,
    price: &OraclePrice,
    now: i64,
    quote_decimals: u8,
    perp_vault_tokens: u64,
    lending_vault_tokens: u64,
) -> Result<(Fx, i128)> {
    let f = m.funding_at(price.price, now)?;
    m.set_funding(&f);
    let slot = acc.find_perp(m.market_index).ok_or(error!(ErrorCode::NoPerpPosition))?;
    let old = acc.perps[slot].position();
    let mut new = old;
    new.settle_funding(m.decimals, &f).map_err(math)?;
    let pnl = new.pnl(m.decimals, price.price, &f).map_err(math)?;
    let scale = Fx::from_num(pow10(quote_decimals as u32).map_err(math)?);
    let (settled, paid) = if pnl >= Fx::ZERO {
        // Paid: at most the limit and the vault's tokens, in whole native units (rounded down).
        let due = pnl.min(m.params.settle_limit.get());
        let native = floor_to_int(due.mul_floor(scale).map_err(math)?).min(perp_vault_tokens as i128).max(0);
        let booked = Fx::from_num(native).div_floor(scale).map_err(math)?;
        if native > 0 {
            acc.credit_settlement(qa, native as u64)?;
        }
        (booked, native)
    } else {
        // Owed: rounded up to a whole native unit, so the vault is never short.
        let native = ceil_to_int(pnl.neg_checked().map_err(math)?.mul_ceil(scale).map_err(math)?);
        let booked = Fx::from_num(native).div_ceil(scale).map_err(math)?.neg_checked().map_err(math)?;
        acc.debit_settlement(qa, u64::try_from(native).map_err(math)?, lending_vault_tokens)?;
        (booked, -native)
    };
    new.quote = new.quote.add_checked(settled).map_err(math)?;
    m.replace_position(&old, &new)?;
    acc.perps[slot].set(&new);
    acc.close_empty_perps();
    Ok((settled, paid))
}
