//! Account creation outside GraphQL: the `create-superuser` command and the demo users.

use diesel_async::AsyncPgConnection;

use super::model::{NewUser, UserRow};
use super::password::Passwords;
use super::repo;
use super::rules::{self, UserAttributes};
use crate::error::{AppError, FieldErrors};

/// Creates an active staff superuser (with its customer). The username, email and
/// password pass the same rules as registration.
pub async fn create_superuser(
    conn: &mut AsyncPgConnection, username: &str, email: &str, password: &str,
) -> anyhow::Result<UserRow> {
    let username = username.trim();
    let email = rules::normalize_email(email);
    let mut errors = FieldErrors::new();
    rules::check_username(&mut errors, "username", username);
    rules::check_email(&mut errors, "email", &email);
    let attributes = UserAttributes { username, email: &email, ..UserAttributes::default() };
    for problem in rules::password_problems(password, &attributes) {
        errors.add("password", problem);
    }
    repo::check_unique(conn, &mut errors, Some(username), Some(&email), None).await?;
    if !errors.is_empty() {
        let lines: Vec<String> = errors
            .iter()
            .flat_map(|(field, messages)| messages.iter().map(move |m| format!("{field}: {m}")))
            .collect();
        anyhow::bail!("{}", lines.join("\n"));
    }
    let hash = Passwords::production()?.hash(password).await?;
    let user = NewUser {
        password: hash,
        username: username.to_owned(),
        first_name: String::new(),
        last_name: String::new(),
        email,
        is_staff: true,
        is_superuser: true,
    };
    Ok(repo::create_user(conn, &user).await?)
}

/// A demo account for development (no password rules: the demo passwords are public).
pub async fn create_demo_user(
    conn: &mut AsyncPgConnection, passwords: &Passwords, username: &str, password: &str,
    staff: bool, names: (&str, &str),
) -> Result<UserRow, AppError> {
    let user = NewUser {
        password: passwords.hash(password).await?,
        username: username.to_owned(),
        first_name: names.0.to_owned(),
        last_name: names.1.to_owned(),
        email: format!("{username}@storefront.example"),
        is_staff: staff,
        is_superuser: staff,
    };
    repo::create_user(conn, &user).await
}
