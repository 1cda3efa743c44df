//! Every address the protocol derives, in one place.
use anchor_lang::prelude::{pubkey, Pubkey};
use portfolio_margin::state::seeds;

/// Pyth's push-oracle program: its price-feed accounts (PriceUpdateV2, owned by the receiver
/// program) sit at PDAs of (shard, feed id).
pub const PYTH_PUSH_ORACLE: Pubkey = pubkey!("pythWSnswVUd12oZpeFP8e9CVaEqJg25g1Vtc2biRsT");
pub const COMPUTE_BUDGET: Pubkey = pubkey!("ComputeBudget111111111111111111111111111111");

/// A PDA of the program.
pub fn pda(seeds: &[&[u8]]) -> Pubkey {
    Pubkey::find_program_address(seeds, &portfolio_margin::ID).0
}

/// Group number `group_id` of `admin`.
pub fn group(admin: &Pubkey, group_id: u32) -> Pubkey {
    pda(&[seeds::GROUP, admin.as_ref(), &group_id.to_le_bytes()])
}

/// The asset account of `mint` in `group`.
pub fn asset(group: &Pubkey, mint: &Pubkey) -> Pubkey {
    pda(&[seeds::ASSET, group.as_ref(), mint.as_ref()])
}

pub fn vault(asset: &Pubkey) -> Pubkey {
    pda(&[seeds::VAULT, asset.as_ref()])
}

pub fn insurance_vault(asset: &Pubkey) -> Pubkey {
    pda(&[seeds::INSURANCE, asset.as_ref()])
}

/// Margin account number `index` of `owner` in `group`.
pub fn margin_account(group: &Pubkey, owner: &Pubkey, index: u8) -> Pubkey {
    pda(&[seeds::MARGIN_ACCOUNT, group.as_ref(), owner.as_ref(), &[index]])
}

/// The Pyth push-oracle account of `feed_id` on `shard` (shard 0 is the one Pyth keeps updated).
pub fn pyth_price_feed(shard: u16, feed_id: &[u8; 32]) -> Pubkey {
    Pubkey::find_program_address(&[&shard.to_le_bytes(), feed_id], &PYTH_PUSH_ORACLE).0
}

/// A token account of `owner` for `mint` at an address derived from both (`create_with_seed`), so
/// a keeper finds its own accounts again without the associated-token program.
pub fn seeded_token_account(owner: &Pubkey, mint: &Pubkey, token_program: &Pubkey) -> (Pubkey, String) {
    let seed = token_account_seed(mint);
    (Pubkey::create_with_seed(owner, &seed, token_program).expect("seed <= 32 bytes"), seed)
}

fn token_account_seed(mint: &Pubkey) -> String {
    let b58 = mint.to_string();
    format!("pm-{}", &b58[..24])
}

/// The perp market of asset `asset_index` in `group`.
pub fn perp_market(group: &Pubkey, asset_index: u16) -> Pubkey {
    pda(&[seeds::PERP_MARKET, group.as_ref(), &asset_index.to_le_bytes()])
}

/// The group's perp liquidity vault.
pub fn perp_vault(group: &Pubkey) -> Pubkey {
    pda(&[seeds::PERP_VAULT, group.as_ref()])
}

/// The perp vault's quote-token account.
pub fn perp_vault_tokens(group: &Pubkey) -> Pubkey {
    pda(&[seeds::PERP_VAULT_TOKENS, group.as_ref()])
}

/// The mint of the perp vault's LP shares.
pub fn perp_lp_mint(group: &Pubkey) -> Pubkey {
    pda(&[seeds::PERP_LP_MINT, group.as_ref()])
}
