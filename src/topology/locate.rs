//! Where each node of a YAML document is: a map from a path such as
//! `components[2].params.latency_ns` to its line and column. serde_yaml values carry no
//! positions, so problems found after deserialisation are located through this index.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use crate::error::Location;

/// Positions of the nodes of one YAML document (keys point at the key, sequence items at
/// the item).
#[derive(Clone, Debug, Default)]
pub struct Locator {
    positions: HashMap<String, Location>,
}

enum Frame {
    Map { path: String, key: Option<String> },
    Seq { path: String, next: usize },
}

struct Builder {
    stack: Vec<Frame>,
    positions: HashMap<String, Location>,
}

impl Builder {
    /// Path of the node that starts now, and records its position (for map values the key's
    /// position was recorded when the key was read).
    fn node_path(&mut self, mark: Marker) -> Option<String> {
        let loc = Location { line: mark.line(), column: mark.col() + 1 };
        match self.stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Seq { path, next }) => {
                let p = format!("{path}[{next}]");
                *next += 1;
                self.positions.entry(p.clone()).or_insert(loc);
                Some(p)
            }
            // No pending key: this node is itself a key.
            Some(Frame::Map { path, key }) => {
                key.take().map(|k| if path.is_empty() { k } else { format!("{path}.{k}") })
            }
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            // A mapping key: remember it and where it is.
            Event::Scalar(value, ..) if self.node_path(mark).is_none() => {
                let loc = Location { line: mark.line(), column: mark.col() + 1 };
                if let Some(Frame::Map { path, key }) = self.stack.last_mut() {
                    let p = if path.is_empty() { value.clone() } else { format!("{path}.{value}") };
                    self.positions.entry(p).or_insert(loc);
                    // The parser marks a block mapping at its first colon: its first key is
                    // where it starts (a flow mapping's `{` is earlier and stays).
                    self.positions.entry(path.clone()).and_modify(|l| *l = (*l).min(loc)).or_insert(loc);
                    *key = Some(value);
                }
            }
            Event::Scalar(..) => {}
            Event::Alias(_) => {
                self.node_path(mark);
            }
            Event::MappingStart(..) => {
                let path = self.node_path(mark).unwrap_or_default();
                self.stack.push(Frame::Map { path, key: None });
            }
            Event::SequenceStart(..) => {
                let path = self.node_path(mark).unwrap_or_default();
                self.stack.push(Frame::Seq { path, next: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

impl Locator {
    /// Indexes `text`; a document that does not parse gives an empty index (serde_yaml
    /// reports the syntax error itself, with its position).
    pub fn new(text: &str) -> Self {
        let mut b = Builder { stack: Vec::new(), positions: HashMap::new() };
        let mut parser = Parser::new_from_str(text);
        if parser.load(&mut b, false).is_err() {
            return Locator::default();
        }
        Locator { positions: b.positions }
    }

    /// Position of `path`, or of its nearest ancestor that has one.
    pub fn find(&self, path: &str) -> Option<Location> {
        let mut p = path;
        loop {
            if let Some(l) = self.positions.get(p) {
                return Some(*l);
            }
            let cut = p.rfind(['.', '['])?;
            p = &p[..cut];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_items_and_ancestors() {
        let text = "name: x\ncomponents:\n  - name: a\n    params:\n      latency_ns: 5\n  - {name: b, type: t}\n";
        let l = Locator::new(text);
        assert_eq!(l.find("name"), Some(Location { line: 1, column: 1 }));
        assert_eq!(l.find("components[0]"), Some(Location { line: 3, column: 5 }));
        assert_eq!(l.find("components[0].params.latency_ns"), Some(Location { line: 5, column: 7 }));
        assert_eq!(l.find("components[1].type"), Some(Location { line: 6, column: 15 }));
        // Unknown leaves fall back to the nearest known ancestor.
        assert_eq!(l.find("components[0].params.nope"), Some(Location { line: 4, column: 5 }));
    }
}
