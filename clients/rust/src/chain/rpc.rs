//! The JSON-RPC backend (solana-rpc-client 4.2.2, nonblocking): devnet, mainnet or a local network.
use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use solana_account::Account;
use solana_account_decoder_client_types::UiAccountEncoding;
use solana_commitment_config::{CommitmentConfig, CommitmentLevel};
use solana_hash::Hash;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::client_error::{Error as ClientError, ErrorKind};
use solana_rpc_client_api::request::{RpcError, RpcResponseErrorData};
use solana_rpc_client_types::config::{
    RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcSendTransactionConfig, RpcSimulateTransactionConfig,
    RpcTransactionConfig,
};
use solana_rpc_client_types::filter::{Memcmp, RpcFilterType};
use solana_signature::Signature;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction_error::TransactionError;
use solana_transaction_status_client_types::option_serializer::OptionSerializer;
use solana_transaction_status_client_types::UiTransactionEncoding;

use super::{Chain, ChainError, ChainResult, Filter, TxOutcome};

pub struct Rpc {
    client: RpcClient,
    url: String,
    /// How long `send` waits for confirmation before reporting a transient error.
    pub confirm_timeout: Duration,
}

impl Rpc {
    /// A client at `url` reading and confirming at the `confirmed` commitment.
    pub fn new(url: &str) -> Self {
        Rpc {
            client: RpcClient::new_with_commitment(url.to_string(), CommitmentConfig::confirmed()),
            url: url.to_string(),
            confirm_timeout: Duration::from_secs(60),
        }
    }

    /// Logs and compute units of a confirmed transaction (empty when the node does not keep them).
    async fn details(&self, signature: &Signature) -> (Vec<String>, Option<u64>) {
        let config = RpcTransactionConfig {
            encoding: Some(UiTransactionEncoding::Json),
            commitment: Some(CommitmentConfig::confirmed()),
            max_supported_transaction_version: Some(0),
        };
        match self.client.get_transaction_with_config(signature, config).await {
            Ok(tx) => match tx.transaction.meta {
                Some(meta) => {
                    let logs = match meta.log_messages {
                        OptionSerializer::Some(l) => l,
                        _ => vec![],
                    };
                    let cu = match meta.compute_units_consumed {
                        OptionSerializer::Some(c) => Some(c),
                        _ => None,
                    };
                    (logs, cu)
                }
                None => (vec![], None),
            },
            Err(_) => (vec![], None),
        }
    }
}

impl Rpc {
    /// Writes an account through surfpool's `surfnet_setAccount` cheatcode (local networks only:
    /// how the local network plays the Pyth receiver).
    pub async fn set_account_cheatcode(&self, address: &Pubkey, account: &Account) -> ChainResult<()> {
        let hex: String = account.data.iter().map(|b| format!("{b:02x}")).collect();
        let params = serde_json::json!([
            address.to_string(),
            {
                "lamports": account.lamports,
                "data": hex,
                "owner": account.owner.to_string(),
                "executable": account.executable,
                "rentEpoch": account.rent_epoch,
            }
        ]);
        self.client
            .send::<serde_json::Value>(
                solana_rpc_client_api::request::RpcRequest::Custom { method: "surfnet_setAccount" },
                params,
            )
            .await
            .map(|_| ())
            .map_err(classify)
    }
}

/// Network-level failures are worth retrying; answers from the node are not.
fn classify(e: ClientError) -> ChainError {
    match e.kind() {
        ErrorKind::Io(_) | ErrorKind::Reqwest(_) | ErrorKind::Middleware(_) => ChainError::Transient(e.to_string()),
        ErrorKind::RpcError(RpcError::RpcResponseError {
            data: RpcResponseErrorData::NodeUnhealthy { .. }, ..
        }) => ChainError::Transient(e.to_string()),
        ErrorKind::RpcError(RpcError::RpcRequestError(_)) => ChainError::Transient(e.to_string()),
        _ => ChainError::Permanent(e.to_string()),
    }
}

/// A [`Filter`] as the JSON-RPC API (and its websocket subscriptions) take it.
pub fn to_rpc_filter(f: &Filter) -> RpcFilterType {
    match f {
        Filter::DataSize(n) => RpcFilterType::DataSize(*n),
        Filter::Memcmp { offset, bytes } => RpcFilterType::Memcmp(Memcmp::new_raw_bytes(*offset, bytes.clone())),
    }
}

impl Chain for Rpc {
    fn describe(&self) -> String {
        self.url.clone()
    }

    async fn account(&self, address: &Pubkey) -> ChainResult<Option<Account>> {
        self.client
            .get_account_with_commitment(address, CommitmentConfig::confirmed())
            .await
            .map(|r| r.value)
            .map_err(classify)
    }

    async fn accounts(&self, addresses: &[Pubkey]) -> ChainResult<Vec<Option<Account>>> {
        let mut out = Vec::with_capacity(addresses.len());
        for chunk in addresses.chunks(100) {
            out.extend(self.client.get_multiple_accounts(chunk).await.map_err(classify)?);
        }
        Ok(out)
    }

    async fn program_accounts(&self, program: &Pubkey, filters: &[Filter]) -> ChainResult<Vec<(Pubkey, Account)>> {
        let config = RpcProgramAccountsConfig {
            filters: Some(filters.iter().map(to_rpc_filter).collect()),
            account_config: RpcAccountInfoConfig {
                encoding: Some(UiAccountEncoding::Base64),
                commitment: Some(CommitmentConfig::confirmed()),
                ..Default::default()
            },
            ..Default::default()
        };
        let accounts = self.client.get_program_ui_accounts_with_config(program, config).await.map_err(classify)?;
        accounts
            .into_iter()
            .map(|(k, ui)| {
                ui.to_account()
                    .map(|a| (k, a))
                    .ok_or_else(|| ChainError::Permanent(format!("account {k}: undecodable data")))
            })
            .collect()
    }

    async fn latest_blockhash(&self) -> ChainResult<Hash> {
        self.client.get_latest_blockhash().await.map_err(classify)
    }

    async fn send(&self, tx: &VersionedTransaction) -> ChainResult<TxOutcome> {
        let signature = tx.signatures[0];
        let config = RpcSendTransactionConfig {
            preflight_commitment: Some(CommitmentLevel::Confirmed),
            encoding: Some(UiTransactionEncoding::Base64),
            ..Default::default()
        };
        if let Err(e) = self.client.send_transaction_with_config(tx, config).await {
            // A failed preflight simulation: the transaction did not land; its logs say why.
            if let ErrorKind::RpcError(RpcError::RpcResponseError {
                data: RpcResponseErrorData::SendTransactionPreflightFailure(sim),
                ..
            }) = e.kind()
            {
                if let Some(err) = &sim.err {
                    return Ok(TxOutcome {
                        signature,
                        result: Err(TransactionError::from(err.clone())),
                        logs: sim.logs.clone().unwrap_or_default(),
                        compute_units: sim.units_consumed,
                    });
                }
            }
            return Err(classify(e));
        }
        let start = Instant::now();
        loop {
            if let Some(result) = self.signature_status(&signature).await? {
                let (logs, compute_units) = self.details(&signature).await;
                return Ok(TxOutcome { signature, result, logs, compute_units });
            }
            if start.elapsed() > self.confirm_timeout {
                return Err(ChainError::Transient(format!(
                    "{signature} not confirmed after {:?}",
                    self.confirm_timeout
                )));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn simulate(&self, tx: &VersionedTransaction) -> ChainResult<TxOutcome> {
        let config = RpcSimulateTransactionConfig {
            sig_verify: false,
            replace_recent_blockhash: false,
            commitment: Some(CommitmentConfig::confirmed()),
            encoding: Some(UiTransactionEncoding::Base64),
            ..Default::default()
        };
        let sim = self.client.simulate_transaction_with_config(tx, config).await.map_err(classify)?.value;
        Ok(TxOutcome {
            signature: tx.signatures[0],
            result: sim.err.map_or(Ok(()), |e| Err(TransactionError::from(e))),
            logs: sim.logs.unwrap_or_default(),
            compute_units: sim.units_consumed,
        })
    }

    async fn recent_prioritization_fees(&self, accounts: &[Pubkey]) -> ChainResult<Vec<u64>> {
        // The RPC method takes at most 128 addresses.
        let accounts = &accounts[..accounts.len().min(128)];
        let fees = self.client.get_recent_prioritization_fees(accounts).await.map_err(classify)?;
        Ok(fees.into_iter().map(|f| f.prioritization_fee).collect())
    }

    async fn next_slot(&self) -> ChainResult<()> {
        let start = self.client.get_slot_with_commitment(CommitmentConfig::processed()).await.map_err(classify)?;
        let begun = Instant::now();
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let now = self.client.get_slot_with_commitment(CommitmentConfig::processed()).await.map_err(classify)?;
            if now > start {
                return Ok(());
            }
            if begun.elapsed() > self.confirm_timeout {
                return Err(ChainError::Transient(format!("the chain stayed at slot {start}")));
            }
        }
    }

    async fn signature_status(&self, signature: &Signature) -> ChainResult<Option<Result<(), TransactionError>>> {
        let statuses = self.client.get_signature_statuses(&[*signature]).await.map_err(classify)?.value;
        Ok(statuses
            .into_iter()
            .next()
            .flatten()
            .filter(|s| s.satisfies_commitment(CommitmentConfig::confirmed()))
            .map(|s| s.err.map_or(Ok(()), Err)))
    }

    async fn unix_time(&self) -> ChainResult<i64> {
        let clock = anchor_lang::prelude::pubkey!("SysvarC1ock11111111111111111111111111111111");
        let account = self.account(&clock).await?.ok_or_else(|| ChainError::Permanent("no Clock sysvar".into()))?;
        // Clock: slot u64, epoch_start_timestamp i64, epoch u64, leader_schedule_epoch u64, unix_timestamp i64.
        let bytes = account.data.get(32..40).ok_or_else(|| ChainError::Permanent("short Clock sysvar".into()))?;
        Ok(i64::from_le_bytes(bytes.try_into().unwrap()))
    }

    async fn rent_exempt_minimum(&self, len: usize) -> ChainResult<u64> {
        self.client.get_minimum_balance_for_rent_exemption(len).await.map_err(classify)
    }

    async fn airdrop(&self, to: &Pubkey, lamports: u64) -> ChainResult<()> {
        let signature = self.client.request_airdrop(to, lamports).await.map_err(classify)?;
        let start = Instant::now();
        while self.signature_status(&signature).await?.is_none() {
            if start.elapsed() > self.confirm_timeout {
                return Err(ChainError::Transient(format!("airdrop {signature} not confirmed")));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(())
    }
}
