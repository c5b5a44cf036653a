//! Cost models: what a structure costs in energy per action, leakage and area as a function
//! of its geometry, from published or generated reference points with their sources beside
//! them, so that a bigger, wider or more banked structure costs what it should.
//!
//! Status (issue 14): the SRAM model is built and tested against its reference points; no
//! component uses it yet on main (wiring the global buffer to it needs its energy parameters
//! to become "from the model unless given", reconciled with the declared parameter ranges).
//!
//! Architecture Invariant: the models are pure functions of a geometry. They know nothing of
//! time, ports or YAML.

pub mod sram;
