//! `lifeline-server backup` and `restore`: a consistent copy of a running service's
//! state in one `.tar.gz` (the database through SQLite's `VACUUM INTO`, the uploaded
//! files, the key file, the agent builds kept in the data directory), and its return
//! into an empty data directory. It reads the live database only through a read-only
//! connection; it never writes to a running service's data.
//!
//! The database copy is taken first, then the files: a file the copy names is either
//! finished (and then on disk before the copy began) or still partial. Files finished
//! after the copy come along too and are unknown to the copied database, which is
//! harmless.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{bail, ensure, Context};
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, SecretUrl};
use crate::store::Backend;

const MANIFEST: &str = "lifeline-backup.json";
const DATABASE: &str = "lifeline.db";
/// The folders of the data directory a backup carries.
const FOLDERS: [&str; 2] = ["files", "agents"];
const FORMAT: u32 = 1;

/// What a backup says about itself, first in the archive.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// The version of `lifeline-server` that made it.
    pub version: String,
    /// Unix ms.
    pub created_at: i64,
    /// The newest migration of the copied database.
    pub schema_version: i64,
    pub files: u64,
    pub file_bytes: u64,
    pub has_key_file: bool,
}

/// The SQLite file of a `sqlite://` URL. PostgreSQL has its own tools for this.
fn sqlite_path(database_url: &SecretUrl) -> anyhow::Result<PathBuf> {
    ensure!(
        Backend::of_url(database_url.expose())? == Backend::Sqlite,
        "backup and restore copy a SQLite database; on PostgreSQL ({database_url}) use \
         pg_dump and pg_restore, and copy the data directory's files and key file"
    );
    let options = SqliteConnectOptions::from_str(database_url.expose())
        .with_context(|| format!("the database URL {database_url}"))?;
    Ok(options.get_filename().to_owned())
}

/// Copies the live database into `into` and returns its schema version.
async fn snapshot_database(database_url: &SecretUrl, into: &Path) -> anyhow::Result<i64> {
    let source = sqlite_path(database_url)?;
    ensure!(
        source.exists(),
        "no database at {}: is the data directory right?",
        source.display()
    );
    let mut connection = SqliteConnectOptions::new()
        .filename(&source)
        .read_only(true)
        .busy_timeout(std::time::Duration::from_secs(30))
        .connect()
        .await
        .with_context(|| format!("opening {}", source.display()))?;
    sqlx::query("VACUUM INTO ?")
        .bind(into.display().to_string())
        .execute(&mut connection)
        .await
        .context("copying the database (VACUUM INTO)")?;
    let schema_version: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations")
            .fetch_one(&mut connection)
            .await
            .context("reading the schema version")?;
    connection.close().await?;
    Ok(schema_version)
}

/// Every regular file under `root`, relative to `base`, in a stable order.
fn walk(base: &Path, root: &Path, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = match std::fs::read_dir(root) {
        Ok(entries) => entries.collect::<Result<_, _>>()?,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(err),
    };
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(base, &entry.path(), found)?;
        } else if kind.is_file() {
            if let Ok(relative) = entry.path().strip_prefix(base) {
                found.push(relative.to_owned());
            }
        }
    }
    Ok(())
}

/// Writes the backup of `config`'s service (running or not) to `to`.
pub async fn backup(config: &Config, to: &Path) -> anyhow::Result<Manifest> {
    ensure!(
        !to.exists(),
        "{} exists already; name a new file",
        to.display()
    );
    let scratch = tempfile::Builder::new()
        .prefix("lifeline-backup-")
        .tempdir_in(
            to.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new(".")),
        )
        .context("a scratch folder beside the backup")?;
    let database_copy = scratch.path().join(DATABASE);
    let schema_version = snapshot_database(&config.database_url, &database_copy).await?;

    let mut files = Vec::new();
    for folder in FOLDERS {
        walk(&config.data_dir, &config.data_dir.join(folder), &mut files)?;
    }
    let key_file = crate::secrets::key_file(&config.data_dir);
    let mut manifest = Manifest {
        format: FORMAT,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        created_at: SystemClock.now(),
        schema_version,
        files: 0,
        file_bytes: 0,
        has_key_file: key_file.exists(),
    };

    let partial = scratch.path().join("backup.tar.gz");
    let output = private_file(&partial)?;
    let mut archive = tar::Builder::new(GzEncoder::new(output, flate2::Compression::fast()));
    archive.mode(tar::HeaderMode::Deterministic);
    let mut tarred = Vec::new();
    for relative in &files {
        let path = config.data_dir.join(relative);
        // A file the retention job deleted meanwhile is simply not in this backup.
        let Ok(mut file) = File::open(&path) else {
            continue;
        };
        let length = file.metadata()?.len();
        tarred.push((relative.clone(), length));
        manifest.files += 1;
        manifest.file_bytes += length;
        archive
            .append_data(
                &mut private_header(length),
                relative,
                (&mut file).take(length),
            )
            .with_context(|| format!("adding {}", path.display()))?;
    }
    let manifest_json = serde_json::to_vec_pretty(&manifest)?;
    append_bytes(&mut archive, Path::new(MANIFEST), &manifest_json)?;
    append_path(&mut archive, Path::new(DATABASE), &database_copy)?;
    if manifest.has_key_file {
        append_path(
            &mut archive,
            Path::new(crate::secrets::FILE_NAME),
            &key_file,
        )?;
    }
    let mut compressed = archive.into_inner().context("finishing the archive")?;
    compressed.flush()?;
    let file = compressed.finish().context("finishing the compression")?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&partial, to)
        .or_else(|_| std::fs::copy(&partial, to).map(|_| ()))
        .with_context(|| format!("writing {}", to.display()))?;
    Ok(manifest)
}

fn private_file(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// An archive entry of `length` bytes, readable by its owner alone once unpacked.
fn private_header(length: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_size(length);
    header.set_mode(0o600);
    header.set_cksum();
    header
}

fn append_bytes<W: Write>(
    archive: &mut tar::Builder<W>,
    name: &Path,
    bytes: &[u8],
) -> anyhow::Result<()> {
    archive.append_data(&mut private_header(bytes.len() as u64), name, bytes)?;
    Ok(())
}

fn append_path<W: Write>(
    archive: &mut tar::Builder<W>,
    name: &Path,
    path: &Path,
) -> anyhow::Result<()> {
    let mut file = File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let length = file.metadata()?.len();
    archive.append_data(&mut private_header(length), name, (&mut file).take(length))?;
    Ok(())
}

/// Whether `dir` holds nothing (or does not exist).
fn is_empty_dir(dir: &Path) -> std::io::Result<bool> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(err) => Err(err),
    }
}

/// Restores the backup `from` into `config`'s data directory, which must be empty, and
/// migrates the database forward if the backup is from an older release.
pub async fn restore(config: &Config, from: &Path) -> anyhow::Result<Manifest> {
    let data_dir = &config.data_dir;
    ensure!(
        is_empty_dir(data_dir)?,
        "the data directory {} is not empty; restore into a new one",
        data_dir.display()
    );
    let database = sqlite_path(&config.database_url)?;
    ensure!(
        !database.exists(),
        "a database exists at {}; restore into a new one",
        database.display()
    );
    crate::private_files::restrict_new_files();
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let input = File::open(from).with_context(|| format!("opening {}", from.display()))?;
    let mut archive = tar::Archive::new(GzDecoder::new(input));
    let mut manifest = None;
    for entry in archive.entries().context("reading the backup")? {
        let mut entry = entry.context("reading the backup")?;
        let name = entry.path()?.into_owned();
        if name == Path::new(MANIFEST) {
            let mut text = String::new();
            entry.read_to_string(&mut text)?;
            manifest = Some(serde_json::from_str::<Manifest>(&text).context("the manifest")?);
            continue;
        }
        let allowed = name == Path::new(DATABASE)
            || name == Path::new(crate::secrets::FILE_NAME)
            || FOLDERS.iter().any(|folder| name.starts_with(folder));
        if !allowed || !entry.header().entry_type().is_file() {
            bail!("the backup holds {}, which no backup holds", name.display());
        }
        // `unpack_in` refuses names that would leave the folder (`..`, absolute paths).
        if !entry.unpack_in(data_dir)? {
            bail!(
                "the backup names {} outside the data directory",
                name.display()
            );
        }
    }
    let manifest = manifest.context("the file is not a Lifeline backup: it has no manifest")?;
    ensure!(
        manifest.format == FORMAT,
        "the backup's format {} is not one this release reads",
        manifest.format
    );
    let unpacked = data_dir.join(DATABASE);
    ensure!(unpacked.exists(), "the backup holds no database");
    if unpacked != database {
        if let Some(parent) = database.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::rename(&unpacked, &database)
            .with_context(|| format!("moving the database to {}", database.display()))?;
    }
    let store = crate::store::Store::connect(config.database_url.expose())
        .await
        .context("opening the restored database")?;
    let check = store.integrity_check().await?;
    store.close().await;
    ensure!(check == "ok", "the restored database is damaged: {check}");
    Ok(manifest)
}
