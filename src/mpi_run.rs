//! The MPI transport of a run over ranks (`--features mpi`): the kernel's window protocol
//! ([`sim_core::Transport`]) over rsmpi's world communicator, with the system's MPI (Open MPI).
//!
//! Per window: one `MPI_Allreduce` with `MPI_MIN` of the published times (every rank then
//! computes the same horizons) and, between the ranks whose engines exchanged events, one
//! byte batch each way, sent (non-blocking) before the all-reduce and received after it, so
//! that the batches travel during the all-reduce.

use mpi::collective::SystemOperation;
use mpi::datatype::PartitionMut;
use mpi::environment::Universe;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use mpi::Count;
use sim_core::Transport;

/// Tag of the event batches (the only point-to-point messages).
const BATCH: i32 = 7;

/// Initialises MPI when a launcher started this process as one of several ranks
/// ([`crate::ranks::launched_rank`]); MPI is finalised when the returned value is dropped, so
/// `main` holds it to the end. `None` for a process that runs alone (no MPI start-up cost).
pub fn start() -> Option<Universe> {
    crate::ranks::launched_rank()?;
    mpi::initialize()
}

/// The world communicator as a transport, once [`start`] has initialised MPI.
pub fn transport() -> Option<MpiTransport> {
    if !mpi::environment::is_initialized() {
        return None;
    }
    let world = SimpleCommunicator::world();
    (world.size() > 1).then_some(MpiTransport { world })
}

/// [`Transport`] over an MPI communicator.
pub struct MpiTransport {
    world: SimpleCommunicator,
}

impl std::fmt::Debug for MpiTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MpiTransport(rank {} of {})", self.world.rank(), self.world.size())
    }
}

impl Transport for MpiTransport {
    fn rank(&self) -> usize {
        self.world.rank() as usize
    }

    fn ranks(&self) -> usize {
        self.world.size() as usize
    }

    fn all_min(&mut self, values: &mut [u64]) {
        let mine = values.to_vec();
        self.world.all_reduce_into(&mine[..], values, SystemOperation::min());
    }

    fn exchange(&mut self, out: &mut [Vec<u8>], from: &[bool]) -> Vec<Vec<u8>> {
        self.all_min_then_exchange(&mut [], out, &|_| from.to_vec())
    }

    fn all_min_then_exchange(
        &mut self,
        values: &mut [u64],
        out: &mut [Vec<u8>],
        from: &dyn Fn(&[u64]) -> Vec<bool>,
    ) -> Vec<Vec<u8>> {
        let (me, world) = (self.rank(), &self.world);
        let got = mpi::request::scope(|scope| {
            // Sends first and non-blocking: two ranks that send to each other cannot wait on
            // each other's receive, and the batches travel during the all-reduce.
            let sends: Vec<_> = out
                .iter()
                .enumerate()
                .filter(|(r, b)| *r != me && !b.is_empty())
                .map(|(r, b)| world.process_at_rank(r as i32).immediate_send_with_tag(scope, &b[..], BATCH))
                .collect();
            if !values.is_empty() {
                let mine = values.to_vec();
                world.all_reduce_into(&mine[..], values, SystemOperation::min());
            }
            let receive = |r: usize| world.process_at_rank(r as i32).receive_vec_with_tag::<u8>(BATCH).0;
            let got: Vec<Vec<u8>> =
                from(values).iter().enumerate().map(|(r, &f)| if f { receive(r) } else { Vec::new() }).collect();
            for s in sends {
                s.wait();
            }
            got
        });
        out.iter_mut().for_each(Vec::clear);
        got
    }

    fn gather(&mut self, bytes: Vec<u8>) -> Option<Vec<Vec<u8>>> {
        let root = self.world.process_at_rank(0);
        let len = Count::try_from(bytes.len()).expect("a rank's statistics fit in 2 GiB");
        if self.rank() != 0 {
            root.gather_into(&len);
            root.gather_varcount_into(&bytes[..]);
            return None;
        }
        let mut counts = vec![0 as Count; self.ranks()];
        root.gather_into_root(&len, &mut counts[..]);
        let displs: Vec<Count> = counts.iter().scan(0, |at, &c| Some(std::mem::replace(at, *at + c))).collect();
        let total: usize = counts.iter().map(|&c| c as usize).sum();
        let mut all = vec![0u8; total];
        root.gather_varcount_into_root(&bytes[..], &mut PartitionMut::new(&mut all[..], &counts[..], &displs[..]));
        let mut parts = Vec::with_capacity(counts.len());
        let mut rest = &all[..];
        for &c in &counts {
            let (head, tail) = rest.split_at(c as usize);
            parts.push(head.to_vec());
            rest = tail;
        }
        Some(parts)
    }
}
