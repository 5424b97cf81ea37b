//! How strong a password must be, by an estimate of how many guesses it takes (zxcvbn,
//! Dropbox's estimator), not by character classes: `Password1!` has four classes and
//! falls to a dictionary attack in seconds. The same rule on every side: the desktop app
//! checks an ad-hoc password before deriving from it, the service checks technicians'.

/// Shortest password accepted anywhere.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted, in characters (argon2 cost stays bounded).
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// Why a password is refused, in words for the person choosing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    #[error("the password needs at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("the password is longer than {MAX_PASSWORD_CHARS} characters")]
    TooLong,
    /// Guessable in under 10^10 tries: zxcvbn's score below 3.
    #[error("the password is too easy to guess{}", .hint.as_deref().map(|h| format!(": {h}")).unwrap_or_default())]
    TooGuessable { hint: Option<String> },
}

/// Checks a new password. `related` are words an attacker would try first: the email,
/// the name, the company.
pub fn check_password_strength(password: &str, related: &[&str]) -> Result<(), PasswordProblem> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_CHARS {
        return Err(PasswordProblem::TooShort);
    }
    if length > MAX_PASSWORD_CHARS {
        return Err(PasswordProblem::TooLong);
    }
    // zxcvbn's cost grows with length; past 100 characters the first 100 decide.
    let judged: String = password.chars().take(100).collect();
    let estimate = zxcvbn::zxcvbn(&judged, related);
    if u8::from(estimate.score()) >= 3 {
        return Ok(());
    }
    let hint = estimate.feedback().map(|feedback| {
        feedback
            .warning()
            .map(|warning| warning.to_string())
            .into_iter()
            .chain(feedback.suggestions().iter().map(ToString::to_string))
            .collect::<Vec<_>>()
            .join(" ")
    });
    Err(PasswordProblem::TooGuessable {
        hint: hint.filter(|h| !h.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn character_classes_do_not_make_a_password_strong() {
        for weak in ["Password1!", "Summer2026!", "Qwerty12345", "P@ssw0rd123"] {
            assert!(
                matches!(
                    check_password_strength(weak, &[]),
                    Err(PasswordProblem::TooGuessable { .. })
                ),
                "{weak} must be refused"
            );
        }
        assert!(matches!(
            check_password_strength("tina.tech@acme.test", &["tina.tech@acme.test"]),
            Err(PasswordProblem::TooGuessable { .. })
        ));
        assert_eq!(
            check_password_strength("Sh0rt!", &[]),
            Err(PasswordProblem::TooShort)
        );
    }

    #[test]
    fn long_unusual_passwords_pass() {
        for strong in [
            "vK7#mQ2!xR9pL4",
            "correct horse battery staple",
            "Sunny-Day-42-over-Kiel",
        ] {
            assert_eq!(check_password_strength(strong, &[]), Ok(()), "{strong}");
        }
    }
}
