//! A linear pre-check of how deeply a YAML text nests, run before any YAML parser sees it.
//!
//! The parsers behind serde_yaml (libyaml) and the locator (yaml-rust2) do work per token
//! that grows with the nesting depth (libyaml re-checks every open flow level's simple key;
//! the locator builds each node's path), so a 100 KB file of `[[[[...` 50,000 levels deep took
//! 16 s to be refused. This scan is one pass over the bytes and refuses such a file first.
//!
//! The depth counted is an upper estimate of the document's nesting: block levels from the
//! indentation (each deeper indentation, and each `- ` that starts a sequence item on a line,
//! opens one) plus flow levels (`[` and `{` that start a node, outside quotes, comments and
//! block scalars). Hand-written topologies and models nest fewer than 15 levels.

/// The deepest nesting accepted in a topology or model file. Below serde_yaml's own limit
/// (128), so this check, which names the line, is the one a user meets.
pub const MAX_NESTING: usize = 100;

/// Where a text first nests deeper than [`MAX_NESTING`]: 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooDeep {
    pub line: usize,
    pub column: usize,
}

/// The error for a file that nests deeper than [`MAX_NESTING`], or nothing.
pub fn refuse_deep(path: &std::path::Path, text: &str) -> Result<(), crate::error::InputError> {
    check(text, MAX_NESTING).map_err(|at| {
        crate::error::InputError::new(format!("the YAML nests more than {MAX_NESTING} levels deep"))
            .in_file(path)
            .at(at.line, at.column)
            .fix("flatten the structure: no topology or model needs this depth (the limit keeps parsing linear)")
    })
}

/// Checks that `text` nests at most `limit` levels deep, in one pass over its bytes.
pub fn check(text: &str, limit: usize) -> Result<(), TooDeep> {
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    // Inside a quoted scalar (its quote byte), which may span lines.
    let mut quote: Option<u8> = None;
    // Inside a block scalar (`|` or `>`): lines indented deeper than this are text.
    let mut block_scalar: Option<usize> = None;
    for (l, line) in text.lines().enumerate() {
        let b = line.as_bytes();
        let indent = b.iter().take_while(|&&c| c == b' ').count();
        let blank = indent == b.len() || b[indent] == b'#';
        if let Some(parent) = block_scalar {
            if blank || indent > parent {
                continue;
            }
            block_scalar = None;
        }
        let mut i = indent;
        if quote.is_none() && flow == 0 && !blank {
            // Block structure: drop the levels this line closes, open one for it, and one per
            // `- ` (or `? `) that starts a nested item on the same line.
            while indents.last().is_some_and(|&t| t >= indent) {
                indents.pop();
            }
            indents.push(indent);
            while i < b.len() && matches!(b[i], b'-' | b'?') && b.get(i + 1).is_none_or(|&c| c == b' ') {
                i += 1;
                while i < b.len() && b[i] == b' ' {
                    i += 1;
                }
                indents.push(i);
                if indents.len() > limit {
                    return Err(TooDeep { line: l + 1, column: i + 1 });
                }
            }
            if indents.len() > limit {
                return Err(TooDeep { line: l + 1, column: indent + 1 });
            }
        }
        // The last byte that was not a space: a flow collection opens a node only after one
        // of these (or at the start of a line).
        let mut prev = b' ';
        let mut at_start = true;
        while i < b.len() {
            let c = b[i];
            if let Some(q) = quote {
                if q == b'"' && c == b'\\' {
                    i += 2;
                    continue;
                }
                if c == q {
                    if q == b'\'' && b.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    quote = None;
                    prev = c;
                }
                i += 1;
                continue;
            }
            let starts_node = at_start || matches!(prev, b':' | b'-' | b'?' | b',' | b'[' | b'{');
            match c {
                b'#' if at_start || b[i - 1] == b' ' || b[i - 1] == b'\t' => break,
                b'"' | b'\'' if starts_node => quote = Some(c),
                b'[' | b'{' if starts_node => {
                    flow += 1;
                    if indents.len() + flow > limit {
                        return Err(TooDeep { line: l + 1, column: i + 1 });
                    }
                }
                b']' | b'}' if flow > 0 => flow -= 1,
                b'|' | b'>' if flow == 0 && starts_node => {
                    // A block scalar's header: the rest of the line is indicators.
                    block_scalar = Some(indent);
                    break;
                }
                _ => {}
            }
            if c != b' ' && c != b'\t' {
                // A bracket inside plain text (`y[[`) is text: what follows it starts no node.
                prev = if matches!(c, b'[' | b'{') && !starts_node { b'a' } else { c };
                at_start = false;
            }
            i += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_ok(text: &str, limit: usize) -> bool {
        check(text, limit).is_ok()
    }

    #[test]
    fn ordinary_documents_pass() {
        let doc = "name: x\ncomponents:\n  - name: a\n    params: {b: [1, 2, {c: 3}]}\n  - - - deep\n";
        assert!(depth_ok(doc, 6));
        for f in ["topologies/paper-chip.yaml", "models/paper-cnn.yaml", "topologies/memory/traffic.yaml"] {
            let text = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(f)).unwrap();
            assert!(depth_ok(&text, 15), "{f}");
        }
    }

    #[test]
    fn deep_flow_nesting_is_refused_where_it_passes_the_limit() {
        let deep = format!("a: {}1{}", "[".repeat(50_000), "]".repeat(50_000));
        assert_eq!(check(&deep, MAX_NESTING), Err(TooDeep { line: 1, column: 3 + MAX_NESTING }));
        let ok = format!("a: {}1{}", "[".repeat(10), "]".repeat(10));
        assert!(depth_ok(&ok, 11) && !depth_ok(&ok, 10));
    }

    #[test]
    fn deep_block_nesting_is_refused() {
        let mut doc = String::new();
        for d in 0..200 {
            doc.push_str(&" ".repeat(d));
            doc.push_str("k:\n");
        }
        assert_eq!(check(&doc, MAX_NESTING).map_err(|e| e.line), Err(MAX_NESTING + 1));
        let dashes = format!("{}x\n", "- ".repeat(500));
        assert!(!depth_ok(&dashes, MAX_NESTING));
    }

    #[test]
    fn brackets_in_text_do_not_count() {
        let doc = "a: 'x[[[[['\nb: \"[[[\\\"[[\"\nc: y[[[[z # [[[[\nd: |\n  [[[[[[[[\n  {{{{{{{\ne: 1\n";
        assert!(depth_ok(doc, 2));
    }
}
