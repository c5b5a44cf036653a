//! CRC-32 (IEEE 802.3: reflected polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF),
//! the checksum of zlib, PNG and gzip, so any tool can check a trace chunk. Table-driven,
//! eight bytes a step ("slicing by 8"): reading a trace must not be limited by its checksum.
//! Written here rather than taken from a crate: it is twenty lines and fixed forever.

const fn tables() -> [[u32; 256]; 8] {
    let mut t = [[0u32; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        t[0][i] = c;
        i += 1;
    }
    let mut i = 0;
    while i < 256 {
        let mut s = 1;
        while s < 8 {
            let prev = t[s - 1][i];
            t[s][i] = (prev >> 8) ^ t[0][(prev & 0xFF) as usize];
            s += 1;
        }
        i += 1;
    }
    t
}

static T: [[u32; 256]; 8] = tables();

/// A running CRC-32.
#[derive(Clone, Copy, Debug)]
pub struct Crc32(u32);

impl Default for Crc32 {
    fn default() -> Self {
        Crc32(0xFFFF_FFFF)
    }
}

impl Crc32 {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn update(&mut self, bytes: &[u8]) {
        let mut c = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for b in &mut chunks {
            let lo = c ^ u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            c = T[7][(lo & 0xFF) as usize]
                ^ T[6][((lo >> 8) & 0xFF) as usize]
                ^ T[5][((lo >> 16) & 0xFF) as usize]
                ^ T[4][(lo >> 24) as usize]
                ^ T[3][b[4] as usize]
                ^ T[2][b[5] as usize]
                ^ T[1][b[6] as usize]
                ^ T[0][b[7] as usize];
        }
        for &b in chunks.remainder() {
            c = (c >> 8) ^ T[0][((c ^ u32::from(b)) & 0xFF) as usize];
        }
        self.0 = c;
    }

    pub fn finish(self) -> u32 {
        self.0 ^ 0xFFFF_FFFF
    }
}

/// The CRC-32 of `bytes`.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut c = Crc32::new();
    c.update(bytes);
    c.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_check_values() {
        // The catalogue's check value for CRC-32/ISO-HDLC, and two more from zlib.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"The quick brown fox jumps over the lazy dog"), 0x414F_A339);
    }

    #[test]
    fn eight_at_a_time_equals_one_at_a_time() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        for cut in [0, 1, 7, 8, 9, 500, 999] {
            let mut c = Crc32::new();
            c.update(&data[..cut]);
            c.update(&data[cut..]);
            let mut slow = 0xFFFF_FFFFu32;
            for &b in &data {
                slow = (slow >> 8) ^ T[0][((slow ^ u32::from(b)) & 0xFF) as usize];
            }
            assert_eq!(c.finish(), slow ^ 0xFFFF_FFFF, "cut at {cut}");
        }
    }
}
