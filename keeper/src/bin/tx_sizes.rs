//! `tx-sizes`: the wire size and account count of the largest transaction of each instruction that
//! takes health accounts, at 1, 8 and 16 positions, as a legacy transaction and as a v0 transaction
//! through the group's lookup table — with the compute-budget instructions the client adds. No
//! chain needed: sizes depend only on the accounts and data, so synthetic keys give exact figures.
//! The limits: 1,232 bytes and 64 accounts.
use portfolio_margin_client::chain::transaction::{build, Shape, Version, MAX_ACCOUNT_LOCKS, PACKET_DATA_SIZE};
use portfolio_margin_client::instructions::{self as pix, AddRiskKeys, AssetKeys, LiquidateKeys};
use portfolio_margin_client::lookup_table::{group_addresses, AddressLookupTableAccount};
use portfolio_margin_client::{Keypair, Pubkey, Signer};

fn main() {
    let (group, risk_model) = (Pubkey::new_unique(), Pubkey::new_unique());
    let assets: Vec<AssetKeys> = (0..17).map(AssetKeys::synthetic).collect();
    let table = AddressLookupTableAccount {
        key: Pubkey::new_unique(),
        addresses: group_addresses(&group, &risk_model, &assets),
    };
    let (owner, liquidator) = (Keypair::new(), Keypair::new());
    let budget = [pix::compute_unit_limit(200_000), pix::compute_unit_price(1_000)];
    println!("limits: {PACKET_DATA_SIZE} bytes, {MAX_ACCOUNT_LOCKS} accounts; compute-budget instructions included");
    println!("| instruction | positions | legacy bytes | legacy accounts | v0 bytes | v0 accounts |");
    println!("| --- | --: | --: | --: | --: | --: |");
    for kind in ["withdraw", "borrow", "liquidate"] {
        for n in [1usize, 8, 16] {
            let health = &assets[..n];
            let (a, b) = (&assets[0], &assets[n.min(16) - 1]);
            let ix = match kind {
                "liquidate" => pix::liquidate(
                    LiquidateKeys {
                        liquidator: liquidator.pubkey(),
                        group,
                        risk_model,
                        account: Pubkey::new_unique(),
                        liquidator_account: Pubkey::new_unique(),
                        liability: b,
                        liquidator_liability_tokens: Pubkey::new_unique(),
                        collateral: a,
                        health,
                    },
                    u64::MAX,
                ),
                _ => {
                    let k = AddRiskKeys {
                        owner: owner.pubkey(),
                        group,
                        risk_model,
                        account: Pubkey::new_unique(),
                        asset: a,
                        destination: Pubkey::new_unique(),
                        health,
                    };
                    if kind == "withdraw" {
                        pix::withdraw(k, u64::MAX)
                    } else {
                        pix::borrow(k, u64::MAX)
                    }
                }
            };
            let signer = if kind == "liquidate" { &liquidator } else { &owner };
            let ixs: Vec<_> = budget.iter().cloned().chain([ix]).collect();
            let shape = |v, tables: &[AddressLookupTableAccount]| {
                Shape::of(&build(&[signer], &ixs, tables, Default::default(), v).expect("builds"))
            };
            let (l, v) = (shape(Version::Legacy, &[]), shape(Version::V0, std::slice::from_ref(&table)));
            let mark = |s: Shape| if s.fits() { String::new() } else { " (too large)".into() };
            println!(
                "| {kind} | {n} | {}{} | {} | {}{} | {} |",
                l.bytes,
                mark(l),
                l.accounts,
                v.bytes,
                mark(v),
                v.accounts
            );
        }
    }
    perps(&group, &risk_model, &assets, &table, &owner, &liquidator, &budget);
}

/// The perp instructions at (spot, perp) positions (1, 1), (5, 3) and (9, 16) — 25 is the most an
/// account may hold. The group's lookup table holds the assets and their oracles (a perp market's
/// oracle is its asset's); the perp markets, the perp vault and its token account are not in it.
#[allow(clippy::too_many_arguments)]
fn perps(
    group: &Pubkey,
    risk_model: &Pubkey,
    assets: &[AssetKeys],
    table: &AddressLookupTableAccount,
    owner: &Keypair,
    liquidator: &Keypair,
    budget: &[anchor_lang::solana_program::instruction::Instruction],
) {
    use portfolio_margin_client::perp::{self as pp, PerpMarketKeys, PerpVaultKeys, TradeKeys};
    let vault = PerpVaultKeys::new(*group, assets[16]);
    let markets: Vec<PerpMarketKeys> = (0..16)
        .map(|i| PerpMarketKeys { market_index: i as u16, perp_market: Pubkey::new_unique(), oracle: assets[i].oracle })
        .collect();
    for kind in ["trade_perp", "liquidate_perp", "liquidate_hedge", "settle_perp_pnl + liquidate_hedge"] {
        for (ns, np) in [(1usize, 1usize), (5, 3), (9, 16)] {
            let (spot, perps) = (&assets[..ns], &markets[..np]);
            let account = Pubkey::new_unique();
            let (ix, signer) = match kind {
                "trade_perp" => {
                    let k = TradeKeys {
                        owner: owner.pubkey(),
                        risk_model: *risk_model,
                        account,
                        vault: &vault,
                        spot,
                        perps,
                    };
                    (pp::trade_perp(k, &markets[0], i64::MAX, u64::MAX), owner)
                }
                "liquidate_perp" => {
                    let k = TradeKeys {
                        owner: liquidator.pubkey(),
                        risk_model: *risk_model,
                        account,
                        vault: &vault,
                        spot,
                        perps,
                    };
                    (pp::liquidate_perp(k, &markets[0], Pubkey::new_unique(), u64::MAX), liquidator)
                }
                _ => {
                    let k = LiquidateKeys {
                        liquidator: liquidator.pubkey(),
                        group: *group,
                        risk_model: *risk_model,
                        account,
                        liquidator_account: Pubkey::new_unique(),
                        liability: &assets[16],
                        liquidator_liability_tokens: Pubkey::new_unique(),
                        collateral: &assets[0],
                        health: spot,
                    };
                    (pp::liquidate_hedge(k, &markets[0], perps, &vault, u64::MAX), liquidator)
                }
            };
            // The keeper settles a losing perp first when that is the book's only debt.
            let settle = (kind.starts_with("settle")).then(|| pp::settle_perp_pnl(&vault, account, &markets[0]));
            let ixs: Vec<_> = budget.iter().cloned().chain(settle).chain([ix]).collect();
            let shape = |v, tables: &[AddressLookupTableAccount]| {
                Shape::of(&build(&[signer], &ixs, tables, Default::default(), v).expect("builds"))
            };
            let (l, v) = (shape(Version::Legacy, &[]), shape(Version::V0, std::slice::from_ref(table)));
            let mark = |s: Shape| if s.fits() { String::new() } else { " (too large)".into() };
            println!(
                "| {kind} | {ns} spot + {np} perp | {}{} | {} | {}{} | {} |",
                l.bytes,
                mark(l),
                l.accounts,
                v.bytes,
                mark(v),
                v.accounts
            );
        }
    }
}
