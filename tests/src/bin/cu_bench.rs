//! Prints the compute units of every instruction in the real SBF VM (solana-program-test 4.2.2).
//! Run: scripts/bench (builds the .so first) — the table goes into BENCHMARKS.md.
use portfolio_margin_tests::*;

#[tokio::main]
async fn main() {
    let mut w = World::new().await;
    let admin = w.payer();
    let group = group_address(&admin, 1);
    let mut rows: Vec<(&str, Outcome)> = vec![];
    rows.push(("create_group", w.send(&[create_group_ix(&admin, &admin, 1, admin, default_params())], &[]).await));
    rows.push(("update_risk_params", w.send(&[update_risk_params_ix(&admin, group, default_params())], &[]).await));
    let mut bad = default_params();
    bad.lambda_e9 = 1_000_000_000;
    rows.push(("update_risk_params (rejected: λ = 1)", w.send(&[update_risk_params_ix(&admin, group, bad)], &[]).await));
    rows.push(("account_layouts", w.simulate(&[account_layouts_ix()]).await));
    println!("| instruction | CU | result |");
    println!("| --- | --: | --- |");
    for (name, out) in rows {
        let status = match &out.result {
            Ok(()) => "ok".to_string(),
            Err(_) => format!("error {}", out.custom_error().map(|c| c.to_string()).unwrap_or_else(|| "?".into())),
        };
        println!("| {name} | {} | {status} |", out.compute_units);
    }
}
