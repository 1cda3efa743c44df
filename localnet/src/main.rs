//! `localnet`: a local Solana JSON-RPC (surfpool, offline) with the portfolio-margin program
//! deployed, for the app and for testing the keeper's RPC backend.
//!
//! What runs when:
//! 1. Flags (each also read from an environment variable) are parsed.
//! 2. A `SurfnetSvm` is created in offline mode. It already carries the system program, the other
//!    builtins, SPL Token, Token-2022, the associated-token program, Memo and the lookup-table
//!    program (LiteSVM's default set), so nothing has to be fetched.
//! 3. The program `.so` is written at its id under the upgradeable loader, and reloaded once more
//!    so that an ELF the loader rejects fails start-up instead of being logged and ignored.
//! 4. surfpool's runloop starts on its own thread and serves JSON-RPC on 127.0.0.1:PORT and
//!    websockets on PORT+1, producing a slot every 250 ms.
//! 5. `localnet ready rpc=… ws=… program=…` is printed to stdout.
//! 6. Each `--then` command runs through `sh -c` with `RPC_URL` and `WS_URL` set: in order, each
//!    waited for, except the last, which runs alongside the server.
//! 7. On SIGINT or SIGTERM the children (their whole process groups) are stopped and the server
//!    shuts down.

use std::{
    env, fs,
    os::unix::process::ExitStatusExt,
    path::PathBuf,
    process::{ExitCode, ExitStatus},
    str::FromStr,
    thread,
    time::Duration,
};

use crossbeam_channel::{unbounded, Receiver};
use solana_pubkey::Pubkey;
use surfpool_core::{
    runloops::start_local_surfnet_runloop,
    surfnet::{
        locker::SurfnetSvmLocker,
        svm::{SurfnetSvm, SurfnetSvmConfig},
    },
};
use surfpool_types::{RpcConfig, SimnetCommand, SimnetConfig, SimnetEvent, SurfpoolConfig};
use tokio::{
    process::{Child, Command},
    signal::unix::{signal, SignalKind},
    sync::mpsc::{unbounded_channel, UnboundedSender},
};

const DEFAULT_PORT: u16 = 8899;
const DEFAULT_PROGRAM: &str = "target/deploy/portfolio_margin.so";
const DEFAULT_PROGRAM_ID: &str = "GcBf6SJFvsFyrWsacm5UtohYNbqYkBDW3aU4eBHQGjwX";
/// How long a child gets between SIGTERM and SIGKILL at shutdown.
const CHILD_GRACE: Duration = Duration::from_secs(5);

const USAGE: &str = "\
usage: localnet [--port N] [--program PATH] [--program-id ID] [--then CMD]...

  --port N         JSON-RPC port; websockets on N+1     env LOCALNET_PORT (default 8899)
  --program PATH   program .so to deploy                 env LOCALNET_PROGRAM
                   (default target/deploy/portfolio_margin.so, relative to the working directory)
  --program-id ID  address to deploy it at               env LOCALNET_PROGRAM_ID
                   (default GcBf6SJFvsFyrWsacm5UtohYNbqYkBDW3aU4eBHQGjwX)
  --then CMD       after start-up run CMD with `sh -c`, RPC_URL and WS_URL set; repeatable, run in
                   order, each waited for except the last, which runs alongside the server
                                                         env LOCALNET_THEN (commands separated by ';')
";

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Command-line options, flags taking precedence over their environment variables.
#[derive(Debug)]
struct Options {
    port: u16,
    program: PathBuf,
    program_id: Pubkey,
    then: Vec<String>,
}

impl Options {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Self, BoxError> {
        let mut port = env::var("LOCALNET_PORT").ok();
        let mut program = env::var("LOCALNET_PROGRAM").ok();
        let mut program_id = env::var("LOCALNET_PROGRAM_ID").ok();
        let mut then: Option<Vec<String>> = None;
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => (flag.to_string(), Some(value.to_string())),
                _ => (arg, None),
            };
            if flag == "-h" || flag == "--help" {
                print!("{USAGE}");
                std::process::exit(0);
            }
            let mut value = || inline.clone().or_else(|| args.next()).ok_or_else(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--port" => port = Some(value()?),
                "--program" => program = Some(value()?),
                "--program-id" => program_id = Some(value()?),
                "--then" => then.get_or_insert_with(Vec::new).push(value()?),
                _ => return Err(format!("unknown argument '{flag}'\n{USAGE}").into()),
            }
        }
        let then = then.unwrap_or_else(|| {
            env::var("LOCALNET_THEN")
                .unwrap_or_default()
                .split(';')
                .map(str::trim)
                .filter(|command| !command.is_empty())
                .map(String::from)
                .collect()
        });
        let port = match port {
            Some(port) => port.parse().map_err(|e| format!("invalid port '{port}': {e}"))?,
            None => DEFAULT_PORT,
        };
        if port == u16::MAX {
            return Err("the port must leave room for the websocket port above it".into());
        }
        let program_id = program_id.as_deref().unwrap_or(DEFAULT_PROGRAM_ID);
        Ok(Self {
            port,
            program: program.unwrap_or_else(|| DEFAULT_PROGRAM.into()).into(),
            program_id: Pubkey::from_str(program_id).map_err(|e| format!("invalid program id '{program_id}': {e}"))?,
            then,
        })
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let result = async { run(Options::parse(env::args().skip(1))?).await }.await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("localnet: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(options: Options) -> Result<(), BoxError> {
    let elf =
        fs::read(&options.program).map_err(|e| format!("cannot read program {}: {e}", options.program.display()))?;

    let (svm, events, geyser_events) = SurfnetSvm::new(SurfnetSvmConfig::default())?;
    let locker = SurfnetSvmLocker::new(svm);
    // The surfnet's state: `Ok` once it serves, then `Err` if it aborts or its runloop ends.
    let (status_tx, mut status_rx) = unbounded_channel();
    let runloop_status_tx = status_tx.clone();
    // Lifecycle events block the SVM when nobody reads them: drain them for the whole run.
    thread::Builder::new().name("surfnet-events".into()).spawn(move || forward_events(events, status_tx))?;

    deploy(&locker, options.program_id, &elf).await?;

    let rpc = RpcConfig {
        bind_host: "127.0.0.1".into(),
        bind_port: options.port,
        ws_port: options.port + 1,
        ..RpcConfig::default()
    };
    let rpc_url = format!("http://{}", rpc.get_rpc_base_url());
    let ws_url = format!("ws://{}", rpc.get_ws_base_url());
    let config = SurfpoolConfig {
        simnets: vec![SimnetConfig { offline_mode: true, remote_rpc_url: None, ..SimnetConfig::default() }],
        rpc,
        ..SurfpoolConfig::default()
    };
    let (commands_tx, commands_rx) = unbounded();
    let runloop_commands_tx = commands_tx.clone();
    thread::Builder::new().name("surfnet".into()).spawn(move || {
        // The runloop blocks its executor thread on channels, so it gets a runtime of its own.
        let result = tokio::runtime::Runtime::new().map_err(|e| e.to_string()).and_then(|runtime| {
            runtime
                .block_on(start_local_surfnet_runloop(locker, config, runloop_commands_tx, commands_rx, geyser_events))
                .map_err(|e| e.to_string())
        });
        let _ = runloop_status_tx.send(Err(match result {
            Ok(()) => "the surfnet runloop stopped".to_string(),
            Err(e) => format!("the surfnet runloop failed: {e}"),
        }));
    })?;
    status_rx.recv().await.ok_or("the surfnet stopped before it was ready")??;

    println!("localnet ready rpc={rpc_url} ws={ws_url} program={}", options.program_id);

    let mut sigint = signal(SignalKind::interrupt())?;
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut children = Children::default();
    let result = tokio::select! {
        result = children.run(&options.then, &rpc_url, &ws_url) => result,
        Some(Err(e)) = status_rx.recv() => Err(e.into()),
        _ = sigint.recv() => Ok(()),
        _ = sigterm.recv() => Ok(()),
    };
    children.stop().await;
    let _ = commands_tx.send(SimnetCommand::Terminate(None));
    result
}

/// Writes `elf` as an upgradeable-loader program at `program_id`, then sets the program account
/// again and returns the loader's error, if any: `write_program` only logs it.
async fn deploy(locker: &SurfnetSvmLocker, program_id: Pubkey, elf: &[u8]) -> Result<(), BoxError> {
    locker.write_program(program_id, None, 0, elf, &None).await?;
    locker.with_svm_writer(move |svm| -> Result<(), BoxError> {
        let account = svm.get_account(&program_id)?.ok_or("the program account was not created")?;
        svm.set_account(&program_id, account).map_err(|e| format!("the loader rejected the program: {e}").into())
    })
}

/// Reports readiness and aborts on `status`, and surfpool's warnings and errors on stderr.
fn forward_events(events: Receiver<SimnetEvent>, status: UnboundedSender<Result<(), String>>) {
    for event in events {
        match event {
            SimnetEvent::CoreStarted(_) => {
                let _ = status.send(Ok(()));
            }
            SimnetEvent::Aborted(reason) => {
                let _ = status.send(Err(format!("the surfnet aborted: {reason}")));
            }
            SimnetEvent::ErrorLog(_, message) => eprintln!("localnet: surfpool error: {message}"),
            SimnetEvent::WarnLog(_, message) => eprintln!("localnet: surfpool warning: {message}"),
            _ => {}
        }
    }
}

/// The `--then` commands started so far, with their process ids. Each leads its own process
/// group, so that stopping it also stops what it spawned (`sh -c "cargo run …"` → cargo → binary).
#[derive(Default)]
struct Children(Vec<(i32, Child)>);

impl Children {
    /// Runs `commands` in order, waiting for each but the last; then waits forever (the caller
    /// ends this on a signal). A failed command that was waited for is an error.
    async fn run(&mut self, commands: &[String], rpc_url: &str, ws_url: &str) -> Result<(), BoxError> {
        for (index, command) in commands.iter().enumerate() {
            let child = Command::new("sh")
                .arg("-c")
                .arg(command)
                .env("RPC_URL", rpc_url)
                .env("WS_URL", ws_url)
                .process_group(0)
                .spawn()
                .map_err(|e| format!("cannot start `{command}`: {e}"))?;
            let pid = child.id().ok_or("a child that was just started has no pid")? as i32;
            // Kept before it is waited for: a signal cancels the wait, and `stop` still finds it.
            self.0.push((pid, child));
            let status = self.0.last_mut().expect("just pushed").1.wait().await?;
            let last = index + 1 == commands.len();
            if !last && !status.success() {
                return Err(format!("`{command}` failed: {}", describe(status)).into());
            }
            if last {
                eprintln!("localnet: `{command}` ended: {}; still serving", describe(status));
            }
        }
        std::future::pending().await
    }

    /// Sends SIGTERM to each child's process group (what a finished command left running in the
    /// background included), and SIGKILL to a group whose leader is still running after
    /// `CHILD_GRACE`.
    async fn stop(&mut self) {
        for (pid, child) in &mut self.0 {
            // SAFETY: kill(2) with a negative pid signals a process group; no memory is involved.
            unsafe { libc::kill(-*pid, libc::SIGTERM) };
            if tokio::time::timeout(CHILD_GRACE, child.wait()).await.is_err() {
                unsafe { libc::kill(-*pid, libc::SIGKILL) };
                let _ = child.wait().await;
            }
        }
    }
}

fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(signal)) => format!("signal {signal}"),
        _ => status.to_string(),
    }
}
