//! The calibrated daily risk parameters (README: the risk model, calibration).
use portfolio_margin::state::RiskParamsArgs;

pub fn daily_params() -> RiskParamsArgs {
    RiskParamsArgs {
        lambda_e9: 940_000_000,
        sample_interval_seconds: 86_400,
        horizon_seconds: 86_400,
        z_e6: 2_326_348,
        spike_alpha_e6: 250_000,
        breakdown_beta_e6: 50_000,
        stress_vol_multiplier_e6: 1_250_000,
        joint_move_sigmas_e6: 2_400_000,
        initial_multiplier_e6: 1_500_000,
        conf_k_e6: 1_000_000,
        oracle_max_age_seconds: 60,
        max_conf_ratio_e6: 20_000,
        liquidator_fee_e6: 25_000,
        insurance_fee_e6: 25_000,
    }
}
