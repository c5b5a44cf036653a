//! Runs over processes (MPI ranks, `--features mpi`): whether this process was launched as
//! one rank of several, and its transport for the kernel's window protocol
//! ([`sim_core::Transport`]). Every rank builds the same simulation from the same files;
//! rank 0 alone prints and writes the outputs, and they are byte-identical to `--threads 1`.

use sim_core::Transport;

use crate::error::InputError;

/// `(rank, ranks)` when a launcher started this process as one of several: Open MPI's
/// `OMPI_COMM_WORLD_RANK`/`_SIZE`, or the PMI variables of MPICH and Slurm's `srun --mpi`.
pub fn launched_rank() -> Option<(usize, usize)> {
    let var = |name: &str| std::env::var(name).ok()?.parse::<usize>().ok();
    [("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"), ("PMI_RANK", "PMI_SIZE")]
        .into_iter()
        .find_map(|(rank, size)| Some((var(rank)?, var(size)?)))
        .filter(|&(rank, size)| size > 1 && rank < size)
}

/// A rank other than 0 of a launch over several processes: it prints and writes nothing.
pub fn is_follower() -> bool {
    launched_rank().is_some_and(|(rank, _)| rank > 0)
}

/// This process's transport when it is one rank of several; `None` when it runs alone.
///
/// # Errors
/// Launched over several ranks by a build without the `mpi` feature: each rank would run the
/// whole simulation alone and overwrite the others' outputs.
pub fn transport() -> Result<Option<Box<dyn Transport>>, InputError> {
    #[cfg(feature = "mpi")]
    if let Some(t) = crate::mpi_run::transport() {
        return Ok(Some(Box::new(t)));
    }
    match launched_rank() {
        Some((_, n)) => Err(InputError::new(format!(
            "launched as one of {n} MPI ranks, but this tasim was built without MPI support"
        ))
        .fix(
            "build it with `cargo build --release --features mpi` (needs Open MPI and clang: \
             `apt-get install libopenmpi-dev openmpi-bin libclang-dev clang`), or run it without mpirun",
        )),
        None => Ok(None),
    }
}

/// Why a run over ranks cannot take an option that needs every event in one process
/// (observers, the live view, a saved model): the message for `option`.
pub fn unsupported(option: &str) -> InputError {
    InputError::new(format!("{option} is not available in a run over MPI ranks")).field(option).fix(
        "run it in one process (`tasim run FILE --threads N`); over MPI, tasim writes the \
         statistics and summaries (`--out`)",
    )
}

/// A chip that trains cannot run over ranks: its trained model and per-epoch figures land
/// in the process of its controller, not in rank 0's.
pub fn training_unsupported() -> InputError {
    InputError::new(
        "a topology whose chips train (a `controller`) cannot run over MPI ranks yet: the trained \
         model and the epochs' figures stay in the process of each chip's controller",
    )
    .fix("run it in one process, on threads: `tasim run FILE --threads N`")
}
