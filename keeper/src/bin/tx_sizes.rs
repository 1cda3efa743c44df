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
}
