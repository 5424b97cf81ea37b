//! A folder only this user may open on Windows: its DACL is replaced by one entry that
//! gives this user's SID full control, inherited by everything inside, and protected
//! from the parent's entries (which would let administrators' and SYSTEM's in, and on
//! a shared profile folder others too).
// Win32 security calls through windows-sys, which has no safe wrappers; each block
// sizes its buffers from the calls themselves and closes the token it opened.
#![allow(unsafe_code)]

use std::ffi::c_void;
use std::os::windows::ffi::OsStrExt;
use std::path::Path;

use windows_sys::Win32::Foundation::{CloseHandle, ERROR_SUCCESS, HANDLE};
use windows_sys::Win32::Security::Authorization::{SetNamedSecurityInfoW, SE_FILE_OBJECT};
use windows_sys::Win32::Security::{
    AddAccessAllowedAceEx, GetLengthSid, GetTokenInformation, InitializeAcl, TokenUser,
    ACCESS_ALLOWED_ACE, ACL, ACL_REVISION, CONTAINER_INHERIT_ACE, DACL_SECURITY_INFORMATION,
    OBJECT_INHERIT_ACE, PROTECTED_DACL_SECURITY_INFORMATION, TOKEN_QUERY, TOKEN_USER,
};
use windows_sys::Win32::Storage::FileSystem::FILE_ALL_ACCESS;
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

fn wide(path: &Path) -> Vec<u16> {
    path.as_os_str().encode_wide().chain(Some(0)).collect()
}

/// This user's `TOKEN_USER`, in a buffer aligned for it.
fn token_user() -> std::io::Result<Vec<u64>> {
    // SAFETY: the token handle is closed once; the buffer is as large as the first
    // call says and aligned for TOKEN_USER.
    unsafe {
        let mut token: HANDLE = std::ptr::null_mut();
        if OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) == 0 {
            return Err(std::io::Error::last_os_error());
        }
        let mut needed = 0u32;
        GetTokenInformation(token, TokenUser, std::ptr::null_mut(), 0, &mut needed);
        let mut buffer = vec![0u64; (needed as usize).div_ceil(8).max(1)];
        let read = GetTokenInformation(
            token,
            TokenUser,
            buffer.as_mut_ptr().cast::<c_void>(),
            (buffer.len() * 8) as u32,
            &mut needed,
        );
        let error = std::io::Error::last_os_error();
        CloseHandle(token);
        if read == 0 {
            return Err(error);
        }
        Ok(buffer)
    }
}

/// A DACL with one entry: full control for the user in `user` (a `TOKEN_USER`),
/// inherited by files and folders inside, in a buffer aligned for `ACL`.
fn this_user_only(user: &[u64]) -> std::io::Result<Vec<u64>> {
    // SAFETY: `user` holds a TOKEN_USER whose SID lives in the same buffer; the ACL
    // buffer is sized for one ACE with that SID and aligned for ACL.
    unsafe {
        let sid = (*user.as_ptr().cast::<TOKEN_USER>()).User.Sid;
        let size = std::mem::size_of::<ACL>() + std::mem::size_of::<ACCESS_ALLOWED_ACE>()
            - std::mem::size_of::<u32>()
            + GetLengthSid(sid) as usize;
        let mut acl_buffer = vec![0u64; size.div_ceil(8)];
        let acl = acl_buffer.as_mut_ptr().cast::<ACL>();
        if InitializeAcl(acl, (acl_buffer.len() * 8) as u32, ACL_REVISION) == 0
            || AddAccessAllowedAceEx(
                acl,
                ACL_REVISION,
                OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE,
                FILE_ALL_ACCESS,
                sid,
            ) == 0
        {
            return Err(std::io::Error::last_os_error());
        }
        Ok(acl_buffer)
    }
}

/// Gives `dir` a protected DACL with one entry: full control for this user, inherited
/// by its files and folders.
pub fn restrict_to_this_user(dir: &Path) -> std::io::Result<()> {
    let user = token_user()?;
    let mut acl = this_user_only(&user)?;
    // SAFETY: the path is NUL-terminated and the ACL initialised above.
    let status = unsafe {
        SetNamedSecurityInfoW(
            wide(dir).as_ptr(),
            SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            acl.as_mut_ptr().cast::<ACL>(),
            std::ptr::null(),
        )
    };
    if status != ERROR_SUCCESS {
        return Err(std::io::Error::from_raw_os_error(status as i32));
    }
    Ok(())
}

/// The entries of `acl`: (flags, access mask, whether the SID is this user's).
#[cfg(test)]
fn entries(acl: *const ACL, user: &[u64]) -> Vec<(u8, u32, bool)> {
    use windows_sys::Win32::Security::{EqualSid, GetAce};
    // SAFETY: `acl` is a valid ACL; each ACE pointer points into it.
    unsafe {
        let sid = (*user.as_ptr().cast::<TOKEN_USER>()).User.Sid;
        (0..(*acl).AceCount)
            .map(|index| {
                let mut ace: *mut c_void = std::ptr::null_mut();
                assert_ne!(GetAce(acl, u32::from(index), &mut ace), 0, "an entry");
                let ace = ace.cast::<ACCESS_ALLOWED_ACE>();
                let is_user = EqualSid((&raw mut (*ace).SidStart).cast::<c_void>(), sid) != 0;
                ((*ace).Header.AceFlags, (*ace).Mask, is_user)
            })
            .collect()
    }
}

/// The entries of the DACL of `path`, as Windows reads them back.
#[cfg(test)]
fn entries_of(path: &Path, user: &[u64]) -> Vec<(u8, u32, bool)> {
    use windows_sys::Win32::Foundation::LocalFree;
    use windows_sys::Win32::Security::Authorization::GetNamedSecurityInfoW;
    use windows_sys::Win32::Security::PSECURITY_DESCRIPTOR;
    // SAFETY: the descriptor GetNamedSecurityInfoW allocates is freed once, after the
    // entries are copied out of the DACL that points into it.
    unsafe {
        let mut dacl: *mut ACL = std::ptr::null_mut();
        let mut descriptor: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
        let status = GetNamedSecurityInfoW(
            wide(path).as_ptr(),
            SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            &mut dacl,
            std::ptr::null_mut(),
            &mut descriptor,
        );
        assert_eq!(
            status,
            ERROR_SUCCESS,
            "reading the DACL of {}",
            path.display()
        );
        let found = if dacl.is_null() {
            Vec::new()
        } else {
            entries(dacl, user)
        };
        LocalFree(descriptor);
        found
    }
}

/// Whether this runs under Wine, whose files keep no DACL of their own: Wine answers
/// with one made from the Unix mode.
#[cfg(test)]
fn under_wine() -> bool {
    use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleA, GetProcAddress};
    // SAFETY: NUL-terminated names; ntdll is always loaded.
    unsafe {
        let ntdll = GetModuleHandleA(c"ntdll.dll".as_ptr().cast());
        !ntdll.is_null() && GetProcAddress(ntdll, c"wine_get_version".as_ptr().cast()).is_some()
    }
}

#[cfg(test)]
#[test]
fn the_folder_and_its_files_let_in_this_user_alone() {
    use windows_sys::Win32::Security::INHERITED_ACE;
    let user = token_user().expect("this user");
    let inherit = (OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE) as u8;
    let acl = this_user_only(&user).expect("the ACL");
    assert_eq!(
        entries(acl.as_ptr().cast::<ACL>(), &user),
        vec![(inherit, FILE_ALL_ACCESS, true)],
        "one entry: this user, full control, inherited inside"
    );

    let dir = tempfile::tempdir().expect("dir");
    let private = dir.path().join("lifeline-agent");
    std::fs::create_dir(&private).expect("folder");
    restrict_to_this_user(&private).expect("restricted");
    let file = private.join("session.json");
    std::fs::write(&file, b"{}").expect("file");
    if under_wine() {
        eprintln!("Wine keeps no DACLs on files: what Windows reads back is not checked here");
        return;
    }
    assert_eq!(
        entries_of(&private, &user),
        vec![(inherit, FILE_ALL_ACCESS, true)],
        "the folder's DACL is that one entry"
    );
    assert_eq!(
        entries_of(&file, &user),
        vec![(INHERITED_ACE as u8, FILE_ALL_ACCESS, true)],
        "a file inside inherits it and nothing else"
    );
}
