//! Field validation with Django REST framework's messages.
//!
//! Every check records into a [`FieldErrors`] instead of returning early, so a mutation
//! reports all field errors at once.

use async_graphql::MaybeUndefined;
use diesel_async::AsyncPgConnection;
use rust_decimal::Decimal;

use crate::error::{AppResult, FieldErrors, OrNotFound};

pub const REQUIRED: &str = "This field is required.";
pub const NOT_NULL: &str = "This field may not be null.";
pub const NOT_BLANK: &str = "This field may not be blank.";
/// Longest free text (product and review descriptions), in characters. Every other
/// string has its own limit, and no string argument may exceed `MAX_STRING_LENGTH`.
pub const MAX_TEXT_CHARS: usize = 5_000;

/// Whether omitted fields are errors (create, full update) or left alone (partial update).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Create,
    Replace,
    Patch,
}

impl Mode {
    pub fn requires_all(self) -> bool {
        !matches!(self, Mode::Patch)
    }
}

/// Marks an entity's input type that carries every required field (create, full update):
/// `ProductInput`, `ReviewInput`, `CustomerInput`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Whole;

/// Marks an entity's input type whose fields may all be left out (partial update):
/// `ProductPatch`, `ReviewPatch`, `CustomerPatch`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Partial;

/// The one input pattern: an entity's input (one struct, generic over [`Whole`] and
/// [`Partial`], which only names the GraphQL type) checks every field, records every
/// error, and returns the columns to write.
pub trait Validate {
    type Changes;
    fn validate(self, mode: Mode, errors: &mut FieldErrors) -> Self::Changes;
}

/// An entity that mutations change through [`update`].
pub trait Editable: Sized {
    type Key: Copy + Send;
    type Changes: Send + Sync;
    /// The row, when it exists.
    fn find(
        conn: &mut AsyncPgConnection, key: Self::Key,
    ) -> impl Future<Output = AppResult<Option<Self>>> + Send;
    /// Checks against the database (references to other rows), into `errors`.
    fn check(
        _conn: &mut AsyncPgConnection, _changes: &Self::Changes, _errors: &mut FieldErrors,
    ) -> impl Future<Output = AppResult<()>> + Send {
        async { Ok(()) }
    }
    /// Writes the changes; `None` when the row went away meanwhile.
    fn write(
        conn: &mut AsyncPgConnection, key: Self::Key, changes: &Self::Changes,
    ) -> impl Future<Output = AppResult<Option<Self>>> + Send;
}

/// An [`Editable`] row keyed by its `i64` id, found and written by two repo functions
/// (`$find(conn, id)`, `$write(conn, id, &changes)`), with no checks against other rows.
macro_rules! editable_by_id {
    ($row:ty, $changes:ty, $find:path, $write:path) => {
        impl $crate::validation::Editable for $row {
            type Key = i64;
            type Changes = $changes;

            async fn find(
                conn: &mut diesel_async::AsyncPgConnection, id: i64,
            ) -> $crate::error::AppResult<Option<Self>> {
                $find(conn, id).await
            }

            async fn write(
                conn: &mut diesel_async::AsyncPgConnection, id: i64, changes: &$changes,
            ) -> $crate::error::AppResult<Option<Self>> {
                $write(conn, id, changes).await
            }
        }
    };
}

pub(crate) use editable_by_id;

/// Every update, one way: `NOT_FOUND` first (as DRF's `get_object`), then whether the
/// caller may change the row, then every validation error at once, then the write
/// (`NOT_FOUND` when the row was deleted in between).
pub async fn update<E: Editable>(
    conn: &mut AsyncPgConnection, key: E::Key, input: impl Validate<Changes = E::Changes>,
    mode: Mode, allowed: impl FnOnce(&E) -> AppResult<()>,
) -> AppResult<E> {
    let row = E::find(conn, key).await.or_not_found()?;
    allowed(&row)?;
    let changes = validated::<E>(conn, input, mode).await?;
    E::write(conn, key, &changes).await.or_not_found()
}

/// For [`update`]: every caller who passed the resolver's guard may change the row.
pub fn anyone<T>(_: &T) -> AppResult<()> {
    Ok(())
}

/// Every field checked, then the database checks, all errors at once: the changes to
/// write (creates use it directly; [`update`] after finding the row).
pub async fn validated<E: Editable>(
    conn: &mut AsyncPgConnection, input: impl Validate<Changes = E::Changes>, mode: Mode,
) -> AppResult<E::Changes> {
    let mut errors = FieldErrors::new();
    let changes = input.validate(mode, &mut errors);
    E::check(conn, &changes, &mut errors).await?;
    errors.into_result()?;
    Ok(changes)
}

/// A nullable field: `None` when omitted, `Some(None)` when null.
pub fn nullable<T>(value: MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(value) => Some(Some(value)),
    }
}

/// A non-nullable field: `Some(value)` when one was given. Missing is an error unless
/// patching; an explicit null is always an error.
pub fn present<T>(
    errors: &mut FieldErrors, field: &str, value: MaybeUndefined<T>, mode: Mode,
) -> Option<T> {
    match value {
        MaybeUndefined::Value(value) => Some(value),
        MaybeUndefined::Null => {
            errors.add(field, NOT_NULL);
            None
        }
        MaybeUndefined::Undefined => {
            if mode.requires_all() {
                errors.add(field, REQUIRED);
            }
            None
        }
    }
}

/// A required, non-blank text field of at most `max_chars` characters: [`present`], then
/// [`char_field`].
pub fn text(
    errors: &mut FieldErrors, field: &str, value: MaybeUndefined<String>, mode: Mode,
    max_chars: usize,
) -> Option<String> {
    present(errors, field, value, mode)
        .and_then(|v| char_field(errors, field, &v, Some(max_chars), false))
}

/// A `CharField`: surrounding whitespace trimmed (DRF's `trim_whitespace`), not blank
/// unless `allow_blank`, at most `max_chars` characters.
pub fn char_field(
    errors: &mut FieldErrors, field: &str, value: &str, max_chars: Option<usize>, allow_blank: bool,
) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        if allow_blank {
            return Some(String::new());
        }
        errors.add(field, NOT_BLANK);
        return None;
    }
    if let Some(max) = max_chars
        && value.chars().count() > max
    {
        errors.add(field, format!("Ensure this field has no more than {max} characters."));
        return None;
    }
    Some(value.to_owned())
}

/// A `SlugField` (max 50): letters, numbers, underscores or hyphens.
pub fn slug_field(errors: &mut FieldErrors, field: &str, value: &str) -> Option<String> {
    let before = errors.clone();
    let value = value.trim();
    if value.is_empty() {
        errors.add(field, NOT_BLANK);
        return None;
    }
    if value.chars().count() > 50 {
        errors.add(field, "Ensure this field has no more than 50 characters.");
    }
    let valid = value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        errors.add(
            field,
            "Enter a valid \"slug\" consisting of letters, numbers, underscores or hyphens.",
        );
    }
    (errors == &before).then(|| value.to_owned())
}

/// `MinValueValidator` for integers.
pub fn min_int(errors: &mut FieldErrors, field: &str, value: i64, min: i64) -> Option<i64> {
    if value < min {
        errors.add(field, format!("Ensure this value is greater than or equal to {min}."));
        return None;
    }
    Some(value)
}

/// `MaxValueValidator` for integers.
pub fn max_int(errors: &mut FieldErrors, field: &str, value: i64, max: i64) -> Option<i64> {
    if value > max {
        errors.add(field, format!("Ensure this value is less than or equal to {max}."));
        return None;
    }
    Some(value)
}

/// A `DecimalField(max_digits, decimal_places)`, checked the way DRF's
/// `validate_precision` does (total digits, then decimal places, then whole digits; the
/// first failure is reported), followed by an optional minimum.
pub fn decimal_field(
    errors: &mut FieldErrors, field: &str, value: Decimal, max_digits: u32, decimal_places: u32,
    min: Option<Decimal>,
) -> Option<Decimal> {
    let digits = value.mantissa().unsigned_abs().to_string();
    let digit_count = u32::try_from(digits.len()).unwrap_or(u32::MAX);
    let scale = value.scale();
    let (total, whole, places) = if scale == 0 {
        (digit_count, digit_count, 0)
    } else if digit_count > scale {
        (digit_count, digit_count - scale, scale)
    } else {
        (scale, 0, scale)
    };
    let max_whole = max_digits - decimal_places;
    let message = if total > max_digits {
        Some(format!("Ensure that there are no more than {max_digits} digits in total."))
    } else if places > decimal_places {
        Some(format!("Ensure that there are no more than {decimal_places} decimal places."))
    } else if whole > max_whole {
        Some(format!(
            "Ensure that there are no more than {max_whole} digits before the decimal point."
        ))
    } else {
        None
    };
    if let Some(message) = message {
        errors.add(field, message);
        return None;
    }
    if let Some(min) = min
        && value < min
    {
        errors.add(field, format!("Ensure this value is greater than or equal to {min}."));
        return None;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn price(text: &str) -> Vec<String> {
        let mut errors = FieldErrors::new();
        let value = Decimal::from_str(text).unwrap_or_default();
        decimal_field(&mut errors, "unitPrice", value, 6, 2, Some(Decimal::ONE));
        errors.iter().flat_map(|(_, messages)| messages.clone()).collect()
    }

    #[test]
    fn decimal_rules_follow_drf() {
        assert!(price("1.00").is_empty());
        assert!(price("1").is_empty());
        assert!(price("9999.99").is_empty());
        assert_eq!(price("0.99"), ["Ensure this value is greater than or equal to 1."]);
        assert_eq!(price("10000.00"), ["Ensure that there are no more than 6 digits in total."]);
        assert_eq!(
            price("10000"),
            ["Ensure that there are no more than 4 digits before the decimal point."]
        );
        assert_eq!(price("1.005"), ["Ensure that there are no more than 2 decimal places."]);
    }

    #[test]
    fn slugs() {
        let check = |value: &str| {
            let mut errors = FieldErrors::new();
            slug_field(&mut errors, "slug", value).is_some()
        };
        assert!(check("hello-world_2"));
        assert!(!check("hello world"));
        assert!(!check(&"a".repeat(51)));
        assert!(check(&"a".repeat(50)));
    }

    #[test]
    fn char_fields_trim_and_check_length() {
        let mut errors = FieldErrors::new();
        assert_eq!(
            char_field(&mut errors, "title", "  Mug ", Some(255), false),
            Some("Mug".to_owned())
        );
        assert_eq!(char_field(&mut errors, "title", "   ", Some(255), false), None);
        assert_eq!(char_field(&mut errors, "name", &"é".repeat(256), Some(255), false), None);
        assert!(errors.has("title") && errors.has("name"));
    }
}
