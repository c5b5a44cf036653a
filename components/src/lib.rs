//! Hardware models of tasim, and the benchmark components.

pub mod phold;
