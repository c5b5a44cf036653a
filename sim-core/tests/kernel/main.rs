//! Behaviour of the event kernel, one module per behaviour. The small components used by
//! several modules live in `support`.

mod backpressure;
mod bandwidth;
mod clock_change;
mod elaboration;
mod end_of_time;
mod ordering;
mod ordering_props;
mod partitions;
mod ranks;
mod rng_streams;
mod support;
