//! `yimen schema`: the JSON Schema of a workflow file kind, for editors.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use yimen_engine::schema::FileKind;

use super::EXIT_USAGE;

/// Arguments of `yimen schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// The file kind: case-type, organisation, calendar, ladder, schedules, scenario, template-header.
    #[arg(long, default_value = "case-type")]
    pub kind: String,
    /// Write every kind's schema as `<kind>.json` into this directory instead of printing one.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs the command.
pub fn run(args: &SchemaArgs) -> ExitCode {
    if let Some(dir) = &args.out {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("error: cannot create {}: {e}", dir.display());
            return ExitCode::from(EXIT_USAGE);
        }
        for kind in FileKind::ALL {
            let path = dir.join(format!("{}.json", kind.name()));
            let text = serde_json::to_string_pretty(&kind.schema()).unwrap_or_default() + "\n";
            if let Err(e) = std::fs::write(&path, text) {
                eprintln!("error: cannot write {}: {e}", path.display());
                return ExitCode::from(EXIT_USAGE);
            }
        }
        return ExitCode::SUCCESS;
    }
    let Some(kind) = FileKind::from_name(&args.kind) else {
        let names: Vec<&str> = FileKind::ALL.iter().map(|k| k.name()).collect();
        eprintln!("error: unknown kind `{}`; use one of {}", args.kind, names.join(", "));
        return ExitCode::from(EXIT_USAGE);
    };
    crate::out!("{}", serde_json::to_string_pretty(&kind.schema()).unwrap_or_default());
    ExitCode::SUCCESS
}
