//! Collective schedules as plain data: for one rank, the list of steps of an all-reduce
//! (send this element range to that peer; receive that range from another and reduce or copy
//! it). An algorithm only produces the schedule; [`super::engine`] executes any schedule over
//! ports, so a test can print a schedule and check it against the α-β cost without a
//! simulation (the ASTRA-sim system layer, written as data instead of callbacks).
//!
//! Multi-dimensional systems run the hierarchical scheme: reduce-scatter along dimension 0,
//! then along dimension 1 on the block dimension 0 left, ..., then all-gather in reverse order
//! (for two dimensions: reduce-scatter on 1, all-reduce on 2 over n/p1, all-gather on 1).
//!
//! α-β (Hockney) costs of the algorithms for p ranks, n bytes, per-message latency α, per-byte
//! time β and per-byte reduction time γ (Thakur, Rabenseifner & Gropp, "Optimization of
//! Collective Communication Operations in MPICH", IJHPCA 19(1), 2005; Patarasuk & Yuan,
//! "Bandwidth optimal all-reduce algorithms for clusters of workstations", JPDC 69(2), 2009):
//! see [`alpha_beta_ns`].

use std::ops::Range;

/// The wiring of one network dimension, as the collective engine sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DimKind {
    /// Links to the next chip only.
    Ring,
    /// Links to the next and the previous chip.
    BidirectionalRing,
    /// A link to every other chip of the dimension.
    FullyConnected,
    /// One link to a switch that reaches every other chip of the dimension.
    Switch,
}

impl DimKind {
    pub const NAMES: [&'static str; 4] = ["ring", "bidirectional_ring", "fully_connected", "switch"];

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "ring" => DimKind::Ring,
            "bidirectional_ring" => DimKind::BidirectionalRing,
            "fully_connected" => DimKind::FullyConnected,
            "switch" => DimKind::Switch,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

/// The all-reduce algorithm run along one dimension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// Reduce-scatter then all-gather around a ring: 2(p−1) steps of n/p.
    Ring,
    /// Half of the data around the ring each way.
    BidirectionalRing,
    /// Rabenseifner: reduce-scatter by recursive halving, all-gather by recursive doubling;
    /// p must be a power of two and every pair must be connected (switch, fully connected).
    HalvingDoubling,
    /// Two binary trees, each reducing half of the data to its root and broadcasting it back
    /// (Sanders, Speck & Träff, "Two-tree algorithms for full bandwidth broadcast, reduction
    /// and scan", Parallel Computing 35(12), 2009; NCCL's double binary tree): tree 2 is tree
    /// 1 with the ranks mirrored, so most leaves of one are inner nodes of the other. Every
    /// pair must be connected (switch, fully connected).
    DoubleBinaryTree,
}

impl Algorithm {
    pub const NAMES: [&'static str; 4] = ["ring", "bidirectional_ring", "halving_doubling", "double_binary_tree"];

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "ring" => Algorithm::Ring,
            "bidirectional_ring" => Algorithm::BidirectionalRing,
            "halving_doubling" => Algorithm::HalvingDoubling,
            "double_binary_tree" => Algorithm::DoubleBinaryTree,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// The algorithm a dimension runs when none is asked for: the ring on rings, halving-
    /// doubling where every pair is connected and p is a power of two, else the ring.
    pub fn default_for(kind: DimKind, size: usize) -> Self {
        match kind {
            DimKind::Ring => Algorithm::Ring,
            DimKind::BidirectionalRing => Algorithm::BidirectionalRing,
            DimKind::FullyConnected | DimKind::Switch if size.is_power_of_two() => Algorithm::HalvingDoubling,
            DimKind::FullyConnected | DimKind::Switch => Algorithm::Ring,
        }
    }

    /// Why this algorithm cannot run on a dimension of `kind` and `size`, if it cannot.
    pub fn misfit(self, kind: DimKind, size: usize) -> Option<String> {
        match (self, kind) {
            (Algorithm::HalvingDoubling, _) if !size.is_power_of_two() => {
                Some(format!("halving-doubling needs a power-of-two number of chips in the dimension, not {size}"))
            }
            (Algorithm::HalvingDoubling, DimKind::Ring | DimKind::BidirectionalRing) if size > 2 => {
                Some("halving-doubling exchanges with chips 2^k apart, which a ring does not connect".into())
            }
            (Algorithm::DoubleBinaryTree, DimKind::Ring | DimKind::BidirectionalRing) if size > 2 => {
                Some("a tree exchanges between parents and children anywhere in the dimension, which a ring does not connect".into())
            }
            (Algorithm::BidirectionalRing, DimKind::Ring) if size > 2 => {
                Some("a bidirectional ring needs links both ways; this ring has links to the next chip only".into())
            }
            _ => None,
        }
    }
}

/// One dimension as a schedule needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dim {
    pub kind: DimKind,
    pub size: usize,
    pub algorithm: Algorithm,
}

/// What a received range does to the local data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Apply {
    /// Element-wise sum (the max part of the vector: element-wise max).
    Reduce,
    /// Overwrite (all-gather).
    Copy,
}

/// One transfer of a step: to or from `peer` (a rank), the elements `range`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    pub peer: usize,
    pub range: Range<usize>,
    /// Around a ring: +1 towards the next chip, −1 towards the previous; 0: direct.
    pub dir: i8,
}

/// One step of a rank's schedule: what it sends and what it receives. Phase names the part of
/// the collective for reports: `d<k>.reduce_scatter` or `d<k>.all_gather`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub dim: usize,
    pub apply: Apply,
    pub sends: Vec<Transfer>,
    pub recvs: Vec<Transfer>,
}

/// Rank `rank`'s coordinates: dimension 0 varies fastest.
pub fn coords(dims: &[Dim], rank: usize) -> Vec<usize> {
    let sizes: Vec<usize> = dims.iter().map(|d| d.size).collect();
    coords_in(&sizes, rank)
}

/// The rank with coordinate `c` in dimension `d` and `rank`'s coordinates elsewhere.
pub fn with_coord(dims: &[Dim], rank: usize, d: usize, c: usize) -> usize {
    let sizes: Vec<usize> = dims.iter().map(|d| d.size).collect();
    with_coord_in(&sizes, rank, d, c)
}

/// [`coords`] for dimensions given by their sizes alone (the topology's system expansion
/// wires chips with the same numbering).
pub fn coords_in(sizes: &[usize], rank: usize) -> Vec<usize> {
    let mut r = rank;
    sizes
        .iter()
        .map(|&size| {
            let c = r % size;
            r /= size;
            c
        })
        .collect()
}

/// [`with_coord`] for dimensions given by their sizes alone.
pub fn with_coord_in(sizes: &[usize], rank: usize, d: usize, c: usize) -> usize {
    let stride: usize = sizes[..d].iter().product();
    let own = (rank / stride) % sizes[d];
    rank - own * stride + c * stride
}

/// Splits `r` into `p` near-equal consecutive blocks; block `i`.
fn block(r: &Range<usize>, p: usize, i: usize) -> Range<usize> {
    let n = r.len();
    r.start + n * i / p..r.start + n * (i + 1) / p
}

/// Ring reduce-scatter of `range` among the ranks of dimension `d`; returns the steps and the
/// block this rank owns afterwards. `dir` +1 sends to the next chip, −1 to the previous.
fn ring_reduce_scatter(
    dims: &[Dim],
    rank: usize,
    d: usize,
    range: &Range<usize>,
    dir: isize,
) -> (Vec<Step>, Range<usize>) {
    let p = dims[d].size;
    let i = coords(dims, rank)[d];
    let at = |k: isize| ((i as isize + k).rem_euclid(p as isize)) as usize;
    let (next, prev) = (with_coord(dims, rank, d, at(dir)), with_coord(dims, rank, d, at(-dir)));
    let steps = (0..p - 1)
        .map(|s| {
            let s = s as isize;
            Step {
                dim: d,
                apply: Apply::Reduce,
                sends: vec![Transfer { peer: next, range: block(range, p, at(-dir * s)), dir: dir as i8 }],
                recvs: vec![Transfer { peer: prev, range: block(range, p, at(-dir * (s + 1))), dir: dir as i8 }],
            }
        })
        .collect();
    (steps, block(range, p, at(dir)))
}

/// Ring all-gather of `range` whose block `at(dir)` this rank owns (the mirror of
/// [`ring_reduce_scatter`]).
fn ring_all_gather(dims: &[Dim], rank: usize, d: usize, range: &Range<usize>, dir: isize) -> Vec<Step> {
    let p = dims[d].size;
    let i = coords(dims, rank)[d];
    let at = |k: isize| ((i as isize + k).rem_euclid(p as isize)) as usize;
    let (next, prev) = (with_coord(dims, rank, d, at(dir)), with_coord(dims, rank, d, at(-dir)));
    (0..p - 1)
        .map(|s| {
            let s = s as isize;
            Step {
                dim: d,
                apply: Apply::Copy,
                sends: vec![Transfer { peer: next, range: block(range, p, at(dir * (1 - s))), dir: dir as i8 }],
                recvs: vec![Transfer { peer: prev, range: block(range, p, at(-dir * s)), dir: dir as i8 }],
            }
        })
        .collect()
}

/// Two steps lists run side by side (step k of both in one step).
fn zip(a: Vec<Step>, b: Vec<Step>) -> Vec<Step> {
    a.into_iter()
        .zip(b)
        .map(|(mut x, y)| {
            x.sends.extend(y.sends);
            x.recvs.extend(y.recvs);
            x
        })
        .collect()
}

/// Reduce-scatter of `range` along dimension `d`: steps and what this rank owns after them
/// (one range, or two for the bidirectional ring).
fn reduce_scatter(dims: &[Dim], rank: usize, d: usize, range: &Range<usize>) -> (Vec<Step>, Vec<Range<usize>>) {
    match dims[d].algorithm {
        Algorithm::Ring => {
            let (s, own) = ring_reduce_scatter(dims, rank, d, range, 1);
            (s, vec![own])
        }
        Algorithm::BidirectionalRing => {
            let mid = range.start + range.len() / 2;
            let (a, own_a) = ring_reduce_scatter(dims, rank, d, &(range.start..mid), 1);
            let (b, own_b) = ring_reduce_scatter(dims, rank, d, &(mid..range.end), -1);
            (zip(a, b), vec![own_a, own_b])
        }
        Algorithm::DoubleBinaryTree => unreachable!("a tree dimension is a whole all-reduce"),
        Algorithm::HalvingDoubling => {
            let p = dims[d].size;
            let i = coords(dims, rank)[d];
            let mut cur = range.clone();
            let mut steps = Vec::new();
            let mut dist = p / 2;
            while dist >= 1 {
                let partner = with_coord(dims, rank, d, i ^ dist);
                let mid = cur.start + cur.len() / 2;
                let (lo, hi) = (cur.start..mid, mid..cur.end);
                let (keep, give) = if i & dist == 0 { (lo, hi) } else { (hi, lo) };
                steps.push(Step {
                    dim: d,
                    apply: Apply::Reduce,
                    sends: vec![Transfer { peer: partner, range: give, dir: 0 }],
                    recvs: vec![Transfer { peer: partner, range: keep.clone(), dir: 0 }],
                });
                cur = keep;
                dist /= 2;
            }
            (steps, vec![cur])
        }
    }
}

/// All-gather along dimension `d` of `range`, of which this rank owns `own` (what
/// [`reduce_scatter`] left it).
fn all_gather(dims: &[Dim], rank: usize, d: usize, range: &Range<usize>) -> Vec<Step> {
    match dims[d].algorithm {
        Algorithm::Ring => ring_all_gather(dims, rank, d, range, 1),
        Algorithm::BidirectionalRing => {
            let mid = range.start + range.len() / 2;
            zip(
                ring_all_gather(dims, rank, d, &(range.start..mid), 1),
                ring_all_gather(dims, rank, d, &(mid..range.end), -1),
            )
        }
        Algorithm::DoubleBinaryTree => unreachable!("a tree dimension is a whole all-reduce"),
        Algorithm::HalvingDoubling => {
            // The halving steps in reverse: each rank sends what it holds and receives the
            // partner's half.
            let (rs, _) = reduce_scatter(dims, rank, d, range);
            rs.into_iter()
                .rev()
                .map(|s| Step {
                    dim: d,
                    apply: Apply::Copy,
                    sends: vec![Transfer { peer: s.recvs[0].peer, range: s.recvs[0].range.clone(), dir: 0 }],
                    recvs: vec![Transfer { peer: s.sends[0].peer, range: s.sends[0].range.clone(), dir: 0 }],
                })
                .collect()
        }
    }
}

/// A double-binary-tree all-reduce of `range` along dimension `d` (a whole all-reduce: the
/// trees leave every rank with the full result, so nothing is scattered).
fn double_binary_tree(dims: &[Dim], rank: usize, d: usize, range: &Range<usize>) -> Vec<Step> {
    let p = dims[d].size;
    let i = coords(dims, rank)[d];
    let mid = range.start + range.len() / 2;
    let depth_max = usize::BITS as usize - 1 - p.leading_zeros() as usize; // ⌊lg p⌋
    let mut steps: Vec<Step> = (0..2 * depth_max + 1)
        .map(|k| Step {
            dim: d,
            apply: if k < depth_max { Apply::Reduce } else { Apply::Copy },
            sends: vec![],
            recvs: vec![],
        })
        .collect();
    // Tree t labels rank i as `label`; heap order: parent (j−1)/2, children 2j+1, 2j+2.
    for (t, half) in [(0, range.start..mid), (1, mid..range.end)] {
        let label = |x: usize| if t == 0 { x } else { p - 1 - x };
        let rank_of = |j: usize| with_coord(dims, rank, d, label(j));
        let j = label(i);
        let depth = usize::BITS as usize - 1 - (j + 1).leading_zeros() as usize;
        let children: Vec<usize> = [2 * j + 1, 2 * j + 2].into_iter().filter(|c| *c < p).collect();
        // Reduce: children send at step depth_max − depth − 1... a node sends up at step
        // depth_max − depth, having received its children's at the step before.
        if j > 0 {
            let up = depth_max - depth;
            steps[up].sends.push(Transfer { peer: rank_of((j - 1) / 2), range: half.clone(), dir: 0 });
            // Broadcast: from the parent at step depth_max + depth.
            steps[depth_max + depth].recvs.push(Transfer { peer: rank_of((j - 1) / 2), range: half.clone(), dir: 0 });
        }
        for &c in &children {
            steps[depth_max - depth - 1].recvs.push(Transfer { peer: rank_of(c), range: half.clone(), dir: 0 });
            steps[depth_max + depth + 1].sends.push(Transfer { peer: rank_of(c), range: half.clone(), dir: 0 });
        }
    }
    // Sends up the tree are reductions' inputs; a step's `apply` covers its receives: the
    // reduce steps are those before depth_max.
    steps
}

/// The all-reduce schedule of `rank` for a vector of `n` elements: hierarchical over the
/// dimensions. Dimensions of size 1 take no steps; a double-binary-tree dimension all-reduces
/// whatever it is given (the dimensions after it see the whole range).
pub fn all_reduce(dims: &[Dim], rank: usize, n: usize) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut ranges: Vec<Range<usize>> = std::iter::once(0..n).collect();
    let mut stack = Vec::new();
    for d in 0..dims.len() {
        if dims[d].size == 1 {
            continue;
        }
        if dims[d].algorithm == Algorithm::DoubleBinaryTree {
            steps.extend(merge(ranges.iter().map(|r| double_binary_tree(dims, rank, d, r)).collect()));
            continue;
        }
        let mut owned = Vec::new();
        let mut parts: Vec<Vec<Step>> = Vec::new();
        for r in &ranges {
            let (s, own) = reduce_scatter(dims, rank, d, r);
            parts.push(s);
            owned.extend(own);
        }
        steps.extend(merge(parts));
        stack.push((d, ranges));
        ranges = owned;
    }
    while let Some((d, rs)) = stack.pop() {
        if dims[d].algorithm == Algorithm::DoubleBinaryTree {
            continue;
        }
        steps.extend(merge(rs.iter().map(|r| all_gather(dims, rank, d, r)).collect()));
    }
    steps
}

/// Step lists of independent ranges run side by side.
fn merge(parts: Vec<Vec<Step>>) -> Vec<Step> {
    parts.into_iter().reduce(zip).unwrap_or_default()
}

/// Link parameters of a dimension for the α-β model: α per message (ns), β per byte (ns).
#[derive(Clone, Copy, Debug)]
pub struct DimCost {
    pub alpha_ns: f64,
    pub beta_ns_per_byte: f64,
}

/// The α-β (Hockney) time of an all-reduce of `n_bytes` on `dims` (ns), with reduction time
/// `gamma_ns_per_byte` per byte reduced. Per dimension of p chips on `m` bytes (m = n for
/// the first, n/p1 for the second, ...), the reduce-scatter and the all-gather each cost
/// - ring: (p−1)α + ((p−1)/p)·m·β (+ ((p−1)/p)·m·γ for the reduce-scatter);
/// - bidirectional ring: (p−1)α + ((p−1)/p)·(m/2)·β (two rings on the halves, at once);
/// - halving-doubling: lg p·α + ((p−1)/p)·m·β (+ the same γ term).
///
/// So a one-dimensional ring all-reduce is 2(p−1)α + 2((p−1)/p)nβ + ((p−1)/p)nγ (Thakur,
/// Rabenseifner & Gropp 2005; Patarasuk & Yuan 2009), and the 2-D hierarchical scheme is
/// 2(p1−1)α1 + 2((p1−1)/p1)nβ1 + 2(p2−1)α2 + 2((p2−1)/p2)(n/p1)β2 plus the γ terms.
pub fn alpha_beta_ns(dims: &[Dim], costs: &[DimCost], n_bytes: f64, gamma_ns_per_byte: f64) -> f64 {
    let mut m = n_bytes;
    let mut t = 0.0;
    for (d, c) in dims.iter().zip(costs) {
        let p = d.size as f64;
        if d.size == 1 {
            continue;
        }
        let share = (p - 1.0) / p * m;
        let (msgs, wire) = match d.algorithm {
            Algorithm::Ring => (p - 1.0, share),
            Algorithm::BidirectionalRing => (p - 1.0, share / 2.0),
            Algorithm::HalvingDoubling => (p.log2(), share),
            Algorithm::DoubleBinaryTree => {
                // A rough estimate, not checked against the simulation: ⌊lg p⌋ levels up and
                // down, each moving both trees' halves (m) over a chip's one port, unpipelined.
                let levels = p.log2().floor();
                t += 2.0 * levels * (c.alpha_ns + m * c.beta_ns_per_byte) + levels * m * gamma_ns_per_byte;
                continue;
            }
        };
        // One adder reduces both halves of a bidirectional ring.
        t += 2.0 * (msgs * c.alpha_ns + wire * c.beta_ns_per_byte) + share * gamma_ns_per_byte;
        m /= p;
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dims(spec: &[(DimKind, usize, Algorithm)]) -> Vec<Dim> {
        spec.iter().map(|&(kind, size, algorithm)| Dim { kind, size, algorithm }).collect()
    }

    /// Runs every rank's schedule on real vectors, step by step (all ranks' step k at once),
    /// and returns each rank's result.
    fn execute(dims: &[Dim], inputs: &[Vec<i64>]) -> Vec<Vec<i64>> {
        let p = inputs.len();
        let n = inputs[0].len();
        let scheds: Vec<Vec<Step>> = (0..p).map(|r| all_reduce(dims, r, n)).collect();
        let len = scheds[0].len();
        assert!(scheds.iter().all(|s| s.len() == len), "every rank takes the same number of steps");
        let mut data = inputs.to_vec();
        #[allow(clippy::needless_range_loop)] // step k of every rank at once
        for k in 0..len {
            let snapshot = data.clone();
            for r in 0..p {
                let step = &scheds[r][k];
                for recv in &step.recvs {
                    // The matching send of the peer in the same step.
                    let send = scheds[recv.peer][k]
                        .sends
                        .iter()
                        .find(|s| s.peer == r && s.range == recv.range)
                        .unwrap_or_else(|| panic!("rank {r} step {k}: no matching send from {}", recv.peer));
                    for e in send.range.clone() {
                        match step.apply {
                            Apply::Reduce => data[r][e] += snapshot[recv.peer][e],
                            Apply::Copy => data[r][e] = snapshot[recv.peer][e],
                        }
                    }
                }
            }
        }
        data
    }

    #[test]
    fn every_algorithm_sums_every_element_on_every_rank() {
        use Algorithm as A;
        use DimKind as K;
        let cases = [
            dims(&[(K::Ring, 2, A::Ring)]),
            dims(&[(K::Ring, 5, A::Ring)]),
            dims(&[(K::BidirectionalRing, 6, A::BidirectionalRing)]),
            dims(&[(K::BidirectionalRing, 2, A::BidirectionalRing)]),
            dims(&[(K::Switch, 8, A::HalvingDoubling)]),
            dims(&[(K::FullyConnected, 4, A::HalvingDoubling)]),
            dims(&[(K::Switch, 3, A::Ring)]),
            dims(&[(K::Ring, 4, A::Ring), (K::Ring, 3, A::Ring)]),
            dims(&[(K::Switch, 4, A::HalvingDoubling), (K::BidirectionalRing, 3, A::BidirectionalRing)]),
            dims(&[(K::Ring, 1, A::Ring), (K::Ring, 4, A::Ring)]),
            dims(&[(K::Switch, 2, A::DoubleBinaryTree)]),
            dims(&[(K::Switch, 7, A::DoubleBinaryTree)]),
            dims(&[(K::FullyConnected, 16, A::DoubleBinaryTree)]),
            dims(&[(K::Ring, 3, A::Ring), (K::Switch, 5, A::DoubleBinaryTree)]),
        ];
        for d in &cases {
            let p: usize = d.iter().map(|x| x.size).product();
            for n in [1, 7, 64, 101] {
                let inputs: Vec<Vec<i64>> =
                    (0..p).map(|r| (0..n).map(|e| (r as i64 + 1) * 1000 + e as i64).collect()).collect();
                let expect: Vec<i64> = (0..n).map(|e| inputs.iter().map(|v| v[e]).sum()).collect();
                for (r, got) in execute(d, &inputs).iter().enumerate() {
                    assert_eq!(got, &expect, "{d:?} n={n} rank {r}");
                }
            }
        }
    }

    #[test]
    fn ring_sends_n_over_p_per_step_to_the_next_chip() {
        let d = dims(&[(DimKind::Ring, 4, Algorithm::Ring)]);
        let s = all_reduce(&d, 1, 400);
        assert_eq!(s.len(), 6);
        assert!(s.iter().all(|st| st.sends.len() == 1 && st.sends[0].peer == 2 && st.sends[0].range.len() == 100));
        assert!(s.iter().all(|st| st.recvs[0].peer == 0));
    }

    #[test]
    fn misfits_are_named() {
        assert!(Algorithm::HalvingDoubling.misfit(DimKind::Switch, 6).is_some());
        assert!(Algorithm::HalvingDoubling.misfit(DimKind::Ring, 8).is_some());
        assert!(Algorithm::BidirectionalRing.misfit(DimKind::Ring, 4).is_some());
        assert!(Algorithm::HalvingDoubling.misfit(DimKind::Switch, 8).is_none());
    }

    #[test]
    fn alpha_beta_of_a_ring_is_the_textbook_formula() {
        let d = dims(&[(DimKind::Ring, 4, Algorithm::Ring)]);
        let c = [DimCost { alpha_ns: 100.0, beta_ns_per_byte: 0.04 }];
        let t = alpha_beta_ns(&d, &c, 1e6, 0.5);
        let expect = 2.0 * 3.0 * 100.0 + 2.0 * 0.75 * 1e6 * 0.04 + 0.75 * 1e6 * 0.5;
        assert!((t - expect).abs() < 1e-6);
    }
}
