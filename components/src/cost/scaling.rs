//! Technology scaling from 65 nm, after Stillmaker & Baas, "Scaling equations for the accurate
//! prediction of CMOS device performance from 180 nm to 7 nm", Integration 58:74–81, 2017.
//!
//! Every cost model and coefficient of the simulator is at 65 nm (the paper chip's node); a
//! chip at another node multiplies its dynamic energies, leakage and areas by the factors
//! here. **Sources** (the project's technology reference sheet §4): the area factors and the
//! energy and power polynomials as `UCLA nodeScale@a912c60` and Accelergy's
//! `hwcomponents@e67d7f1` encode them (the 65 nm and HP32 energy rows are confirmed by the
//! authors' erratum). **Method**, as `hwcomponents` does it: low-power rows at 45 and 32 nm,
//! high-performance rows at 20 to 7 nm, both nodes at 0.8 V (the voltage dependence within a
//! node stays the simulator's V² for dynamic energy and its leakage law); nodes between the
//! paper's are interpolated linearly in the node (28 nm: energy ×0.414, area ×0.253, as the
//! reference sheet's §4d lists for `hwcomponents`; another Accelergy version gives area ×0.197
//! there). **Leakage** has no factor of its own in the paper: it is scaled here by the power
//! factor (dynamic power at the node's speed) at 0.8 V, an **assumption**.

/// Evaluation voltage of the polynomials for both nodes (Accelergy `hwcomponents`' default).
pub const SCALING_V: f64 = 0.8;

/// The nodes with their own row: node (nm), area factor from 65 nm, energy polynomial
/// (e, f, g: e·V² + f·V + g), power polynomial (p, q, r). Reference sheet §4a and §4b.
const NODES: [(f64, f64, [f64; 3], [f64; 3]); 8] = [
    (65.0, 1.0, [3.755, -4.398, 1.975], [12890.0, -10510.0, 4362.0]),
    // LP45, LP32.
    (45.0, 0.66, [1.103, -0.362, 0.2767], [6297.0, -3009.0, 1124.0]),
    (32.0, 0.31, [0.9559, -0.7823, 0.471], [4557.0, -3037.0, 1323.0]),
    // HP20, HP16, HP14, HP10, HP7.
    (20.0, 0.14, [0.373, -0.1582, 0.04104], [2922.0, -1286.0, 299.9]),
    (16.0, 0.13, [0.2958, -0.1241, 0.03024], [2133.0, -882.6, 197.7]),
    (14.0, 0.12, [0.2363, -0.09675, 0.02239], [1675.0, -711.0, 159.0]),
    (10.0, 0.068, [0.2068, -0.09311, 0.02375], [1456.0, -621.6, 143.8]),
    (7.0, 0.039, [0.1776, -0.09097, 0.02447], [1179.0, -515.7, 123.4]),
];

/// The nodes the model covers, nm.
pub const NODE_NM_RANGE: (f64, f64) = (7.0, 65.0);

fn poly(c: [f64; 3], v: f64) -> f64 {
    c[0] * v * v + c[1] * v + c[2]
}

/// Factors that take a 65 nm figure to a chip's node.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Technology {
    /// The node, nm.
    pub node_nm: f64,
    /// Multiplies dynamic energy.
    pub energy: f64,
    /// Multiplies leakage power.
    pub leakage: f64,
    /// Multiplies area.
    pub area: f64,
}

impl Default for Technology {
    /// 65 nm: every factor 1.
    fn default() -> Self {
        Technology { node_nm: 65.0, energy: 1.0, leakage: 1.0, area: 1.0 }
    }
}

impl Technology {
    /// The factors at `node_nm` (7 to 65 nm), or why not.
    pub fn at(node_nm: f64) -> Result<Technology, String> {
        let (lo, hi) = NODE_NM_RANGE;
        if !(node_nm.is_finite() && (lo..=hi).contains(&node_nm)) {
            return Err(format!("a {node_nm} nm node is outside the scaling model's {lo} to {hi} nm"));
        }
        let (_, _, e65, p65) = NODES[0];
        let factors = |(_, area, e, p): (f64, f64, [f64; 3], [f64; 3])| {
            [poly(e, SCALING_V) / poly(e65, SCALING_V), poly(p, SCALING_V) / poly(p65, SCALING_V), area]
        };
        // NODES runs from 65 nm down: find the pair around `node_nm`.
        let i = NODES.iter().position(|n| n.0 <= node_nm).expect("7 nm is the last row");
        let f = if NODES[i].0 == node_nm || i == 0 {
            factors(NODES[i])
        } else {
            let (a, b) = (factors(NODES[i - 1]), factors(NODES[i]));
            let t = (node_nm - NODES[i - 1].0) / (NODES[i].0 - NODES[i - 1].0);
            [0, 1, 2].map(|k| a[k] + t * (b[k] - a[k]))
        };
        Ok(Technology { node_nm, energy: f[0], leakage: f[1], area: f[2] })
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[test]
    fn at_65_nm_nothing_changes() {
        assert_eq!(Technology::at(65.0).unwrap(), Technology::default());
    }

    /// Reference sheet §4d: what `hwcomponents` computes from 65 nm at 0.8 V (energy, area).
    #[rstest]
    #[case(45.0, 0.806, 0.66)]
    #[case(32.0, 0.531, 0.31)]
    #[case(28.0, 0.414, 0.253)]
    #[case(16.0, 0.140, 0.13)]
    #[case(7.0, 0.076, 0.039)]
    fn matches_accelergys_factors(#[case] node: f64, #[case] energy: f64, #[case] area: f64) {
        let t = Technology::at(node).unwrap();
        assert!((t.energy - energy).abs() < 0.0015, "{node} nm energy {}", t.energy);
        assert!((t.area - area).abs() < 0.0015, "{node} nm area {}", t.area);
        assert!(t.leakage > 0.0 && t.leakage < 1.0);
    }

    #[rstest]
    #[case(6.9)]
    #[case(90.0)]
    #[case(f64::NAN)]
    fn refuses_nodes_outside_the_table(#[case] node: f64) {
        assert!(Technology::at(node).unwrap_err().contains("outside the scaling model"));
    }
}
