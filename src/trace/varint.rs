//! LEB128 variable-length integers (7 bits a byte, low first, high bit = more follows) and
//! zig-zag signed deltas: small numbers take one byte.

/// Appends `v` as LEB128.
#[inline]
pub fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads a LEB128 number at `*pos` of `buf`, advancing `*pos`. `None`: the buffer ends
/// inside it, or it is longer than ten bytes or overflows 64 bits.
#[inline]
pub fn get(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for i in 0..10 {
        let b = *buf.get(*pos + i)?;
        let bits = u64::from(b & 0x7F);
        if i == 9 && bits > 1 {
            return None;
        }
        v |= bits << (7 * i);
        if b & 0x80 == 0 {
            *pos += i + 1;
            return Some(v);
        }
    }
    None
}

/// Zig-zag: 0, -1, 1, -2 … as 0, 1, 2, 3 …
#[inline]
pub fn zigzag(d: i64) -> u64 {
    ((d << 1) ^ (d >> 63)) as u64
}

#[inline]
pub fn unzigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip_and_small_ones_are_short() {
        for v in [0u64, 1, 127, 128, 300, 1 << 35, u64::MAX - 1, u64::MAX] {
            let mut b = Vec::new();
            put(&mut b, v);
            let mut pos = 0;
            assert_eq!((get(&b, &mut pos), pos), (Some(v), b.len()));
        }
        let mut b = Vec::new();
        put(&mut b, 127);
        assert_eq!(b.len(), 1);
        for d in [0i64, -1, 1, -64, 63, i64::MIN, i64::MAX] {
            assert_eq!(unzigzag(zigzag(d)), d);
        }
        assert_eq!(zigzag(-1), 1);
    }

    #[test]
    fn cut_or_overlong_numbers_are_refused() {
        assert_eq!(get(&[0x80, 0x80], &mut 0), None, "ends inside");
        assert_eq!(get(&[0xFF; 11], &mut 0), None, "too long");
        assert_eq!(get(&[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02], &mut 0), None, "overflow");
    }
}
