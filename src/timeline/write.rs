//! Text of trace events: exact times and quoted names.

/// `ps` as microseconds with six decimals (exact: the trace format's `ts` and `dur` are
/// microseconds and allow fractions).
pub fn us(ps: u64) -> String {
    format!("{}.{:06}", ps / 1_000_000, ps % 1_000_000)
}

/// `s` as a JSON string (quoted, escaped).
pub fn json_str(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_exact_microseconds() {
        assert_eq!(us(0), "0.000000");
        assert_eq!(us(1), "0.000001");
        assert_eq!(us(1_234_567_890), "1234.567890");
        assert_eq!(us(u64::MAX), "18446744073709.551615");
    }

    #[test]
    fn names_are_escaped() {
        assert_eq!(json_str("a\"b\\c"), r#""a\"b\\c""#);
    }
}
