//! Cycle counts of the PE arrays, from their shape and dataflow (not from a constant).
//!
//! A propagation core is an output-stationary `rows × cols` array: columns take output
//! channels, rows take output positions, and every PE accumulates one output over the
//! reduction (fan-in), one MAC per cycle, operands streamed in systolically. When a tile has
//! fewer channels than columns, the spare column groups take further positions. A pass maps
//! one block of (positions × channels) and takes `fan_in` cycles; passes stream back to back,
//! so the pipeline's fill and drain (`rows + cols - 2` cycles) is paid once per task. Partial
//! blocks at the edges leave PEs idle. Utilisation is MACs done over MAC slots spent.
//!
//! The update core's weight-gradient dataflow is the paper's "large window": each PE holds
//! one weight-gradient element and the input window and errors stream past it, so a pass
//! covers `rows × cols` gradient elements for all output positions, and the input read once
//! serves every filter mapped in the pass.

/// A PE array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Array {
    pub rows: u64,
    pub cols: u64,
}

/// Cycles and the useful MACs of one piece of work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Work {
    pub cycles: u64,
    pub macs: u64,
    /// Operand bytes the array reads from the core's local buffers.
    pub buffer_reads: u64,
}

impl Work {
    pub fn utilisation(&self, pes: u64) -> f64 {
        if self.cycles == 0 {
            0.0
        } else {
            self.macs as f64 / (self.cycles * pes) as f64
        }
    }
}

impl Array {
    pub fn pes(&self) -> u64 {
        self.rows * self.cols
    }

    fn fill_drain(&self) -> u64 {
        self.rows + self.cols - 2
    }

    /// Output-stationary: `positions` output positions × `channels` output channels, `macs`
    /// products in all (taps on zero padding are not products); each output reduces over
    /// `ceil(macs / outputs)` products on average.
    pub fn output_stationary(&self, positions: u64, channels: u64, macs: u64) -> Work {
        if positions == 0 || channels == 0 || macs == 0 {
            return Work::default();
        }
        let fan_in = macs.div_ceil(positions * channels);
        let per_pass = channels.min(self.cols);
        let groups = self.cols / per_pass;
        let passes = positions.div_ceil(self.rows * groups) * channels.div_ceil(self.cols);
        let cycles = passes * fan_in + self.fill_drain();
        // Each pass streams `fan_in` operands into every row (activations) and every column
        // (weights).
        let buffer_reads = passes * fan_in * (self.rows + self.cols);
        Work { cycles, macs, buffer_reads }
    }

    /// A fully connected layer for one sample: output neurons on columns, the reduction split
    /// over the rows and summed by an adder tree (`log2 rows` cycles).
    pub fn fully_connected(&self, outputs: u64, fan_in: u64, macs: u64) -> Work {
        if outputs == 0 || fan_in == 0 {
            return Work::default();
        }
        let passes = outputs.div_ceil(self.cols);
        let tree = u64::from(64 - (self.rows.max(1) - 1).leading_zeros());
        let cycles = passes * fan_in.div_ceil(self.rows) + self.fill_drain() + tree;
        Work { cycles, macs, buffer_reads: passes * fan_in * (1 + self.cols) }
    }

    /// Large window (weight-gradient elements stationary): `elements` gradient elements,
    /// each reducing over `positions` output positions.
    pub fn gradient_stationary(&self, elements: u64, positions: u64, macs: u64) -> Work {
        if elements == 0 || positions == 0 {
            return Work::default();
        }
        let passes = elements.div_ceil(self.pes());
        let cycles = passes * positions + self.fill_drain();
        // Per pass, the input window and the errors stream once along rows and columns.
        let buffer_reads = passes * positions * (self.rows + self.cols);
        Work { cycles, macs, buffer_reads }
    }

    /// An element-wise pass with every PE as a lane (routing, loss, update).
    pub fn vector(&self, elements: u64, ops_per_element: u64) -> Work {
        Work { cycles: (elements * ops_per_element).div_ceil(self.pes()), macs: 0, buffer_reads: elements }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_block_costs_fan_in_plus_fill_and_drain() {
        let a = Array { rows: 8, cols: 8 };
        // 64 positions x 8 channels, fan-in 9: 8 passes of 8 positions, one fill and drain.
        let w = a.output_stationary(64, 8, 64 * 8 * 9);
        assert_eq!(w.cycles, 8 * 9 + 14);
        assert!((w.utilisation(64) - 72.0 / 86.0).abs() < 1e-12);
    }

    #[test]
    fn partial_blocks_waste_pes() {
        let a = Array { rows: 8, cols: 8 };
        let full = a.output_stationary(64, 8, 64 * 8 * 72);
        let partial = a.output_stationary(64, 10, 64 * 10 * 72);
        assert_eq!(partial.cycles - 14, 2 * (full.cycles - 14), "10 channels need two column passes");
        assert!(partial.utilisation(64) < full.utilisation(64));
    }

    #[test]
    fn spare_columns_take_more_positions() {
        let a = Array { rows: 8, cols: 8 };
        // 4 channels on 8 columns: two groups of 4, so 16 positions a pass.
        let w = a.output_stationary(256, 4, 256 * 4 * 9);
        assert_eq!(w.cycles, 16 * 9 + 14);
    }

    #[test]
    fn fully_connected_splits_the_reduction_over_rows() {
        let a = Array { rows: 8, cols: 8 };
        // 10 outputs of 256 inputs: two column passes of 32 cycles, 14 fill/drain, 3 tree.
        assert_eq!(a.fully_connected(10, 256, 2560).cycles, 2 * 32 + 14 + 3);
    }

    #[test]
    fn large_window_covers_pes_worth_of_gradients_per_pass() {
        let a = Array { rows: 8, cols: 8 };
        let w = a.gradient_stationary(1152, 64, 1152 * 64);
        assert_eq!(w.cycles, 18 * 64 + 14);
    }
}
