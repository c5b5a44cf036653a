//! Address mapping: which bits of a byte address select the channel, rank, bank, row and
//! column.
//!
//! A mapping is written as the fields from the most to the least significant bits,
//! `:`-separated, each once: `row:rank:bank:channel:column`. Below them all, always, lie the
//! log2(`burst_bytes`) bits of the byte inside a burst. `column` is the burst's place in its
//! row (log2(row bytes / burst bytes) bits); the other fields take log2 of their count.
//!
//! With the default geometry (2 channels, 1 rank, 8 banks, 32768 rows, 2 KiB rows, 32-byte
//! bursts) the default `row:rank:bank:channel:column` reads, from bit 0 up:
//!
//! ```text
//!  bits 0-4  byte in burst | 5-10 column | 11 channel | 12-14 bank | (rank: 0 bits) | 15-29 row
//! ```
//!
//! so a sequential stream fills a 2 KiB row on channel 0, the same row on channel 1, then
//! moves to the next bank (row hits, and bank parallelism to hide activations). The
//! alternative `row:column:rank:bank:channel` interleaves consecutive bursts over channels
//! and then banks (most parallelism, rows still hit as a stream sweeps them), and
//! `rank:bank:row:column:channel` keeps a stream in one bank for a whole bank's worth of
//! rows (the least parallelism: each new row waits for tRP + tRCD).

use super::params::Geometry;

/// A field of the address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Row,
    Rank,
    Bank,
    Channel,
    Column,
}

const FIELDS: [(&str, Field); 5] = [
    ("row", Field::Row),
    ("rank", Field::Rank),
    ("bank", Field::Bank),
    ("channel", Field::Channel),
    ("column", Field::Column),
];

/// Where a burst lives in the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    pub channel: u32,
    pub rank: u32,
    pub bank: u32,
    pub row: u32,
    /// The burst's index in its row.
    pub column: u32,
}

/// A parsed mapping: shift and mask of each field, above the burst offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressMapping {
    text: String,
    burst_bits: u32,
    /// (shift, mask) indexed by `Field as usize`.
    fields: [(u32, u64); 5],
}

impl AddressMapping {
    /// Parses `text` for a device of geometry `g` (counts already checked to be powers of
    /// two). The error is the message for the user.
    pub fn parse(text: &str, g: &Geometry) -> Result<AddressMapping, String> {
        let help = "name `row`, `rank`, `bank`, `channel` and `column` once each, most significant first, \
                    separated by `:` (e.g. `row:rank:bank:channel:column`)";
        let parts: Vec<&str> = text.split(':').map(str::trim).collect();
        let mut order = Vec::with_capacity(5);
        for p in &parts {
            let Some(&(_, f)) = FIELDS.iter().find(|(n, _)| n == p) else {
                return Err(format!("unknown field `{p}` in `address_mapping` `{text}`: {help}"));
            };
            if order.contains(&f) {
                return Err(format!("`{p}` appears twice in `address_mapping` `{text}`: {help}"));
            }
            order.push(f);
        }
        if order.len() != 5 {
            return Err(format!("`address_mapping` `{text}` names {} of the 5 fields: {help}", order.len()));
        }
        let bursts_per_row = g.columns * g.bus_bytes / g.burst_bytes;
        let count = |f: Field| match f {
            Field::Row => g.rows,
            Field::Rank => g.ranks,
            Field::Bank => g.banks,
            Field::Channel => g.channels,
            Field::Column => bursts_per_row,
        };
        let mut fields = [(0, 0); 5];
        let mut shift = 0;
        for &f in order.iter().rev() {
            let bits = count(f).trailing_zeros();
            fields[f as usize] = (shift, (1u64 << bits) - 1);
            shift += bits;
        }
        Ok(AddressMapping { text: text.to_string(), burst_bits: g.burst_bytes.trailing_zeros(), fields })
    }

    /// The mapping as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    #[inline]
    fn field(&self, burst: u64, f: Field) -> u32 {
        let (shift, mask) = self.fields[f as usize];
        ((burst >> shift) & mask) as u32
    }

    /// The location of the burst holding byte `addr` (which must be below the capacity).
    #[inline]
    pub fn decode(&self, addr: u64) -> Location {
        let b = addr >> self.burst_bits;
        Location {
            channel: self.field(b, Field::Channel),
            rank: self.field(b, Field::Rank),
            bank: self.field(b, Field::Bank),
            row: self.field(b, Field::Row),
            column: self.field(b, Field::Column),
        }
    }

    /// The address of the first byte of the burst at `loc` (the inverse of [`decode`]).
    ///
    /// [`decode`]: AddressMapping::decode
    pub fn encode(&self, loc: Location) -> u64 {
        let put = |f: Field, v: u32| {
            let (shift, mask) = self.fields[f as usize];
            (u64::from(v) & mask) << shift
        };
        let b = put(Field::Channel, loc.channel)
            | put(Field::Rank, loc.rank)
            | put(Field::Bank, loc.bank)
            | put(Field::Row, loc.row)
            | put(Field::Column, loc.column);
        b << self.burst_bits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lpddr4() -> Geometry {
        Geometry::default()
    }

    fn loc(channel: u32, rank: u32, bank: u32, row: u32, column: u32) -> Location {
        Location { channel, rank, bank, row, column }
    }

    #[test]
    fn default_mapping_bit_order() {
        let m = AddressMapping::parse("row:rank:bank:channel:column", &lpddr4()).unwrap();
        assert_eq!(m.decode(0), loc(0, 0, 0, 0, 0));
        assert_eq!(m.decode(31), loc(0, 0, 0, 0, 0), "bytes of one burst");
        assert_eq!(m.decode(32), loc(0, 0, 0, 0, 1));
        assert_eq!(m.decode(2047), loc(0, 0, 0, 0, 63));
        assert_eq!(m.decode(1 << 11), loc(1, 0, 0, 0, 0), "bit 11: channel");
        assert_eq!(m.decode(1 << 12), loc(0, 0, 1, 0, 0), "bits 12-14: bank");
        assert_eq!(m.decode(1 << 15), loc(0, 0, 0, 1, 0), "bits 15-29: row");
        assert_eq!(m.decode((1 << 30) - 1), loc(1, 0, 7, 32767, 63));
    }

    #[test]
    fn channel_interleaved_mapping() {
        let m = AddressMapping::parse("row:column:rank:bank:channel", &lpddr4()).unwrap();
        // Consecutive bursts: channel 0, 1, then the next bank.
        assert_eq!(m.decode(0), loc(0, 0, 0, 0, 0));
        assert_eq!(m.decode(32), loc(1, 0, 0, 0, 0));
        assert_eq!(m.decode(64), loc(0, 0, 1, 0, 0));
        assert_eq!(m.decode(16 * 32), loc(0, 0, 0, 0, 1), "after 2 channels x 8 banks: next column");
    }

    #[test]
    fn ranks_take_bits_when_present() {
        let g = Geometry { ranks: 2, ..lpddr4() };
        let m = AddressMapping::parse("row:rank:bank:channel:column", &g).unwrap();
        assert_eq!(m.decode(1 << 15), loc(0, 1, 0, 0, 0));
        assert_eq!(m.decode(1 << 16), loc(0, 0, 0, 1, 0));
    }

    #[test]
    fn encode_inverts_decode() {
        let g = Geometry { ranks: 2, ..lpddr4() }; // 2 GiB
        for text in ["row:rank:bank:channel:column", "row:column:rank:bank:channel", "rank:bank:row:column:channel"] {
            let m = AddressMapping::parse(text, &g).unwrap();
            let mut rng = sim_core::SimRng::from_seed(1);
            for _ in 0..200 {
                let a = rng.below(1 << 31) & !31;
                assert_eq!(m.encode(m.decode(a)), a, "{text} {a:#x}");
            }
        }
    }

    #[test]
    fn bad_mappings_say_what_is_wrong() {
        let g = lpddr4();
        assert_eq!(
            AddressMapping::parse("row:rank:bnak:channel:column", &g).unwrap_err(),
            "unknown field `bnak` in `address_mapping` `row:rank:bnak:channel:column`: name `row`, `rank`, \
             `bank`, `channel` and `column` once each, most significant first, separated by `:` \
             (e.g. `row:rank:bank:channel:column`)"
        );
        assert!(AddressMapping::parse("row:row:bank:channel:column", &g)
            .unwrap_err()
            .starts_with("`row` appears twice"));
        assert!(AddressMapping::parse("row:bank:channel:column", &g).unwrap_err().contains("names 4 of the 5 fields"));
    }
}
