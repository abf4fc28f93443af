//! Django's rules for users: username and email fields, and the four password validators
//! of `AUTH_PASSWORD_VALIDATORS` with their exact messages.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;

use crate::error::FieldErrors;

pub const USERNAME_INVALID: &str = "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.";
pub const USERNAME_TAKEN: &str = "A user with that username already exists.";
pub const EMAIL_INVALID: &str = "Enter a valid email address.";
pub const EMAIL_TAKEN: &str = "user with this email already exists.";

const MIN_PASSWORD_LENGTH: usize = 8;
const MAX_SIMILARITY: f64 = 0.7;

static USERNAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[\w.@+-]+$").unwrap_or_else(|_| unreachable_regex()));
// Django's EmailValidator: dot-atom or quoted local part; domain of labels with a
// top-level label, or an address literal.
static EMAIL_USER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)^([-!#$%&'*+/=?^_`{}|~0-9a-z]+(\.[-!#$%&'*+/=?^_`{}|~0-9a-z]+)*|"([\x01-\x08\x0b\x0c\x0e-\x1f!#-\[\]-\x7f]|\\[\x01-\x09\x0b\x0c\x0e-\x7f])*")$"#,
    )
    .unwrap_or_else(|_| unreachable_regex())
});
static EMAIL_DOMAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+)(?:[a-z0-9-]{2,63})$")
        .unwrap_or_else(|_| unreachable_regex())
});
static EMAIL_LITERAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\[([0-9.]+|[0-9a-fA-F:.]+)\]$").unwrap_or_else(|_| unreachable_regex())
});
static NON_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\W+").unwrap_or_else(|_| unreachable_regex()));

/// The patterns above are constants; a failure to compile them is a programming error
/// caught by the unit tests, so fall back to a pattern that matches nothing.
fn unreachable_regex() -> Regex {
    Regex::new(r"[^\s\S]").unwrap_or_else(|_| std::process::abort())
}

/// Django's common-password list (19,640 entries, `django/contrib/auth`).
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common-passwords.txt").lines().collect());

/// A username: at most 150 characters of letters, digits and `@ . + - _`.
pub fn check_username(errors: &mut FieldErrors, field: &str, username: &str) -> bool {
    let before = errors.clone();
    if username.chars().count() > 150 {
        errors.add(field, "Ensure this field has no more than 150 characters.");
    }
    if !USERNAME.is_match(username) {
        errors.add(field, USERNAME_INVALID);
    }
    *errors == before
}

/// An email address: valid and at most 254 characters.
pub fn check_email(errors: &mut FieldErrors, field: &str, email: &str) -> bool {
    if email.chars().count() > 254 {
        errors.add(field, "Ensure this field has no more than 254 characters.");
        return false;
    }
    if !is_valid_email(email) {
        errors.add(field, EMAIL_INVALID);
        return false;
    }
    true
}

fn is_valid_email(email: &str) -> bool {
    let Some((user, domain)) = email.rsplit_once('@') else {
        return false;
    };
    if user.is_empty() || domain.is_empty() || !EMAIL_USER.is_match(user) {
        return false;
    }
    domain == "localhost" || EMAIL_DOMAIN.is_match(domain) || EMAIL_LITERAL.is_match(domain)
}

/// Django's `normalize_email`: the domain part is lowercased.
pub fn normalize_email(email: &str) -> String {
    let email = email.trim();
    match email.rsplit_once('@') {
        Some((user, domain)) => format!("{user}@{}", domain.to_lowercase()),
        None => email.to_owned(),
    }
}

/// The user attributes the similarity validator compares against.
#[derive(Debug, Default, Clone)]
pub struct UserAttributes<'a> {
    pub username: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: &'a str,
}

impl<'a> UserAttributes<'a> {
    /// The attributes of an existing user (a new password must not resemble them).
    pub fn of(user: &'a super::model::UserRow) -> Self {
        Self {
            username: &user.username,
            first_name: &user.first_name,
            last_name: &user.last_name,
            email: &user.email,
        }
    }
}

/// Runs the four validators in Django's order and returns every message.
pub fn password_problems(password: &str, user: &UserAttributes<'_>) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(name) = too_similar(password, user) {
        problems.push(format!("The password is too similar to the {name}."));
    }
    if password.chars().count() < MIN_PASSWORD_LENGTH {
        problems.push(format!(
            "This password is too short. It must contain at least {MIN_PASSWORD_LENGTH} characters."
        ));
    }
    if COMMON_PASSWORDS.contains(password.trim().to_lowercase().as_str()) {
        problems.push("This password is too common.".to_owned());
    }
    if !password.is_empty() && password.chars().all(|c| c.is_numeric()) {
        problems.push("This password is entirely numeric.".to_owned());
    }
    problems
}

/// `UserAttributeSimilarityValidator`: the verbose name of the first attribute the
/// password resembles (quick ratio ≥ 0.7 against the value or any of its word parts).
fn too_similar(password: &str, user: &UserAttributes<'_>) -> Option<&'static str> {
    let password = password.to_lowercase();
    let attributes = [
        ("username", user.username),
        ("first name", user.first_name),
        ("last name", user.last_name),
        ("email", user.email),
    ];
    for (name, value) in attributes {
        if value.is_empty() {
            continue;
        }
        let value = value.to_lowercase();
        let mut parts: Vec<&str> = NON_WORD.split(&value).collect();
        parts.push(&value);
        for part in parts {
            if exceeds_maximum_length_ratio(&password, part) {
                continue;
            }
            if quick_ratio(&password, part) >= MAX_SIMILARITY {
                return Some(name);
            }
        }
    }
    None
}

fn exceeds_maximum_length_ratio(password: &str, value: &str) -> bool {
    let password_len = password.chars().count() as f64;
    let value_len = value.chars().count() as f64;
    let bound = MAX_SIMILARITY / 2.0 * password_len;
    password_len >= 10.0 * value_len && value_len < bound
}

/// Python's `SequenceMatcher.quick_ratio`: 2·(shared characters) / (total length).
fn quick_ratio(a: &str, b: &str) -> f64 {
    let total = a.chars().count() + b.chars().count();
    if total == 0 {
        return 1.0;
    }
    let mut available: HashMap<char, usize> = HashMap::new();
    for c in b.chars() {
        *available.entry(c).or_default() += 1;
    }
    let mut matches = 0usize;
    for c in a.chars() {
        if let Some(n) = available.get_mut(&c).filter(|n| **n > 0) {
            *n -= 1;
            matches += 1;
        }
    }
    2.0 * matches as f64 / total as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> UserAttributes<'static> {
        UserAttributes {
            username: "johnsmith",
            first_name: "John",
            last_name: "Smith",
            email: "john.smith@example.com",
        }
    }

    #[test]
    fn password_validators_match_django() {
        assert_eq!(
            password_problems("xk9#", &UserAttributes::default()),
            ["This password is too short. It must contain at least 8 characters."]
        );
        assert_eq!(
            password_problems("password", &UserAttributes::default()),
            ["This password is too common."]
        );
        assert_eq!(
            password_problems("8203948572", &UserAttributes::default()),
            ["This password is entirely numeric."]
        );
        assert_eq!(
            password_problems("johnsmith1", &user()),
            ["The password is too similar to the username."]
        );
        assert!(password_problems("tangerine-orbit-42", &user()).is_empty());
        assert_eq!(COMMON_PASSWORDS.len(), 19_640);
        assert!(password_problems("1234", &UserAttributes::default()).len() == 3);
    }

    #[test]
    fn usernames_and_emails() {
        let mut errors = FieldErrors::new();
        assert!(check_username(&mut errors, "username", "user.name+tag@x_y-z"));
        assert!(check_username(&mut errors, "username", "Zoë"));
        assert!(!check_username(&mut errors, "username", "has space"));
        assert!(!check_username(&mut errors, "username", &"a".repeat(151)));
        for ok in [
            "a@b.co",
            "first.last@example.com",
            "x@localhost",
            "\"q.u\"@example.org",
            "a@[127.0.0.1]",
        ] {
            assert!(is_valid_email(ok), "{ok}");
        }
        for bad in [
            "",
            "plain",
            "a@",
            "@b.com",
            "a@b",
            "a b@c.com",
            "a@-b.com",
            "a..b@c.com",
            "\"q u\"@example.org",
        ] {
            assert!(!is_valid_email(bad), "{bad}");
        }
        assert_eq!(normalize_email(" Ann@Example.COM "), "Ann@example.com");
    }

    #[test]
    fn quick_ratio_matches_python() {
        assert!((quick_ratio("johnsmith1", "johnsmith") - 18.0 / 19.0).abs() < 1e-9);
        assert!((quick_ratio("abcd", "bcde") - 0.75).abs() < 1e-9);
    }
}
