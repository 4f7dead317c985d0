//! `edgebase-native serve`: the EdgeBase REST server as a standalone binary (Docker, self-hosting).
//! Flags win over environment variables, which win over defaults.

use edgebase_server::server::{prepare, ConfigSource, Options};
use edgebase_server::time;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
Usage: edgebase-native serve [options]

Serves the EdgeBase REST routes (KV, D1, Vectorize, storage) over local stores.

Options:
  --config <file>    EdgeBase config as JSON (env EDGEBASE_CONFIG: the JSON itself;
                     default: a built-in config with one resource of each kind)
  --persist <dir>    where data lives (env PERSIST_DIR; default .edgebase)
  --port <n>         port, 0 = any free one (env PORT; default 8787)
  --host <addr>      address to bind (env HOST; default 127.0.0.1)
  --dev-vars <file>  dotenv file with secrets (default .dev.vars, read when present)
  --quiet            no request logs
  -h, --help         this help
  -V, --version      the version

Secrets come from the environment and .dev.vars: SERVICE_KEY (the root service key),
JWT_USER_SECRET (user tokens), any secretRef of serviceKeys, ENVIRONMENT.
";

struct Cli {
  config: Option<PathBuf>,
  persist: Option<PathBuf>,
  port: Option<String>,
  host: Option<String>,
  dev_vars: Option<PathBuf>,
  quiet: bool,
}

fn parse(args: &[String]) -> Result<Cli, String> {
  let mut cli = Cli {
    config: None,
    persist: None,
    port: None,
    host: None,
    dev_vars: None,
    quiet: false,
  };
  let mut it = args.iter();
  while let Some(a) = it.next() {
    let (flag, inline) = match a.split_once('=') {
      Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
      _ => (a.as_str(), None),
    };
    let mut value = || {
      inline
        .clone()
        .or_else(|| it.next().cloned())
        .ok_or(format!("{flag} needs a value"))
    };
    match flag {
      "--config" => cli.config = Some(value()?.into()),
      "--persist" => cli.persist = Some(value()?.into()),
      "--port" => cli.port = Some(value()?),
      "--host" => cli.host = Some(value()?),
      "--dev-vars" => cli.dev_vars = Some(value()?.into()),
      "--quiet" => cli.quiet = true,
      other => return Err(format!("unknown option {other}")),
    }
  }
  Ok(cli)
}

fn line(v: serde_json::Value) {
  let mut v = v;
  v["time"] = time::iso(time::now_ms()).into();
  println!("{v}");
}

fn options(cli: Cli) -> Result<Options, String> {
  let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
  let port = match cli.port.or_else(|| env("PORT")) {
    Some(p) => p.parse::<u16>().map_err(|_| format!("invalid port {p:?}"))?,
    None => 8787,
  };
  let config = match (cli.config, env("EDGEBASE_CONFIG")) {
    (Some(file), _) => ConfigSource::Json(
      std::fs::read_to_string(&file).map_err(|e| format!("Cannot read {}: {e}", file.display()))?,
    ),
    (None, Some(json)) => ConfigSource::Json(json),
    (None, None) => ConfigSource::Default,
  };
  Ok(Options {
    host: cli
      .host
      .or_else(|| env("HOST"))
      .unwrap_or_else(|| "127.0.0.1".into()),
    port,
    persist: Some(
      cli
        .persist
        .or_else(|| env("PERSIST_DIR").map(PathBuf::from))
        .unwrap_or_else(|| ".edgebase".into()),
    ),
    config,
    env: None,
    dev_vars: Some(cli.dev_vars.unwrap_or_else(|| ".dev.vars".into())),
    vars: Vec::new(),
    log: !cli.quiet,
    timeouts: Default::default(),
  })
}

async fn shutdown_signal() -> &'static str {
  #[cfg(unix)]
  {
    use tokio::signal::unix::{signal, SignalKind};
    match (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) {
      (Ok(mut int), Ok(mut term)) => tokio::select! {
        _ = int.recv() => "SIGINT",
        _ = term.recv() => "SIGTERM",
      },
      _ => std::future::pending().await,
    }
  }
  #[cfg(not(unix))]
  {
    let _ = tokio::signal::ctrl_c().await;
    "ctrl-c"
  }
}

fn main() -> ExitCode {
  let args: Vec<String> = std::env::args().skip(1).collect();
  match args.first().map(String::as_str) {
    Some("-h" | "--help" | "help") | None => {
      print!("{USAGE}");
      return ExitCode::SUCCESS;
    }
    Some("-V" | "--version") => {
      println!("edgebase-native {}", env!("CARGO_PKG_VERSION"));
      return ExitCode::SUCCESS;
    }
    Some("serve") => {}
    Some(other) => {
      eprintln!("unknown command {other:?}\n\n{USAGE}");
      return ExitCode::from(2);
    }
  }
  let opts = match parse(&args[1..]).and_then(options) {
    Ok(o) => o,
    Err(e) => {
      eprintln!("edgebase-native: {e}\n\n{USAGE}");
      return ExitCode::from(2);
    }
  };
  let rt = match tokio::runtime::Builder::new_multi_thread()
    .thread_name("edgebase-server")
    .enable_all()
    .build()
  {
    Ok(rt) => rt,
    Err(e) => {
      eprintln!("edgebase-native: cannot start the runtime: {e}");
      return ExitCode::FAILURE;
    }
  };
  // Stores open outside the runtime: some wait for their writer thread.
  let prepared = match prepare(&opts) {
    Ok(p) => p,
    Err(e) => {
      eprintln!("edgebase-native: {e}");
      return ExitCode::FAILURE;
    }
  };
  rt.block_on(async move {
    let running = match prepared.listen(&opts.host, opts.port, opts.timeouts).await {
      Ok(r) => r,
      Err(e) => {
        eprintln!("edgebase-native: {e}");
        return ExitCode::FAILURE;
      }
    };
    for w in &running.warnings {
      line(json!({ "level": "warn", "msg": w }));
    }
    if let Some(k) = &running.dev_key {
      line(json!({
        "level": "info",
        "msg": format!("dev service key (root; send it as X-EdgeBase-Service-Key; set {} to choose your own)", k.var),
        "serviceKey": k.key,
        "storedIn": k.file.as_ref().map(|f| f.display().to_string()),
      }));
    }
    // Last start-up line: whoever waits for it has seen the others.
    let persist = opts.persist.as_ref().map(|p| p.display().to_string());
    line(json!({ "level": "info", "msg": "listening", "url": running.url(), "persist": persist }));
    let signal = shutdown_signal().await;
    line(json!({ "level": "info", "msg": "shutting down", "signal": signal }));
    running.close().await;
    line(json!({ "level": "info", "msg": "stopped" }));
    ExitCode::SUCCESS
  })
}
