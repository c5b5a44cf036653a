//! The global buffer returns exactly what was written, through evictions, write-backs and
//! unaligned accesses; its hits, misses and bank conflicts are what the access pattern implies.

use std::sync::{Arc, Mutex};

use components::energy::PowerDomain;
use components::global_buffer::{GlobalBuffer, GlobalBufferEnergy, GlobalBufferParams};
use components::mem::{Cause, MemReq};
use components::simple_memory::{SimpleMemory, SimpleMemoryParams};
use components::Msg;
use sim_core::*;

/// Sends a script of requests with at most `outstanding` in flight and records every
/// response as (id, data).
struct Requester {
    script: Vec<MemReq>,
    next: usize,
    outstanding: usize,
    in_flight: usize,
    held: Option<MemReq>,
    got: Got,
}

impl Requester {
    fn pump(&mut self, ctx: &mut Context<'_, Msg>) {
        while self.in_flight < self.outstanding {
            let req = match self.held.take() {
                Some(r) => r,
                None if self.next < self.script.len() => {
                    self.next += 1;
                    self.script[self.next - 1].clone()
                }
                None => return,
            };
            match ctx.send(PortId(0), Msg::MemReq(Box::new(req))) {
                Ok(()) => self.in_flight += 1,
                Err(Refused(Msg::MemReq(r))) => {
                    self.held = Some(*r);
                    return;
                }
                Err(_) => unreachable!(),
            }
        }
    }
}

impl Component<Msg> for Requester {
    fn ports(&self) -> Vec<PortSpec> {
        vec![PortSpec::output("req", "mem"), PortSpec::input("resp", "mem")]
    }
    fn init(&mut self, ctx: &mut Context<'_, Msg>) {
        self.pump(ctx);
    }
    fn on_message(&mut self, ctx: &mut Context<'_, Msg>, _: PortId, msg: Msg) {
        let Msg::MemResp(r) = msg else { panic!("expected a response") };
        self.got.lock().unwrap().push((r.id, r.data));
        self.in_flight -= 1;
        self.pump(ctx);
    }
    fn on_ready(&mut self, ctx: &mut Context<'_, Msg>, _: PortId) {
        self.pump(ctx);
    }
}

type Got = Arc<Mutex<Vec<(u64, Vec<u8>)>>>;

fn run(p: GlobalBufferParams, script: Vec<MemReq>, outstanding: usize) -> (Report, Vec<(u64, Vec<u8>)>) {
    let mut b = SimBuilder::<Msg>::new(1);
    let clk = b.clock("sys_clk", SimDuration::ps(10_000), 0); // 100 MHz
    let got: Got = Arc::default();
    let r = b.add("cpu", Requester { script, next: 0, outstanding, in_flight: 0, held: None, got: got.clone() });
    let gb = b.add("gb", GlobalBuffer::new(p, PowerDomain::new(clk, vec![(10_000, 0.63)])));
    let mem = b.add("dram", SimpleMemory::new(&SimpleMemoryParams { latency_ns: 60.0, bytes_per_ns: 4.0 }));
    let ch = |ns| ChannelSpec::new(SimDuration::ns(ns)).depth(4);
    b.connect(r, "req", gb, "in", ch(1));
    b.connect(gb, "out", r, "resp", ch(1));
    b.connect(gb, "dram_req", mem, "req", ch(2));
    b.connect(mem, "resp", gb, "dram_resp", ch(2));
    let mut sim = b.build().unwrap();
    assert_eq!(sim.run().unwrap(), RunOutcome::Idle);
    let report = sim.finish();
    let got = got.lock().unwrap().clone();
    (report, got)
}

fn small(capacity_kib: u32) -> GlobalBufferParams {
    // Banks of 512 B are below the SRAM model's smallest reference point: these tests are
    // about function, so they give the energy coefficients.
    let energy = GlobalBufferEnergy {
        read_pj_per_byte: Some(1.0),
        write_pj_per_byte: Some(1.0),
        leakage_mw: Some(0.0),
        nominal_v: Some(1.0),
        ..GlobalBufferEnergy::default()
    };
    GlobalBufferParams { capacity_kib, ways: 2, banks: 4, energy, ..GlobalBufferParams::default() }
}

#[test]
fn returns_what_was_written_through_evictions() {
    // A 16 KiB footprint through a 2 KiB buffer: constant evictions and write-backs.
    let footprint = 16 * 1024u64;
    let mut rng = SimRng::from_seed(5);
    let mut reference = vec![0u8; footprint as usize];
    let mut script = Vec::new();
    let mut expected = Vec::new();
    for id in 0..3_000u64 {
        let bytes = 1 + rng.below(200) as u32;
        let addr = rng.below(footprint - u64::from(bytes));
        let cause = Cause::default();
        if rng.chance(0.5) {
            let data: Vec<u8> = (0..bytes).map(|_| rng.next_u64() as u8).collect();
            reference[addr as usize..(addr + u64::from(bytes)) as usize].copy_from_slice(&data);
            script.push(MemReq::write(id, addr, data, cause, 0));
            expected.push((id, Vec::new()));
        } else {
            script.push(MemReq::read(id, addr, bytes, cause, 0));
            expected.push((id, reference[addr as usize..(addr + u64::from(bytes)) as usize].to_vec()));
        }
    }
    let (report, mut got) = run(small(2), script, 6);
    got.sort_by_key(|g| g.0);
    assert_eq!(got.len(), expected.len());
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!(g, e, "request {}", e.0);
    }
    let s = &report.stats;
    assert!(s.counter("gb.evictions").unwrap() > 500, "{:?}", s.counter("gb.evictions"));
    assert!(s.counter("gb.writebacks").unwrap() > 200);
    assert!(s.counter("gb.misses").unwrap() > 0 && s.counter("gb.hits").unwrap() > 0);
    assert_eq!(s.counter("gb.line_accesses"), Some(s.counter("gb.hits").unwrap() + s.counter("gb.misses").unwrap()));
    // Every line fetched from DRAM or written back is counted in DRAM traffic.
    assert_eq!(s.counter("dram.bytes_read"), s.counter("gb.dram_bytes_read"));
    assert_eq!(s.counter("dram.bytes_written"), s.counter("gb.dram_bytes_written"));
}

#[test]
fn a_footprint_that_fits_misses_only_once_per_line() {
    // Write 4 KiB in whole lines (no fetch needed), then read it twice: all hits.
    let mut script = Vec::new();
    for k in 0..64u64 {
        script.push(MemReq::write(k, k * 64, vec![k as u8; 64], Cause::default(), 0));
    }
    for k in 0..128u64 {
        script.push(MemReq::read(100 + k, (k % 64) * 64, 64, Cause::default(), 0));
    }
    let (report, got) = run(small(8), script, 4);
    let s = &report.stats;
    assert_eq!(s.counter("gb.misses"), Some(64), "first touch of each line");
    assert_eq!(s.counter("gb.hits"), Some(128));
    assert_eq!(s.counter("gb.fills"), Some(0), "whole-line writes need no fetch");
    assert_eq!(s.counter("dram.reads"), Some(0));
    assert!(got.iter().filter(|(id, _)| *id >= 100).all(|(id, d)| d == &vec![((id - 100) % 64) as u8; 64]));
}

#[test]
fn accesses_to_one_bank_conflict_and_to_many_banks_do_not() {
    let lines = |stride: u64| -> Vec<MemReq> {
        let mut s: Vec<MemReq> =
            (0..16u64).map(|k| MemReq::write(k, k * stride, vec![1; 64], Cause::default(), 0)).collect();
        s.extend((0..16u64).map(|k| MemReq::read(16 + k, k * stride, 64, Cause::default(), 0)));
        s
    };
    // 4 banks, 64-byte lines: a stride of 256 B puts every line in bank 0.
    let (same, _) = run(small(8), lines(256), 8);
    let (spread, _) = run(small(8), lines(64), 8);
    assert_eq!(same.stats.counter("gb.bank.0.accesses"), Some(32));
    assert!(same.stats.counter("gb.bank_conflicts").unwrap() > spread.stats.counter("gb.bank_conflicts").unwrap());
    assert!(same.end > spread.end, "one bank serialises: {} vs {}", same.end, spread.end);
}
