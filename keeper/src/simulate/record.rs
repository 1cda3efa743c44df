//! What the simulation records each day, and the stress windows it reports on.

/// One simulated day, after the crank, the liquidator and the traders have acted.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct DayRecord {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Close of each simulated asset, USD.
    pub prices: Vec<f64>,
    /// Correlation matrix of the ON-CHAIN risk model after today's sample (row-major, n×n).
    pub correlation: Vec<Vec<f64>>,
    /// Σ maintenance margin of accounts holding debt, USD (the model, as the program computes it).
    pub model_margin_usd: f64,
    /// Σ maintenance margin the same books would carry under static per-asset weights, USD.
    pub static_margin_usd: f64,
    /// Σ over accounts of the equity lost from yesterday to today (losses only), USD.
    pub realised_loss_usd: f64,
    /// Account-days whose loss since yesterday exceeded yesterday's model / static margin.
    pub model_breaches: u32,
    pub static_breaches: u32,
    /// The same per strategy: `strategy → (model breaches, static breaches, books judged)`.
    pub strategy_breaches: std::collections::BTreeMap<String, (u32, u32, u32)>,
    /// Liquidations confirmed today and what they repaid, USD.
    pub liquidations: u32,
    pub repaid_usd: f64,
    /// Debt left by bankrupt accounts today (covered by insurance or socialised), USD.
    pub bad_debt_usd: f64,
    /// Accounts below maintenance after today's liquidations.
    pub liquidatable_after: u32,
    /// The perp vault's quote tokens tonight, USD (0 without perps).
    pub perp_vault_usd: f64,
    /// Open interest of every perp market, long + short, USD.
    pub perp_open_interest_usd: f64,
    /// The vault's value tonight: its tokens less traders' unrealized PnL (funding included) at the
    /// oracle price, USD (the LPs' equity; 0 without perps).
    pub perp_vault_value_usd: f64,
}

/// A named stress window, inclusive dates.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Window {
    pub name: &'static str,
    pub start: &'static str,
    pub end: &'static str,
}

pub const STRESS_WINDOWS: [Window; 4] = [
    Window { name: "COVID crash (Mar 2020)", start: "2020-03-08", end: "2020-03-20" },
    Window { name: "LUNA/UST collapse (May 2022)", start: "2022-05-05", end: "2022-05-20" },
    Window { name: "FTX collapse (Nov 2022)", start: "2022-11-06", end: "2022-11-14" },
    Window { name: "USDC de-peg (Mar 2023)", start: "2023-03-09", end: "2023-03-14" },
];

impl Window {
    pub fn contains(&self, date: &str) -> bool {
        date >= self.start && date <= self.end
    }
}
