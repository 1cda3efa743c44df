//! Where the compute units of the health check go, per stage and per position: withdraw at 1, 4, 8,
//! 12 and 16 positions in the real SBF VM, with the program built with `cu-probes`
//! (`probe!` marks: `sol_log_compute_units` after each stage; the cost of a mark is measured and
//! taken out). Run: `bash scripts/bench --profile` (it builds target/deploy/cu-probes/).
use std::collections::BTreeMap;

use portfolio_margin_tests::*;

const VOLATILE: AssetSpec = AssetSpec { decimals: 9, price: 10.0, daily_vol: 0.04, token_2022: false };
const STABLE: AssetSpec = AssetSpec { decimals: 6, price: 1.0, daily_vol: 0.001, token_2022: false };
const BUDGET: u64 = 1_400_000;
/// Mango v4's asserted cost of one more token position in its health check
/// (`programs/mango-v4/tests/cases/test_health_compute.rs`).
const MANGO_PER_POSITION: f64 = 3_350.0;
/// Stages in the order of the health check: "entry" (before the handler), then one per probe mark
/// (the engine's included) named by the mark that ends it ("start" ends "books"), then "exit".
fn stage_name(mark: &str) -> String {
    if mark == "start" {
        "books".into()
    } else {
        mark.into()
    }
}

/// Compute units per stage of one withdraw (marks' own cost removed), from its logs.
fn stages(out: &Outcome) -> (BTreeMap<String, i64>, Vec<String>, i64) {
    let mut marks: Vec<(String, i64)> = vec![];
    let mut last: Option<String> = None;
    for l in &out.logs {
        if let Some(stage) = l.strip_prefix("Program log: probe: ") {
            last = Some(stage.to_string());
        } else if let (Some(stage), Some(rest)) = (last.take(), l.strip_prefix("Program consumption: ")) {
            let left: i64 = rest.split(' ').next().and_then(|n| n.parse().ok()).expect("units remaining");
            marks.push((stage, left));
        }
    }
    let find = |name: &str| marks.iter().position(|(s, _)| s == name).unwrap_or_else(|| panic!("no mark {name}"));
    let (h, c) = (find("handler"), find("calibrate"));
    let mark = marks[h].1 - marks[c].1;
    let mut order = vec!["entry".to_string()];
    let mut out_stages: BTreeMap<String, i64> = BTreeMap::new();
    out_stages.insert("entry".into(), BUDGET as i64 - marks[h].1 - mark);
    for w in marks[c..].windows(2) {
        let stage = stage_name(&w[1].0);
        if !order.contains(&stage) {
            order.push(stage.clone());
        }
        // A position's asset stage runs from the previous position's valuation (or "start").
        *out_stages.entry(stage).or_default() += w[0].1 - w[1].1 - mark;
    }
    let consumed = out.compute_units as i64;
    let at_transfer = BUDGET as i64 - marks.last().unwrap().1;
    out_stages.insert("exit".into(), consumed - at_transfer);
    order.push("exit".into());
    (out_stages, order, mark * marks.len() as i64)
}

#[tokio::main]
async fn main() {
    let mut w = World::new().await;
    let mut specs: Vec<AssetSpec> = (0..16).map(|i| AssetSpec { price: 10.0 + i as f64, ..VOLATILE }).collect();
    specs.push(STABLE);
    let mut m = Market::new(&mut w, &specs[..1], 0.3).await;
    for (i, spec) in specs.iter().enumerate().skip(1) {
        m.add_asset(&mut w, *spec, i, 0.3, &specs).await.ok();
    }
    let trader = m.trader(&mut w, &[10_000_000_000_000; 16]).await;
    let mut rows: Vec<(usize, BTreeMap<String, i64>, u64)> = vec![];
    let mut order: Vec<String> = vec![];
    let mut mark_cost = vec![];
    for k in 1..=16usize {
        w.send(&[m.deposit_ix(&trader, k - 1, 5_000_000_000_000)], &[&trader.key]).await.ok();
        if [1, 4, 8, 12, 16].contains(&k) {
            let held: Vec<usize> = (0..k).collect();
            let out = w
                .send(&[compute_limit_ix(BUDGET as u32), m.withdraw_ix(&trader, 0, 1_000_000, &held)], &[&trader.key])
                .await
                .ok();
            let (st, stage_order, marks) = stages(&out);
            order = stage_order;
            // The transaction without the marks' own units (what the deployed binary spends).
            rows.push((k, st, out.compute_units - marks as u64));
            mark_cost.push(marks);
        }
    }
    println!(
        "| stage (CU) | {} | per position |",
        rows.iter().map(|r| format!("{} pos.", r.0)).collect::<Vec<_>>().join(" | ")
    );
    println!("| --- |{}--: |", " --: |".repeat(rows.len()));
    let (first, last) = (&rows[0], &rows[rows.len() - 1]);
    let span = (last.0 - first.0) as f64;
    let at = |r: &BTreeMap<String, i64>, s: &String| r.get(s).copied().unwrap_or(0);
    for s in &order {
        let cells: Vec<String> = rows.iter().map(|r| at(&r.1, s).to_string()).collect();
        println!("| {s} | {} | {:.0} |", cells.join(" | "), (at(&last.1, s) - at(&first.1, s)) as f64 / span);
    }
    let totals: Vec<String> = rows.iter().map(|r| r.2.to_string()).collect();
    let slope = (last.2 as f64 - first.2 as f64) / span;
    println!("| **withdraw (transaction, marks taken out)** | {} | **{slope:.0}** |", totals.join(" | "));
    println!();
    println!("marks' own units per withdraw (taken out above): {mark_cost:?}");
    for pair in rows.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        println!(
            "slope {} → {} positions: {:.0} CU per position",
            a.0,
            b.0,
            (b.2 as f64 - a.2 as f64) / (b.0 - a.0) as f64
        );
    }
    println!(
        "per-position slope 1 → 16: {slope:.0} CU (Mango v4 asserts ≤ {MANGO_PER_POSITION:.0} per token position, \
         programs/mango-v4/tests/cases/test_health_compute.rs; issue 15's goal ≤ 1,500)"
    );
}
