//! Cost models: what a structure costs in energy per action, leakage and area as a function
//! of its geometry, from published or generated reference points with their sources beside
//! them, so that a bigger, wider or more banked structure costs what it should.
//!
//! `sram`: energy per access, leakage and area of an SRAM (the global buffer's, unless its
//! YAML gives coefficients). `area`: PEs by width, storage of any size, NoC routers and
//! links. `pe`: energy of a MAC and of a PE's registers by operand and accumulator width, and
//! of a byte of a core's local storage. Components write their area as the statistic `area_mm2` (and its parts as
//! `area.<part>_mm2`); the chip report adds them up.
//!
//! Architecture Invariant: the models are pure functions of a geometry. They know nothing of
//! time, ports or YAML.

pub mod area;
pub mod pe;
pub mod scaling;
pub mod sram;
