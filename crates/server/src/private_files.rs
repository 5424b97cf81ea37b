//! The data directory (database, uploads, keys) is the service's alone: folders 0700,
//! files 0600. New files are created so (umask 077 for the service process), and an
//! installation from before that is tightened at start. Unix only; elsewhere the
//! folder's inherited ACL decides.

use std::path::Path;

/// Makes every file and folder the process creates from now on private to its user.
pub fn restrict_new_files() {
    #[cfg(unix)]
    {
        use rustix::fs::Mode;
        rustix::process::umask(Mode::from_raw_mode(0o077));
    }
}

/// Removes group and other access from `root` and everything under it; symbolic links
/// are left alone, never followed. Returns how many entries were changed.
pub fn tighten(root: &Path) -> std::io::Result<u32> {
    #[cfg(unix)]
    {
        tighten_unix(root)
    }
    #[cfg(not(unix))]
    {
        let _ = root;
        Ok(0)
    }
}

#[cfg(unix)]
fn tighten_unix(path: &Path) -> std::io::Result<u32> {
    use std::os::unix::fs::PermissionsExt;
    let metadata = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(err) => return Err(err),
    };
    if metadata.file_type().is_symlink() {
        return Ok(0);
    }
    let mode = metadata.permissions().mode();
    let mut changed = 0;
    if mode & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))?;
        changed += 1;
    }
    if metadata.is_dir() {
        for entry in std::fs::read_dir(path)? {
            changed += tighten_unix(&entry?.path())?;
        }
    }
    Ok(changed)
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn an_open_tree_becomes_private_and_links_are_not_followed() {
        let outside = tempfile::tempdir().expect("dir");
        let victim = outside.path().join("victim");
        std::fs::write(&victim, b"x").expect("write");
        std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let root = tempfile::tempdir().expect("dir");
        let files = root.path().join("files/session");
        std::fs::create_dir_all(&files).expect("mkdir");
        std::fs::write(files.join("upload"), b"secret").expect("write");
        std::fs::write(root.path().join("lifeline.db"), b"db").expect("write");
        for path in [root.path(), &root.path().join("files"), &files] {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        for path in [files.join("upload"), root.path().join("lifeline.db")] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        }
        std::os::unix::fs::symlink(&victim, root.path().join("link")).expect("symlink");

        assert_eq!(tighten(root.path()).expect("tightened"), 5);
        assert_eq!(mode(root.path()), 0o700);
        assert_eq!(mode(&files), 0o700);
        assert_eq!(mode(&files.join("upload")), 0o600);
        assert_eq!(mode(&root.path().join("lifeline.db")), 0o600);
        assert_eq!(mode(&victim), 0o644, "a link's target is not touched");
        assert_eq!(
            tighten(root.path()).expect("again"),
            0,
            "nothing left to do"
        );
    }
}
