//! Custom scalars.

use async_graphql::{InputValueError, InputValueResult, Number, Scalar, ScalarType, Value};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// An exact amount of money. Written as a JSON number with at most two decimals
/// (`999.99`, `0`); read from a JSON number or a numeric string (`"12.50"`).
/// Arithmetic never goes through floating point: the value is a `rust_decimal::Decimal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Money(pub Decimal);

#[Scalar(name = "Money")]
impl ScalarType for Money {
    fn parse(value: Value) -> InputValueResult<Self> {
        let text = match &value {
            // serde_json prints the shortest representation that round-trips, so a JSON
            // `999.99` reads back as exactly "999.99".
            Value::Number(number) => number.to_string(),
            Value::String(text) => text.trim().to_owned(),
            _ => return Err(InputValueError::expected_type(value)),
        };
        parse_decimal(&text)
            .map(Money)
            .ok_or_else(|| InputValueError::custom("A valid number is required."))
    }

    fn to_value(&self) -> Value {
        let value = self.0.normalize();
        if value.scale() == 0
            && let Some(integer) = value.to_i64()
        {
            return Value::Number(Number::from(integer));
        }
        // Only the JSON rendering goes through f64; two-decimal amounts of this size
        // print back exactly (shortest round-trip representation).
        value
            .to_f64()
            .and_then(Number::from_f64)
            .map_or_else(|| Value::String(value.to_string()), Value::Number)
    }
}

/// A UUID in canonical hyphenated form (cart ids). Malformed input is refused with
/// DRF's `Must be a valid UUID.`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Uuid(pub uuid::Uuid);

#[Scalar(name = "UUID")]
impl ScalarType for Uuid {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => uuid::Uuid::parse_str(text.trim())
                .map(Uuid)
                .map_err(|_| InputValueError::custom("Must be a valid UUID.")),
            _ => Err(InputValueError::custom("Must be a valid UUID.")),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.hyphenated().to_string())
    }
}

/// Parses plain or exponent notation exactly (no silent rounding).
fn parse_decimal(text: &str) -> Option<Decimal> {
    if text.is_empty() {
        return None;
    }
    Decimal::from_str_exact(text).ok().or_else(|| Decimal::from_scientific(text).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn parse(value: Value) -> Option<Decimal> {
        Money::parse(value).ok().map(|money| money.0)
    }

    #[test]
    fn reads_numbers_and_strings_exactly() {
        let number = serde_json::from_str::<Number>("999.99").ok();
        assert_eq!(number.and_then(|n| parse(Value::Number(n))), Decimal::from_str("999.99").ok());
        assert_eq!(
            parse(Value::String("12.50".into())).map(|d| d.to_string()),
            Some("12.50".to_owned())
        );
        assert_eq!(parse(Value::String("abc".into())), None);
        assert_eq!(parse(Value::Boolean(true)), None);
    }

    #[test]
    fn writes_json_numbers() {
        let show = |text: &str| {
            Decimal::from_str(text).map(|d| Money(d).to_value().to_string()).unwrap_or_default()
        };
        assert_eq!(show("999.99"), "999.99");
        assert_eq!(show("0.00"), "0");
        assert_eq!(show("10.50"), "10.5");
        assert_eq!(show("10999.99"), "10999.99");
        assert_eq!(show("1.10"), "1.1");
    }
}
