//! The grid of a sweep: `--set KEY=V1,V2,...` arguments, their cartesian product as numbered
//! points, and the manifest that records both so that any machine can run point K alone.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::InputError;

/// A grid this large is a typo (a missing comma between two long lists is not), and its
/// manifest alone would not fit in memory.
pub const MAX_POINTS: usize = 1_000_000;

/// The key that sets the run's seed (`tasim run --seed`) instead of a parameter.
pub const SEED_KEY: &str = "seed";

/// One `--set` argument: a key and the values it takes (one value: a fixed override).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Axis {
    pub key: String,
    pub values: Vec<String>,
}

impl Axis {
    /// Parses `KEY=V1,V2,...`. Commas inside brackets or braces belong to a value
    /// (`--set a.list=[1,2],[3,4]` is two values).
    pub fn parse(arg: &str) -> Result<Axis, InputError> {
        let bad = |msg: &str| {
            InputError::new(format!("{msg} in `--set {arg}`"))
                .field(format!("--set {arg}"))
                .fix("write --set instance.param=V1,V2,... (for example --set gb.banks=1,2,4)")
        };
        let Some((key, raw)) = arg.split_once('=') else { return Err(bad("no `=`")) };
        let key = key.trim();
        if key.is_empty() {
            return Err(bad("no key before `=`"));
        }
        if key != SEED_KEY && !key.contains('.') {
            return Err(bad(&format!("`{key}` is not `instance.param` (nor `{SEED_KEY}`)")));
        }
        let values = split_values(raw);
        if values.iter().any(|v| v.is_empty()) {
            return Err(bad("an empty value"));
        }
        if let Some((_, v)) = values.iter().enumerate().find(|&(i, v)| values[..i].contains(v)) {
            return Err(bad(&format!("`{v}` given twice (two identical points)")));
        }
        if key == SEED_KEY {
            if let Some(v) = values.iter().find(|v| v.parse::<u64>().is_err()) {
                return Err(bad(&format!("seed `{v}` is not a whole number from 0 to 18446744073709551615")));
            }
        }
        Ok(Axis { key: key.to_string(), values })
    }

    /// True when the key takes more than one value (a swept key, not a fixed override).
    pub fn is_swept(&self) -> bool {
        self.values.len() > 1
    }

    /// True when every value is a finite number (the axis can be a plot's x).
    pub fn is_numeric(&self) -> bool {
        self.values.iter().all(|v| number(v).is_some())
    }
}

/// `v` as a finite number, if it is one.
pub fn number(v: &str) -> Option<f64> {
    v.trim().parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Splits at commas outside brackets and braces; values are trimmed.
fn split_values(raw: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for c in raw.chars() {
        match c {
            '[' | '{' => depth += 1,
            ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur.trim().to_string());
    out
}

/// One point of the grid: its stable index and the value of every key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Point {
    pub index: usize,
    pub params: BTreeMap<String, String>,
}

/// The expanded grid and what `merge` needs to rebuild the table and plots: everything a
/// cluster task or a later merge reads instead of the command line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// `tasim-sweep/1`.
    pub format: String,
    /// The topology file, as given (relative to where the sweep was started).
    pub topology: String,
    /// The `--set` arguments in command-line order.
    pub axes: Vec<Axis>,
    /// The key plotted on x (`--plot-x`, else the first numeric swept key).
    pub plot_x: Option<String>,
    /// Speedup and parallel efficiency against the smallest x (`--scaling`).
    pub scaling: bool,
    pub points: Vec<Point>,
}

pub const FORMAT: &str = "tasim-sweep/1";

impl Manifest {
    /// Expands the grid. The last `--set` varies fastest, as in nested loops written in
    /// command-line order; point K is the same on every machine.
    pub fn new(topology: &Path, sets: &[String], plot_x: Option<&str>, scaling: bool) -> Result<Manifest, InputError> {
        let mut axes: Vec<Axis> = Vec::new();
        for arg in sets {
            let axis = Axis::parse(arg)?;
            if axes.iter().any(|a| a.key == axis.key) {
                return Err(InputError::new(format!("`{}` is set twice", axis.key))
                    .field(format!("--set {arg}"))
                    .fix("give all its values in one --set KEY=V1,V2,..."));
            }
            axes.push(axis);
        }
        let n = axes.iter().try_fold(1usize, |n, a| n.checked_mul(a.values.len()).filter(|&n| n <= MAX_POINTS));
        let Some(n) = n else {
            return Err(InputError::new(format!("the grid has more than {MAX_POINTS} points"))
                .field("--set")
                .fix("sweep fewer values, or split the study into several sweeps"));
        };
        let plot_x = choose_plot_x(&axes, plot_x)?;
        if scaling && plot_x.is_none() {
            return Err(InputError::new("--scaling needs a numeric swept key on x (a chip count)")
                .field("--scaling")
                .fix("sweep the chip count, e.g. --set KEY=1,2,4,8, or give --plot-x KEY"));
        }
        let points = (0..n)
            .map(|index| {
                let mut rest = index;
                let mut params = BTreeMap::new();
                for a in axes.iter().rev() {
                    params.insert(a.key.clone(), a.values[rest % a.values.len()].clone());
                    rest /= a.values.len();
                }
                Point { index, params }
            })
            .collect();
        Ok(Manifest {
            format: FORMAT.to_string(),
            topology: topology.to_string_lossy().into_owned(),
            axes,
            plot_x,
            scaling,
            points,
        })
    }

    /// The swept keys other than x: each combination of their values is one plotted series.
    pub fn series_keys(&self) -> Vec<&str> {
        self.axes
            .iter()
            .filter(|a| a.is_swept() && Some(&a.key) != self.plot_x.as_ref())
            .map(|a| a.key.as_str())
            .collect()
    }

    /// Digits of the largest index: point directories sort in order (`points/007`).
    pub fn width(&self) -> usize {
        self.points.len().saturating_sub(1).to_string().len()
    }
}

/// Arguments of `tasim run` that give point `p` its values: `--set KEY=V`, or `--seed V`.
pub fn run_args(p: &Point) -> Vec<String> {
    let mut args = Vec::new();
    for (k, v) in &p.params {
        if k == SEED_KEY {
            args.extend(["--seed".to_string(), v.clone()]);
        } else {
            args.extend(["--set".to_string(), format!("{k}={v}")]);
        }
    }
    args
}

/// The `--set` overrides of `p` as `topology::load` takes them (the seed apart).
pub fn overrides(p: &Point) -> Vec<String> {
    p.params.iter().filter(|(k, _)| k.as_str() != SEED_KEY).map(|(k, v)| format!("{k}={v}")).collect()
}

fn choose_plot_x(axes: &[Axis], wanted: Option<&str>) -> Result<Option<String>, InputError> {
    match wanted {
        Some(key) => match axes.iter().find(|a| a.key == key) {
            Some(a) if a.is_swept() && a.is_numeric() => Ok(Some(key.to_string())),
            Some(_) => Err(InputError::new(format!("--plot-x {key}: its values are not several numbers"))
                .field("--plot-x")
                .fix("plot against a key swept over numbers, e.g. --set gb.banks=1,2,4")),
            None => {
                let keys: Vec<&str> = axes.iter().map(|a| a.key.as_str()).collect();
                let e = InputError::new(format!("--plot-x {key}: no --set has that key")).field("--plot-x");
                Err(match crate::suggest::closest(key, keys.iter().copied()) {
                    Some(c) => e.fix(format!("did you mean `{c}`?")),
                    None => e.fix(format!("use one of the swept keys: {}", keys.join(", "))),
                })
            }
        },
        None => Ok(axes.iter().find(|a| a.is_swept() && a.is_numeric()).map(|a| a.key.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(sets: &[&str]) -> Result<Manifest, InputError> {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        Manifest::new(Path::new("t.yaml"), &sets, None, false)
    }

    #[test]
    fn last_key_varies_fastest() {
        let m = manifest(&["a.x=1,2", "b.y=p,q,r"]).unwrap();
        let got: Vec<(usize, String, String)> =
            m.points.iter().map(|p| (p.index, p.params["a.x"].clone(), p.params["b.y"].clone())).collect();
        let want = [(0, "1", "p"), (1, "1", "q"), (2, "1", "r"), (3, "2", "p"), (4, "2", "q"), (5, "2", "r")];
        assert_eq!(got, want.map(|(i, a, b)| (i, a.to_string(), b.to_string())));
        assert_eq!(m.plot_x.as_deref(), Some("a.x"));
        assert_eq!(m.series_keys(), vec!["b.y"]);
    }

    #[test]
    fn brackets_keep_their_commas() {
        assert_eq!(split_values("[1,2], {a: 1, b: 2},3"), vec!["[1,2]", "{a: 1, b: 2}", "3"]);
    }

    #[test]
    fn bad_sets_are_input_errors_naming_the_argument() {
        for (arg, says) in [
            ("gb.banks", "no `=`"),
            ("=1,2", "no key"),
            ("banks=1", "not `instance.param`"),
            ("gb.banks=1,,2", "empty value"),
            ("seed=1,x", "not a whole number"),
        ] {
            let e = manifest(&[arg]).unwrap_err();
            assert!(e.message.contains(says), "{arg}: {e}");
            assert_eq!(e.field.as_deref(), Some(format!("--set {arg}").as_str()));
            assert!(e.fix.is_some());
        }
        let e = manifest(&["a.x=1", "a.x=2"]).unwrap_err();
        assert!(e.message.contains("set twice"), "{e}");
    }

    #[test]
    fn grid_size_is_bounded() {
        let v: Vec<String> = (0..1001).map(|i| i.to_string()).collect();
        let arg = format!("a.x={}", v.join(","));
        let e = manifest(&[&arg, &arg.replace("a.x", "b.x")]).unwrap_err();
        assert!(e.message.contains("more than"), "{e}");
    }

    #[test]
    fn plot_x_must_be_a_numeric_swept_key() {
        let sets = vec!["a.x=p,q".to_string(), "b.y=1,2".to_string()];
        let m = Manifest::new(Path::new("t"), &sets, None, false).unwrap();
        assert_eq!(m.plot_x.as_deref(), Some("b.y"));
        assert!(Manifest::new(Path::new("t"), &sets, Some("a.x"), false).is_err());
        let e = Manifest::new(Path::new("t"), &sets, Some("b.z"), false).unwrap_err();
        assert!(e.fix.unwrap().contains("b.y"));
        let fixed = vec!["a.x=p,q".to_string()];
        assert!(Manifest::new(Path::new("t"), &fixed, None, true).is_err());
    }

    #[test]
    fn seed_becomes_the_run_seed() {
        let m = manifest(&["seed=3", "a.x=1"]).unwrap();
        assert_eq!(run_args(&m.points[0]), vec!["--set", "a.x=1", "--seed", "3"]);
        assert_eq!(overrides(&m.points[0]), vec!["a.x=1"]);
    }
}
