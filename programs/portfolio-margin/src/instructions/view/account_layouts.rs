use anchor_lang::prelude::*;
use anchor_lang::solana_program::program::set_return_data;

/// No accounts: a read-only view.
#[derive(Accounts)]
pub struct AccountLayouts {}

/// Return data = [`crate::layout::LAYOUT`] values (u32 LE) as this build of the program sees them.
pub fn handle_account_layouts(_ctx: Context<AccountLayouts>) -> Result<()> {
    set_return_data(&crate::layout::encode());
    Ok(())
}
