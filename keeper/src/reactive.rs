//! The liquidator reacts instead of polling: websocket subscriptions to the group's oracle
//! accounts (a price moved) and to its margin accounts (a borrow, a withdrawal, a liquidation) wake
//! it at once. Polling every `poll` stays as the fallback (a missed notification, a node without
//! websockets), and a dropped connection is re-opened with exponential backoff (1 s to 30 s) and
//! its subscriptions made again. Notifications that arrive during a round are merged into one
//! next round, so a busy feed (Pyth pushes every slot) costs one scan at a time, not one per update.
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures_util::stream::{select_all, StreamExt};
use portfolio_margin::state::MarginAccount;
use portfolio_margin_client::chain::rpc::to_rpc_filter;
use portfolio_margin_client::chain::Chain;
use portfolio_margin_client::state::{filters_for, GroupState};
use portfolio_margin_client::Pubkey;
use solana_account_decoder_client_types::UiAccountEncoding;
use solana_pubsub_client::nonblocking::pubsub_client::PubsubClient;
use solana_rpc_client_types::config::{RpcAccountInfoConfig, RpcProgramAccountsConfig};
use tokio::sync::mpsc;

use crate::liquidator::{Liquidator, Round};
use crate::metrics::Metrics;

/// Why the liquidator woke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wake {
    /// An oracle account changed (a price publication).
    Oracle(Pubkey),
    /// A margin account of the group changed.
    Account(Pubkey),
    /// The poll interval passed without a notification.
    Poll,
}

/// The websocket URL of a node from its HTTP URL: ws(s) for http(s), and the next port when one is
/// given (the validator's and surfpool's convention: 8899 → 8900).
pub fn ws_url_for(rpc_url: &str) -> String {
    let (scheme, rest) = match rpc_url.split_once("://") {
        Some(("https", r)) => ("wss", r),
        Some((_, r)) => ("ws", r),
        None => ("ws", rpc_url),
    };
    let (host, path) = rest.split_once('/').map_or((rest, ""), |(h, p)| (h, p));
    let host = match host.rsplit_once(':') {
        Some((h, port)) => match port.parse::<u16>() {
            Ok(p) => format!("{h}:{}", p + 1),
            Err(_) => host.to_string(),
        },
        None => host.to_string(),
    };
    if path.is_empty() {
        format!("{scheme}://{host}")
    } else {
        format!("{scheme}://{host}/{path}")
    }
}

/// Subscribes to `oracles` and to `group`'s margin accounts and forwards every notification to
/// `tx` until the connection drops (an error) or the receiver is gone (`Ok`).
pub async fn listen(ws_url: &str, oracles: &[Pubkey], group: &Pubkey, tx: &mpsc::UnboundedSender<Wake>) -> Result<()> {
    let client = PubsubClient::new(ws_url).await.with_context(|| format!("connecting to {ws_url}"))?;
    let account_config = RpcAccountInfoConfig {
        encoding: Some(UiAccountEncoding::Base64),
        commitment: Some(solana_commitment_config::CommitmentConfig::confirmed()),
        ..Default::default()
    };
    let mut streams = vec![];
    for oracle in oracles {
        let (s, _unsubscribe) = client.account_subscribe(oracle, Some(account_config.clone())).await?;
        let oracle = *oracle;
        streams.push(s.map(move |_| Wake::Oracle(oracle)).boxed());
    }
    let filters = filters_for::<MarginAccount>(MarginAccount::SPACE, group).iter().map(to_rpc_filter).collect();
    let config = RpcProgramAccountsConfig {
        filters: Some(filters),
        account_config: account_config.clone(),
        ..Default::default()
    };
    let (s, _unsubscribe) = client.program_subscribe(&portfolio_margin::ID, Some(config)).await?;
    streams.push(s.map(|n| Wake::Account(n.value.pubkey.parse().unwrap_or_default())).boxed());
    tracing::info!(ws_url, oracles = oracles.len(), "subscribed");
    let mut all = select_all(streams);
    while let Some(wake) = all.next().await {
        if tx.send(wake).is_err() {
            return Ok(());
        }
    }
    anyhow::bail!("the websocket subscription ended")
}

/// [`listen`] forever: reconnects with backoff after every drop, until the receiver is gone.
pub async fn listen_forever(ws_url: String, oracles: Vec<Pubkey>, group: Pubkey, tx: mpsc::UnboundedSender<Wake>) {
    let mut backoff = Duration::from_secs(1);
    loop {
        let started = Instant::now();
        match listen(&ws_url, &oracles, &group, &tx).await {
            Ok(()) => return,
            Err(e) => tracing::warn!("websocket: {e:#}; reconnecting in {backoff:?}"),
        }
        if tx.is_closed() {
            return;
        }
        tokio::time::sleep(backoff).await;
        // A connection that lived a while starts the backoff over.
        backoff = if started.elapsed() > Duration::from_secs(60) {
            Duration::from_secs(1)
        } else {
            (backoff * 2).min(Duration::from_secs(30))
        };
    }
}

/// Waits for the next wake-up: a notification (and any others already queued, merged into it) or
/// the poll interval.
pub async fn next_wake(rx: &mut mpsc::UnboundedReceiver<Wake>, poll: Duration) -> Wake {
    let first = tokio::select! {
        Some(w) = rx.recv() => w,
        _ = tokio::time::sleep(poll) => Wake::Poll,
    };
    while rx.try_recv().is_ok() {}
    first
}

/// The liquidation loop: a round now, then one after every wake-up, until `rounds` is reached
/// (`None`: forever). With `ws_url`, notifications wake it; without, it polls. `on_round` sees
/// each round's result with the wake-up that caused it.
pub async fn run<C: Chain>(
    chain: &C,
    liq: &mut Liquidator,
    group: Pubkey,
    ws_url: Option<String>,
    poll: Duration,
    metrics: &Metrics,
    mut on_round: impl FnMut(Wake, &Result<Round>) -> bool,
) -> Result<()> {
    let state = GroupState::fetch(chain, &group).await?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let listener = ws_url.map(|url| listen_forever(url, state.oracles(), group, tx));
    let rounds = async {
        let mut wake = Wake::Poll;
        loop {
            let result = match GroupState::fetch(chain, &group).await {
                Ok(state) => liq.round(chain, &state, metrics).await,
                Err(e) => Err(e),
            };
            if !on_round(wake, &result) {
                return Ok(());
            }
            wake = next_wake(&mut rx, poll).await;
        }
    };
    match listener {
        Some(listener) => {
            tokio::pin!(listener);
            tokio::select! {
                r = rounds => r,
                _ = &mut listener => anyhow::bail!("the websocket listener stopped"),
            }
        }
        None => rounds.await,
    }
}
