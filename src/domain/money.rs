//! Exact money: integer minor units and an ISO currency code. Never floats.

use thiserror::Error;

/// Why a decimal amount could not be read.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum AmountError {
    #[error("`{0}` is not a decimal amount")]
    NotANumber(String),
    #[error("`{text}` has more than {exponent} decimal places")]
    TooPrecise { text: String, exponent: u32 },
    #[error("`{0}` is too large")]
    TooLarge(String),
}

/// Reads a decimal amount ("1,234.50", "-12", "835.5") exactly into minor units with
/// `exponent` decimal places. Thousands separators (`,`) and surrounding blanks are allowed.
pub fn parse_decimal(text: &str, exponent: u32) -> Result<i64, AmountError> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| *c != ',' && *c != '_')
        .collect();
    let (negative, digits) = match cleaned.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, cleaned.strip_prefix('+').unwrap_or(&cleaned)),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !all_digits(whole) || !all_digits(frac) {
        return Err(AmountError::NotANumber(text.to_string()));
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() > exponent as usize {
        return Err(AmountError::TooPrecise {
            text: text.to_string(),
            exponent,
        });
    }
    let scale = 10i128.pow(exponent);
    let whole_v: i128 = if whole.is_empty() {
        0
    } else {
        whole
            .parse()
            .map_err(|_| AmountError::TooLarge(text.to_string()))?
    };
    let frac_v: i128 = if frac.is_empty() {
        0
    } else {
        frac.parse::<i128>().unwrap_or(0) * 10i128.pow(exponent - frac.len() as u32)
    };
    let value = whole_v
        .checked_mul(scale)
        .and_then(|v| v.checked_add(frac_v))
        .ok_or_else(|| AmountError::TooLarge(text.to_string()))?;
    let value = if negative { -value } else { value };
    i64::try_from(value).map_err(|_| AmountError::TooLarge(text.to_string()))
}

/// Formats minor units as a plain decimal in major units: 83556 → "835.56".
pub fn format_decimal(minor: i64, exponent: u32) -> String {
    if exponent == 0 {
        return minor.to_string();
    }
    let scale = 10u64.pow(exponent);
    let abs = minor.unsigned_abs();
    let sign = if minor < 0 { "-" } else { "" };
    format!(
        "{sign}{}.{:0width$}",
        abs / scale,
        abs % scale,
        width = exponent as usize
    )
}

/// Formats minor units with thousands separators for people: 123456789 → "1,234,567.89".
pub fn format_grouped(minor: i64, exponent: u32) -> String {
    let plain = format_decimal(minor, exponent);
    let (sign, rest) = plain
        .strip_prefix('-')
        .map_or(("", plain.as_str()), |r| ("-", r));
    let (whole, frac) = rest
        .split_once('.')
        .map_or((rest, None), |(w, f)| (w, Some(f)));
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// Converts `minor` with a rate given in units of 10^-8, rounding half away from zero.
/// The store does the same (`round(x * rate / 1e8)` on numeric), so both agree.
pub fn convert(minor: i64, rate_e8: i64) -> i64 {
    let product = minor as i128 * rate_e8 as i128;
    let half = 50_000_000i128;
    let rounded = if product >= 0 {
        (product + half) / 100_000_000
    } else {
        (product - half) / 100_000_000
    };
    rounded as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly() {
        assert_eq!(parse_decimal("835.56", 2), Ok(83556));
        assert_eq!(parse_decimal("55.9", 2), Ok(5590));
        assert_eq!(parse_decimal(" 1,234.50 ", 2), Ok(123450));
        assert_eq!(parse_decimal("-12", 2), Ok(-1200));
        assert_eq!(parse_decimal(".5", 2), Ok(50));
        assert_eq!(parse_decimal("0.10", 2), Ok(10));
        assert_eq!(parse_decimal("7", 0), Ok(7));
    }

    #[test]
    fn rejects_what_is_not_an_amount() {
        assert!(matches!(
            parse_decimal("12.345", 2),
            Err(AmountError::TooPrecise { .. })
        ));
        assert!(matches!(
            parse_decimal("abc", 2),
            Err(AmountError::NotANumber(_))
        ));
        assert!(matches!(
            parse_decimal("", 2),
            Err(AmountError::NotANumber(_))
        ));
        assert!(matches!(
            parse_decimal("1e5", 2),
            Err(AmountError::NotANumber(_))
        ));
        assert!(matches!(
            parse_decimal("99999999999999999999", 2),
            Err(AmountError::TooLarge(_))
        ));
    }

    #[test]
    fn formats_both_ways() {
        assert_eq!(format_decimal(83556, 2), "835.56");
        assert_eq!(format_decimal(-5, 2), "-0.05");
        assert_eq!(format_decimal(0, 2), "0.00");
        assert_eq!(format_grouped(123456789, 2), "1,234,567.89");
        assert_eq!(format_grouped(-100000, 2), "-1,000.00");
        assert_eq!(format_grouped(99, 0), "99");
    }

    #[test]
    fn converts_half_away_from_zero() {
        assert_eq!(convert(100, 108_000_000), 108);
        assert_eq!(convert(1, 150_000_000), 2);
        assert_eq!(convert(-1, 150_000_000), -2);
        assert_eq!(convert(1, 149_999_999), 1);
    }
}
