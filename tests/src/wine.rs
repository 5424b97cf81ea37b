//! A Windows computer for a test: a fresh Wine prefix (Debian's `wine64`), its user's
//! folders, its registry and the programs started in it.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use tokio::process::Command;

/// Debian's `wine64` package puts its loader here rather than on the PATH.
const DEBIAN_WINE64: &str = "/usr/lib/wine/wine64";

pub struct WinePrefix {
    pub dir: tempfile::TempDir,
    wine: PathBuf,
}

impl WinePrefix {
    /// A new prefix, made ready (the first start writes its registry and folders).
    /// `system_dlls` are put in its `system32`, as Windows would ship them.
    pub async fn new(system_dlls: &[PathBuf]) -> anyhow::Result<Self> {
        let wine = std::env::var_os("LIFELINE_WINE")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEBIAN_WINE64));
        let prefix = Self {
            dir: tempfile::tempdir()?,
            wine,
        };
        let ready = prefix
            .command("cmd")
            .args(["/C", "echo ready"])
            .output()
            .await?;
        anyhow::ensure!(
            ready.status.success(),
            "wine did not start: {}",
            String::from_utf8_lossy(&ready.stderr)
        );
        let system32 = prefix.dir.path().join("drive_c/windows/system32");
        for dll in system_dlls {
            let name = dll.file_name().context("a DLL's name")?;
            std::fs::copy(dll, system32.join(name))
                .with_context(|| format!("copying {}", dll.display()))?;
        }
        Ok(prefix)
    }

    /// `program` (a Windows or Unix path) with `args`, in this prefix, quiet about
    /// Wine's own warnings, killed when dropped.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(&self.wine);
        command
            .arg(program)
            .env("WINEPREFIX", self.dir.path())
            .env("WINEDEBUG", "-all")
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        command
    }

    /// The user's profile folder (`C:\users\<name>`) as a Unix path.
    pub fn profile(&self) -> anyhow::Result<PathBuf> {
        let users = self.dir.path().join("drive_c/users");
        std::fs::read_dir(&users)?
            .flatten()
            .map(|entry| entry.path())
            .find(|path| path.file_name().is_some_and(|name| name != "Public"))
            .context("the Wine user's profile folder")
    }

    /// `%LOCALAPPDATA%` as a Unix path.
    pub fn local_app_data(&self) -> anyhow::Result<PathBuf> {
        Ok(self.profile()?.join("AppData/Local"))
    }

    /// The value `name` under `key`, as `reg query` prints it; `None` when absent.
    pub async fn registry_value(&self, key: &str, name: &str) -> anyhow::Result<Option<String>> {
        let out = self
            .command("reg")
            .args(["query", key, "/v", name])
            .output()
            .await?;
        if !out.status.success() {
            return Ok(None);
        }
        let text = String::from_utf8_lossy(&out.stdout);
        Ok(text
            .lines()
            .find(|line| line.trim_start().starts_with(name))
            .map(|line| line.trim().to_owned()))
    }

    /// Stops every program still running in this prefix.
    pub async fn stop_all(&self) {
        let server = self.wine.with_file_name("wineserver");
        let _ = Command::new(if server.exists() {
            server
        } else {
            PathBuf::from("wineserver")
        })
        .arg("-k")
        .env("WINEPREFIX", self.dir.path())
        .status()
        .await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A Unix path as Windows programs under Wine see it (drive `Z:` is `/`).
pub fn windows_path(path: &Path) -> String {
    format!("Z:{}", path.display()).replace('/', "\\")
}
