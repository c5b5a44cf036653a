//! The wire encoding of the messages that cross partitions ([`sim_core::Wire`]), for runs
//! over MPI ranks: traffic packets (the toy chips' links), PHOLD tokens and chip-to-chip
//! link packets. The other kinds stay inside a chip (memory, control, collective requests to
//! a chip's own engine) and have no encoding: a topology that puts their ends in different
//! partitions gets an abort naming the kind when it runs over ranks.

use sim_core::{put_bytes, Reader, Wire, WireError};

use crate::multichip::LinkPacket;
use crate::phold::PholdToken;
use crate::traffic::Packet;
use crate::Msg;

const PHOLD: u8 = 0;
const PACKET: u8 = 1;
const LINK: u8 = 2;

fn put(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

impl Wire for Msg {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        match self {
            Msg::Phold(PholdToken) => out.push(PHOLD),
            Msg::Packet(p) => {
                out.push(PACKET);
                put(out, p.id);
                out.extend_from_slice(&p.bytes.to_le_bytes());
                put(out, p.created_ps);
            }
            Msg::Link(p) => {
                out.push(LINK);
                put(out, p.tag);
                for v in [p.step, p.src, p.dst, p.seq] {
                    out.extend_from_slice(&v.to_le_bytes());
                }
                put(out, p.start);
                put(out, p.len);
                match &p.data {
                    None => out.push(0),
                    Some(d) => {
                        out.push(1);
                        let bytes: Vec<u8> = d.iter().flat_map(|x| x.to_le_bytes()).collect();
                        put_bytes(out, &bytes);
                    }
                }
            }
            Msg::MemReq(_) => return Err(WireError::NotEncodable("memory request (`mem`)")),
            Msg::MemResp(_) => return Err(WireError::NotEncodable("memory response (`mem`)")),
            Msg::Dvfs(_) => return Err(WireError::NotEncodable("DVFS request")),
            Msg::Task(_) => return Err(WireError::NotEncodable("task (`ctrl`)")),
            Msg::Done(_) => return Err(WireError::NotEncodable("task report (`ctrl`)")),
            Msg::Coll(_) => return Err(WireError::NotEncodable("collective request (`coll`)")),
        }
        Ok(())
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(match r.u8()? {
            PHOLD => Msg::Phold(PholdToken),
            PACKET => Msg::Packet(Packet { id: r.u64()?, bytes: r.u32()?, created_ps: r.u64()? }),
            LINK => {
                let (tag, step, src, dst, seq) = (r.u64()?, r.u32()?, r.u32()?, r.u32()?, r.u32()?);
                let (start, len) = (r.u64()?, r.u64()?);
                let data = match r.u8()? {
                    0 => None,
                    1 => Some(
                        r.bytes()?
                            .chunks_exact(8)
                            .map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes")))
                            .collect(),
                    ),
                    _ => return Err(WireError::Malformed("link packet data flag")),
                };
                Msg::Link(Box::new(LinkPacket { tag, step, src, dst, seq, start, len, data }))
            }
            _ => return Err(WireError::Malformed("unknown message kind")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(m: &Msg) -> Msg {
        let mut out = Vec::new();
        m.encode(&mut out).unwrap();
        let mut r = Reader::new(&out);
        let back = Msg::decode(&mut r).unwrap();
        assert!(r.is_empty(), "decode reads every byte encode wrote");
        back
    }

    #[test]
    fn crossing_messages_round_trip() {
        let p = Packet { id: 7, bytes: 64, created_ps: 123 };
        assert!(matches!(round_trip(&Msg::Packet(p)), Msg::Packet(q) if (q.id, q.bytes, q.created_ps) == (7, 64, 123)));
        assert!(matches!(round_trip(&Msg::Phold(PholdToken)), Msg::Phold(_)));
        for data in [None, Some(vec![-1, 0, i64::MAX])] {
            let l = LinkPacket { tag: 1, step: 2, src: 3, dst: 4, seq: 5, start: 6, len: 3, data };
            let Msg::Link(back) = round_trip(&Msg::Link(Box::new(l.clone()))) else { panic!("not a link packet") };
            assert_eq!(*back, l);
        }
    }

    #[test]
    fn messages_that_stay_in_a_chip_say_so() {
        let m = Msg::Dvfs(crate::dvfs_unit::DvfsRequest::Busy);
        let e = m.encode(&mut Vec::new()).unwrap_err();
        assert!(e.to_string().contains("DVFS request"), "{e}");
    }
}
