//! The requester side of the `mem` protocol, shared by the cores and the controller: issues
//! reads and writes with at most `max_outstanding` in flight (refused sends wait in order and
//! go on `on_ready`), and matches responses to their requests.

use std::collections::VecDeque;

use sim_core::{Context, PortId, Refused};

use super::protocol::Region;
use crate::mem::{Cause, MemReq, MemResp};
use crate::Msg;

#[derive(Debug)]
pub struct MemClient {
    port: PortId,
    max_outstanding: usize,
    next_id: u64,
    outstanding: usize,
    queue: VecDeque<MemReq>,
    /// Bytes read and written (for statistics).
    pub bytes_read: u64,
    pub bytes_written: u64,
    /// Largest request: bigger transfers are split into chunks of this size.
    chunk_bytes: u32,
}

impl MemClient {
    pub fn new(port: PortId, max_outstanding: usize, chunk_bytes: u32) -> Self {
        MemClient {
            port,
            max_outstanding: max_outstanding.max(1),
            next_id: 0,
            outstanding: 0,
            queue: VecDeque::new(),
            bytes_read: 0,
            bytes_written: 0,
            chunk_bytes: chunk_bytes.max(1),
        }
    }

    /// Requests `region`, in chunks; returns each chunk's id and offset in the region.
    pub fn read(&mut self, ctx: &mut Context<'_, Msg>, region: Region, cause: Cause) -> Vec<(u64, usize)> {
        let mut ids = Vec::new();
        let mut off = 0u32;
        while off < region.bytes {
            let n = self.chunk_bytes.min(region.bytes - off);
            let id = self.next_id;
            self.next_id += 1;
            ids.push((id, off as usize));
            self.bytes_read += u64::from(n);
            self.queue.push_back(MemReq::read(id, region.addr + u64::from(off), n, cause, ctx.now().0));
            off += n;
        }
        self.pump(ctx);
        ids
    }

    /// Writes `data` at `addr`, in chunks; returns the ids of the acknowledgements to expect.
    pub fn write(&mut self, ctx: &mut Context<'_, Msg>, addr: u64, data: &[u8], cause: Cause) -> Vec<u64> {
        let mut ids = Vec::new();
        for (k, chunk) in data.chunks(self.chunk_bytes as usize).enumerate() {
            let id = self.next_id;
            self.next_id += 1;
            self.bytes_written += chunk.len() as u64;
            let a = addr + (k * self.chunk_bytes as usize) as u64;
            self.queue.push_back(MemReq::write(id, a, chunk.to_vec(), cause, ctx.now().0));
            ids.push(id);
        }
        self.pump(ctx);
        ids
    }

    /// A response arrived; frees its slot and sends what was waiting.
    pub fn on_response(&mut self, ctx: &mut Context<'_, Msg>, _resp: &MemResp) {
        self.outstanding -= 1;
        self.pump(ctx);
    }

    /// The port's channel has room again.
    pub fn on_ready(&mut self, ctx: &mut Context<'_, Msg>) {
        self.pump(ctx);
    }

    fn pump(&mut self, ctx: &mut Context<'_, Msg>) {
        while self.outstanding < self.max_outstanding {
            let Some(req) = self.queue.pop_front() else { return };
            match ctx.send(self.port, Msg::MemReq(Box::new(req))) {
                Ok(()) => self.outstanding += 1,
                Err(Refused(Msg::MemReq(r))) => {
                    self.queue.push_front(*r);
                    return;
                }
                Err(Refused(_)) => unreachable!("only memory requests are sent"),
            }
        }
    }

    pub fn idle(&self) -> bool {
        self.outstanding == 0 && self.queue.is_empty()
    }
}
