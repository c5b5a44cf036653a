//! "Did you mean ...?" for misspelt names.

/// Levenshtein distance between two short strings.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest candidate to `name`, if it is close enough to be a likely typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    let candidates: Vec<&str> = candidates.into_iter().collect();
    // A field named without its unit suffix (`latency` for `latency_ns`) is the likeliest slip.
    if let Some(c) = candidates.iter().find(|c| c.strip_prefix(name).is_some_and(|rest| rest.starts_with('_'))) {
        return Some(c);
    }
    candidates
        .into_iter()
        .map(|c| (distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// A fix sentence: "did you mean `x`?" or the list of valid names.
pub fn fix_for<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str> + Clone) -> String {
    match closest(name, candidates.clone()) {
        Some(c) => format!("did you mean `{c}`?"),
        None => {
            let all: Vec<String> = candidates.into_iter().map(|c| format!("`{c}`")).collect();
            if all.is_empty() {
                "there is nothing of that kind here".into()
            } else {
                format!("use one of {}", all.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_names_only() {
        let types = ["dram_controller", "global_buffer", "noc"];
        assert_eq!(closest("dram_controler", types), Some("dram_controller"));
        assert_eq!(closest("nocc", types), Some("noc"));
        assert_eq!(closest("cpu", types), None);
        assert_eq!(closest("service", ["service_ps", "protocol"]), Some("service_ps"));
        assert_eq!(fix_for("cpu", ["a", "b"]), "use one of `a`, `b`");
    }
}
