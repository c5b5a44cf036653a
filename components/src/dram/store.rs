//! The backing store: the bytes the DRAM holds. Sparse (4 KiB pages, allocated on the first
//! write of a non-zero byte: zeros cost nothing, so a replay, whose writes carry no data, or
//! a run that writes zeros allocates no pages), zero where nothing was ever written, ordered (`BTreeMap`) so that nothing about
//! it depends on hashing.

use std::collections::BTreeMap;

const PAGE_BITS: u32 = 12;
const PAGE: u64 = 1 << PAGE_BITS;

/// Sparse byte-addressed memory.
#[derive(Debug, Default)]
pub struct Store {
    pages: BTreeMap<u64, Box<[u8]>>,
}

impl Store {
    pub fn new() -> Self {
        Store::default()
    }

    /// Pages allocated so far (each 4 KiB).
    pub fn pages(&self) -> usize {
        self.pages.len()
    }

    /// Copies `out.len()` bytes starting at `addr` into `out`.
    pub fn read(&self, addr: u64, out: &mut [u8]) {
        let mut done = 0;
        while done < out.len() {
            let a = addr + done as u64;
            let (page, off) = (a >> PAGE_BITS, (a & (PAGE - 1)) as usize);
            let n = (PAGE as usize - off).min(out.len() - done);
            match self.pages.get(&page) {
                Some(p) => out[done..done + n].copy_from_slice(&p[off..off + n]),
                None => out[done..done + n].fill(0),
            }
            done += n;
        }
    }

    /// Writes `data` starting at `addr`. Zeros written where no page exists allocate none
    /// (the page reads zero already).
    pub fn write(&mut self, addr: u64, data: &[u8]) {
        let mut done = 0;
        while done < data.len() {
            let a = addr + done as u64;
            let (page, off) = (a >> PAGE_BITS, (a & (PAGE - 1)) as usize);
            let n = (PAGE as usize - off).min(data.len() - done);
            let chunk = &data[done..done + n];
            match self.pages.get_mut(&page) {
                Some(p) => p[off..off + n].copy_from_slice(chunk),
                None if chunk.iter().all(|&b| b == 0) => {}
                None => {
                    let mut p = vec![0; PAGE as usize].into_boxed_slice();
                    p[off..off + n].copy_from_slice(chunk);
                    self.pages.insert(page, p);
                }
            }
            done += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwritten_memory_reads_zero() {
        let s = Store::new();
        let mut buf = [7u8; 100];
        s.read(123_456, &mut buf);
        assert!(buf.iter().all(|&b| b == 0));
        assert_eq!(s.pages(), 0);
    }

    #[test]
    fn zeros_allocate_nothing_and_overwrite_what_was_there() {
        let mut s = Store::new();
        for k in 0..1000u64 {
            s.write(k * PAGE + 64, &[0u8; 64]);
        }
        assert_eq!(s.pages(), 0, "page-strided zero writes allocate no pages");
        s.write(5 * PAGE, &[1, 2, 3]);
        s.write(5 * PAGE + 1, &[0]);
        let mut back = [9u8; 3];
        s.read(5 * PAGE, &mut back);
        assert_eq!((back, s.pages()), ([1, 0, 3], 1));
    }

    #[test]
    fn writes_across_page_boundaries_read_back() {
        let mut s = Store::new();
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 + 3) as u8).collect();
        let addr = 3 * PAGE - 17; // starts 17 bytes before a page boundary, spans three more
        s.write(addr, &data);
        assert_eq!(s.pages(), 4);
        let mut back = vec![0u8; data.len()];
        s.read(addr, &mut back);
        assert_eq!(back, data);
        // Around the written range: zeros, then data.
        let mut edge = [9u8; 4];
        s.read(addr - 2, &mut edge);
        assert_eq!(edge, [0, 0, data[0], data[1]]);
    }

    #[test]
    fn overlapping_writes_keep_the_latest() {
        let mut s = Store::new();
        s.write(10, &[1; 8]);
        s.write(14, &[2; 8]);
        let mut b = [0u8; 14];
        s.read(8, &mut b);
        assert_eq!(b, [0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2]);
    }
}
