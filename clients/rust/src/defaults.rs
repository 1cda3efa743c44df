//! The calibrated daily risk parameters (README: the risk model, calibration).
use portfolio_margin::state::RiskParamsArgs;

pub fn daily_params() -> RiskParamsArgs {
    RiskParamsArgs::daily_defaults()
}
