//! Which endpoint owns an address: disjoint ranges, looked up by binary search.

/// Addresses `[base, end)` belong to endpoint `endpoint`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub base: u64,
    pub end: u64,
    pub endpoint: u32,
}

/// Disjoint address ranges, sorted by base.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressMap {
    regions: Vec<Region>,
}

impl AddressMap {
    /// A map of `regions`, which must not overlap (parameter validation checks that).
    pub fn new(mut regions: Vec<Region>) -> Self {
        regions.sort_by_key(|r| r.base);
        debug_assert!(regions.windows(2).all(|w| w[0].end <= w[1].base), "regions overlap");
        AddressMap { regions }
    }

    /// The endpoint that owns `addr`, if any.
    pub fn lookup(&self, addr: u64) -> Option<u32> {
        // The last region starting at or below `addr` is the only one that may hold it.
        let i = self.regions.partition_point(|r| r.base <= addr).checked_sub(1)?;
        let r = &self.regions[i];
        (addr < r.end).then_some(r.endpoint)
    }

    pub fn regions(&self) -> &[Region] {
        &self.regions
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> AddressMap {
        // Given out of order on purpose: lookup must not depend on declaration order.
        AddressMap::new(vec![
            Region { base: 0x1000, end: 0x2000, endpoint: 4 },
            Region { base: 0, end: 0x100, endpoint: 1 },
            Region { base: 0x2000, end: 0x2001, endpoint: 2 },
        ])
    }

    #[test]
    fn addresses_map_to_their_region() {
        let m = map();
        assert_eq!(m.lookup(0), Some(1));
        assert_eq!(m.lookup(0xff), Some(1));
        assert_eq!(m.lookup(0x1000), Some(4));
        assert_eq!(m.lookup(0x1fff), Some(4));
        assert_eq!(m.lookup(0x2000), Some(2));
    }

    #[test]
    fn gaps_and_the_ends_map_nowhere() {
        let m = map();
        assert_eq!(m.lookup(0x100), None);
        assert_eq!(m.lookup(0xfff), None);
        assert_eq!(m.lookup(0x2001), None);
        assert_eq!(m.lookup(u64::MAX), None);
        assert_eq!(AddressMap::new(vec![]).lookup(0), None);
    }
}
