//! The NoC's parameters as written in a topology, their defaults with the reasons for them,
//! and their validation into a [`NocConfig`] the component runs from.

use serde::{Deserialize, Serialize};

use super::address_map::{AddressMap, Region};
use crate::mem::HEADER_BYTES;
use crate::param::{self, Declared, ParamDecl, Range, MAX_POWER_MW};
use crate::ParamError;

/// The shape of the router graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NocTopology {
    /// `rows` × `cols` routers, each linked to its four neighbours; dimension-ordered routing.
    Mesh,
    /// One router joining every endpoint: one hop, contention only at output ports.
    Crossbar,
}

/// One range of the address map: requests to `[base_addr, base_addr + size_bytes)` go to
/// `endpoint`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RegionParams {
    pub endpoint: String,
    pub base_addr: u64,
    pub size_bytes: u64,
}

/// Parameters of a `noc` instance, as written under `params:` (units in the names);
/// declared in [`Declared::PARAMS`].
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NocParams {
    pub topology: NocTopology,
    /// Mesh only: routers per column and per row (router `k` sits at row `k / cols`, column
    /// `k % cols`).
    #[serde(default)]
    pub rows: Option<u32>,
    #[serde(default)]
    pub cols: Option<u32>,
    /// Endpoint names; endpoint `i` is ports `in<i>`/`out<i>`.
    pub endpoints: Vec<String>,
    /// Mesh only: the router each endpoint hangs on (default: endpoint `i` on router `i`).
    #[serde(default)]
    pub endpoint_routers: Option<Vec<u32>>,
    /// The clock (and power domain) of routers and links.
    pub clock: String,
    /// Default 16: 128-bit links, a common NoC flit width, and one cycle for a read request
    /// (an 8-byte header) or a 16-lane row of 8-bit operands.
    #[serde(default = "default_link_bytes_per_cycle")]
    pub link_bytes_per_cycle: u64,
    /// Default 2: a two-stage router (route computation and switch allocation, then switch
    /// traversal), usual for a simple embedded NoC at tens to hundreds of MHz.
    #[serde(default = "default_router_latency_cycles")]
    pub router_latency_cycles: u64,
    /// Input buffer of each router port in bytes (the credits of the link feeding it).
    /// Default 512: seven 64-byte-payload packets (72 bytes on the wire), or a 256-byte burst
    /// with room for more behind it, at the area of a small register file.
    #[serde(default = "default_buffer_bytes")]
    pub buffer_bytes: u64,
    /// Where requests go by address.
    pub address_map: Vec<RegionParams>,
    /// Energy per byte per link traversal (a byte-hop, injection and ejection links included)
    /// at `nominal_v`. Absent: 8 × `wire_pj_per_bit_mm` × `link_length_mm` (1.6 pJ for the
    /// default 1 mm), so a longer link costs more.
    #[serde(default)]
    pub link_pj_per_byte: Option<f64>,
    /// Energy of on-chip wire per bit per mm at `nominal_v`. Default 0.2 pJ: Keckler et al.,
    /// IEEE Micro 2011 (40 nm; wire capacitance per mm barely changes with the node).
    /// Cross-check: CACTI 7's 65 nm repeated wire at +30 % delay, 0.498 pJ/mm per transition
    /// at 1.2 V (reference sheet §3, [generated]), is 0.17 pJ/bit/mm at 1.0 V with half the
    /// bits toggling.
    #[serde(default = "default_wire_pj_per_bit_mm")]
    pub wire_pj_per_bit_mm: f64,
    /// Length of a router-to-router link, mm, for its area (one wire track per bit) and its
    /// energy (`link_pj_per_byte`). Default 1.0: the routers of the paper chip's 2×3 mesh on
    /// its 3.2 mm-wide core are about 1 mm apart. Range (0, 100].
    #[serde(default = "default_link_length_mm")]
    pub link_length_mm: f64,
    /// Energy per byte through a router at `nominal_v`: one write and one read of its input
    /// buffer. Absent: the storage model for `buffer_bytes` read a link's width at a time
    /// (`cost::pe::storage_energy`: Aladdin flip-flops below 1 KiB, the CACTI-based SRAM model
    /// above), restated at `nominal_v` as V²: 0.25 pJ for the default 512-byte buffer at
    /// 1.0 V. The crossbar's wires are not counted (a few hundred µm inside the router).
    #[serde(default)]
    pub router_pj_per_byte: Option<f64>,
    /// Energy per packet through a router (route computation, allocation, crossbar set-up) at
    /// `nominal_v`. Default 2.0 pJ: about ten 32-bit adds' worth of logic (Horowitz: 0.1 pJ
    /// each at 45 nm), ×1.5 for 65 nm, ×1.23 for 1.0 V.
    #[serde(default = "default_router_pj_per_packet")]
    pub router_pj_per_packet: f64,
    /// Leakage of each router's logic (allocators, crossbar), µW at `nominal_v`. Default 10:
    /// about 10k gates at ~1 nW each in 65 nm low-power CMOS.
    #[serde(default = "default_leakage_uw_per_router")]
    pub leakage_uw_per_router: f64,
    /// Leakage of input buffers, µW per KiB at `nominal_v`. Default 5: latch/flip-flop arrays
    /// in 65 nm LP leak ~0.5 nA per bit at 1.0 V, several times a 6T SRAM cell.
    #[serde(default = "default_leakage_uw_per_buffer_kib")]
    pub leakage_uw_per_buffer_kib: f64,
    /// The voltage the energy coefficients are given at. Default 1.0 V: the chip's highest
    /// supply (0.63–1.0 V, Choi et al. 2020); dynamic energy scales as V², leakage as below.
    #[serde(default = "default_nominal_v")]
    pub nominal_v: f64,
    /// Leakage power scales as (V / nominal_v)^exponent. Default 3, the first-order 65 nm fit
    /// the energy module uses for every component.
    #[serde(default = "default_leakage_voltage_exponent")]
    pub leakage_voltage_exponent: f64,
}

/// Leakage in µW stops where [`MAX_POWER_MW`] does.
const LEAKAGE_UW: Range = Range::Real { min: 0.0, max: MAX_POWER_MW * 1e3, above_min: false };

impl Declared for NocParams {
    const PARAMS: &'static [ParamDecl] = &[
        ParamDecl { name: "topology", default: "", range: Range::Other, doc: "mesh or crossbar" },
        ParamDecl {
            name: "rows",
            default: "(mesh: required)",
            range: Range::count(1, MAX_ROUTERS),
            doc: "mesh only: router k at row k/cols; rows x cols at most 4096 routers (the routing table)",
        },
        ParamDecl {
            name: "cols",
            default: "(mesh: required)",
            range: Range::count(1, MAX_ROUTERS),
            doc: "mesh only: router k at column k%cols",
        },
        ParamDecl {
            name: "endpoints",
            default: "",
            range: Range::Other,
            doc: "endpoint i = ports in<i>/out<i>, at most 1024; names in stats and address_map",
        },
        ParamDecl {
            name: "endpoint_routers",
            default: "(endpoint i on router i)",
            range: Range::Other,
            doc: "mesh only: the router of each endpoint",
        },
        ParamDecl {
            name: "clock",
            default: "",
            range: Range::Other,
            doc: "clock and power domain of routers and links",
        },
        ParamDecl {
            name: "link_length_mm",
            default: "1.0",
            range: Range::Real { min: 0.0, max: 100.0, above_min: true },
            doc: "distance between neighbouring routers, for link area; 1 mm suits a mesh over a 10 mm2 die; at most 100 mm",
        },
        ParamDecl {
            name: "link_bytes_per_cycle",
            default: "16",
            range: Range::count(1, 1 << 20),
            doc:
                "bytes a link moves per cycle: 128-bit links, a common NoC flit width; at most 1 MiB (a packet's size)",
        },
        ParamDecl {
            name: "router_latency_cycles",
            default: "2",
            range: Range::count(0, 1 << 20),
            doc:
                "cycles through a router: a two-stage router; at most 2^20 so cycles times a period stay in time range",
        },
        ParamDecl {
            name: "buffer_bytes",
            default: "512",
            range: Range::count(HEADER_BYTES, 1 << 30),
            doc: "input buffer per router port, whole packets (credits, not allocated): seven 64-byte packets; \
                  at least a packet header, at most 1 GiB",
        },
        ParamDecl {
            name: "address_map",
            default: "",
            range: Range::Other,
            doc: "[{endpoint, base_addr, size_bytes}]: where requests go",
        },
        param::derived(
            "link_pj_per_byte",
            &Range::ENERGY_PJ,
            "8 x wire_pj_per_bit_mm x link_length_mm",
            "per byte per link traversal",
        ),
        ParamDecl {
            name: "wire_pj_per_bit_mm",
            default: "0.2",
            range: Range::ENERGY_PJ,
            doc: "on-chip wire per bit per mm: Keckler et al. 2011; CACTI 7 65 nm repeated wire gives 0.17 at 1.0 V",
        },
        param::derived(
            "router_pj_per_byte",
            &Range::ENERGY_PJ,
            "the storage model (cost::pe: flip-flops below 1 KiB, else CACTI-based SRAM) for buffer_bytes, one write and one read",
            "per byte through a router (input buffer write + read)",
        ),
        ParamDecl {
            name: "router_pj_per_packet",
            default: "2.0",
            range: Range::ENERGY_PJ,
            doc: "per packet through a router (routing, allocation): about ten 32-bit adds (Horowitz), 65 nm, 1.0 V",
        },
        ParamDecl {
            name: "leakage_uw_per_router",
            default: "10",
            range: LEAKAGE_UW,
            doc: "router logic leakage: ~10k gates at ~1 nW each in 65 nm LP",
        },
        ParamDecl {
            name: "leakage_uw_per_buffer_kib",
            default: "5",
            range: LEAKAGE_UW,
            doc: "input buffer leakage per KiB: latch arrays leak ~0.5 nA per bit at 1.0 V in 65 nm LP",
        },
        param::nominal_v("1.0"),
        param::LEAKAGE_VOLTAGE_EXPONENT,
    ];
}

fn default_link_bytes_per_cycle() -> u64 {
    16
}
fn default_router_latency_cycles() -> u64 {
    2
}
fn default_buffer_bytes() -> u64 {
    512
}
fn default_wire_pj_per_bit_mm() -> f64 {
    0.2
}
fn default_link_length_mm() -> f64 {
    1.0
}
fn default_router_pj_per_packet() -> f64 {
    2.0
}
fn default_leakage_uw_per_router() -> f64 {
    10.0
}
fn default_leakage_uw_per_buffer_kib() -> f64 {
    5.0
}
fn default_nominal_v() -> f64 {
    1.0
}
fn default_leakage_voltage_exponent() -> f64 {
    3.0
}

/// Validated parameters: the structure, timing and energy the component runs from.
#[derive(Clone, Debug, PartialEq)]
pub struct NocConfig {
    pub topology: NocTopology,
    /// 1 × 1 for a crossbar.
    pub rows: u32,
    pub cols: u32,
    pub endpoints: Vec<String>,
    /// The router of each endpoint.
    pub endpoint_routers: Vec<u32>,
    pub link_bytes_per_cycle: u64,
    pub router_latency_cycles: u64,
    pub buffer_bytes: u64,
    pub address_map: AddressMap,
    pub link_pj_per_byte: f64,
    pub link_length_mm: f64,
    pub router_pj_per_byte: f64,
    pub router_pj_per_packet: f64,
    pub leakage_uw_per_router: f64,
    pub leakage_uw_per_buffer_kib: f64,
    pub nominal_v: f64,
    pub leakage_voltage_exponent: f64,
}

/// A mesh larger than this is surely a typo (and would build a huge routing table).
const MAX_ROUTERS: u64 = 4096;
/// Routes are a table of endpoint pairs; two ports per endpoint must fit a port index.
const MAX_ENDPOINTS: usize = 1024;

impl NocParams {
    /// Checks every parameter; the first problem found is returned.
    /// One write and one read of a byte of a router's input buffer, pJ at `nominal_v`: the
    /// storage model for `buffer_bytes` read `link_bytes_per_cycle` at a time.
    pub fn buffer_pj_per_byte(&self) -> f64 {
        let width_bits = u32::try_from(self.link_bytes_per_cycle.saturating_mul(8)).unwrap_or(u32::MAX);
        let e = crate::cost::pe::storage_energy(self.buffer_bytes, width_bits).at(self.nominal_v);
        e.read_pj_per_byte + e.write_pj_per_byte
    }

    pub fn validate(&self) -> Result<NocConfig, ParamError> {
        let (rows, cols) = self.shape()?;
        let routers = rows * cols;
        self.check_endpoint_names()?;
        let endpoint_routers = self.endpoint_routers(routers)?;
        // Ranges of numbers are declared (`Declared`) and checked by the edge.
        let address_map = self.address_map()?;
        Ok(NocConfig {
            topology: self.topology,
            rows: rows as u32,
            cols: cols as u32,
            endpoints: self.endpoints.clone(),
            endpoint_routers,
            link_bytes_per_cycle: self.link_bytes_per_cycle,
            router_latency_cycles: self.router_latency_cycles,
            buffer_bytes: self.buffer_bytes,
            address_map,
            link_pj_per_byte: self.link_pj_per_byte.unwrap_or(8.0 * self.wire_pj_per_bit_mm * self.link_length_mm),
            link_length_mm: self.link_length_mm,
            router_pj_per_byte: self.router_pj_per_byte.unwrap_or_else(|| self.buffer_pj_per_byte()),
            router_pj_per_packet: self.router_pj_per_packet,
            leakage_uw_per_router: self.leakage_uw_per_router,
            leakage_uw_per_buffer_kib: self.leakage_uw_per_buffer_kib,
            nominal_v: self.nominal_v,
            leakage_voltage_exponent: self.leakage_voltage_exponent,
        })
    }

    fn shape(&self) -> Result<(u64, u64), ParamError> {
        match self.topology {
            NocTopology::Crossbar => {
                for (name, given) in [("rows", self.rows.is_some()), ("cols", self.cols.is_some())] {
                    if given {
                        return Err(ParamError::new(
                            name,
                            format!("`{name}` applies to a mesh; a crossbar is one router"),
                        )
                        .fix(format!("remove `{name}` or use `topology: mesh`")));
                    }
                }
                Ok((1, 1))
            }
            NocTopology::Mesh => {
                let mut dims = [0u64; 2];
                for (d, (name, v)) in dims.iter_mut().zip([("rows", self.rows), ("cols", self.cols)]) {
                    match v {
                        None => return Err(ParamError::new(name, format!("a mesh needs `{name}`"))),
                        Some(n) => *d = u64::from(n),
                    }
                }
                if dims[0] * dims[1] > MAX_ROUTERS {
                    return Err(ParamError::new(
                        "rows",
                        format!("a {}×{} mesh has more than {MAX_ROUTERS} routers", dims[0], dims[1]),
                    ));
                }
                Ok((dims[0], dims[1]))
            }
        }
    }

    fn check_endpoint_names(&self) -> Result<(), ParamError> {
        if self.endpoints.is_empty() {
            return Err(ParamError::new("endpoints", "the NoC needs at least one endpoint"));
        }
        if self.endpoints.len() > MAX_ENDPOINTS {
            return Err(ParamError::new(
                "endpoints",
                format!("{} endpoints is more than the {MAX_ENDPOINTS} a NoC supports", self.endpoints.len()),
            ));
        }
        for (i, name) in self.endpoints.iter().enumerate() {
            let param = format!("endpoints[{i}]");
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(ParamError::new(
                    param,
                    format!("endpoint name `{name}` must be letters, digits and `_` (it is part of statistic names)"),
                ));
            }
            if is_router_name(name) {
                return Err(ParamError::new(param, format!("endpoint name `{name}` is taken by a router"))
                    .fix("routers are named r0, r1, ...; choose another name"));
            }
            if let Some(first) = self.endpoints[..i].iter().position(|n| n == name) {
                return Err(ParamError::new(
                    param,
                    format!("duplicate endpoint name `{name}` (also endpoints[{first}])"),
                ));
            }
        }
        Ok(())
    }

    fn endpoint_routers(&self, routers: u64) -> Result<Vec<u32>, ParamError> {
        let n = self.endpoints.len();
        let Some(given) = &self.endpoint_routers else {
            if self.topology == NocTopology::Crossbar {
                return Ok(vec![0; n]);
            }
            if n as u64 > routers {
                return Err(ParamError::new(
                    "endpoints",
                    format!(
                        "{n} endpoints but {routers} routers: without `endpoint_routers`, endpoint i hangs on router i"
                    ),
                )
                .fix("give `endpoint_routers`, one router index per endpoint"));
            }
            return Ok((0..n as u32).collect());
        };
        if self.topology == NocTopology::Crossbar {
            return Err(ParamError::new(
                "endpoint_routers",
                "`endpoint_routers` applies to a mesh; a crossbar joins every endpoint at its one router",
            )
            .fix("remove `endpoint_routers` or use `topology: mesh`"));
        }
        if given.len() != n {
            return Err(ParamError::new(
                "endpoint_routers",
                format!(
                    "`endpoint_routers` has {} entries for {n} endpoints; give one router per endpoint",
                    given.len()
                ),
            ));
        }
        for (i, &r) in given.iter().enumerate() {
            if u64::from(r) >= routers {
                return Err(ParamError::new(
                    format!("endpoint_routers[{i}]"),
                    format!(
                        "endpoint `{}` is on router {r}, but the mesh has routers 0 to {}",
                        self.endpoints[i],
                        routers - 1
                    ),
                ));
            }
        }
        Ok(given.clone())
    }

    fn address_map(&self) -> Result<AddressMap, ParamError> {
        if self.address_map.is_empty() {
            return Err(ParamError::new("address_map", "`address_map` is empty: requests could go nowhere")
                .fix("add `{endpoint: NAME, base_addr: 0, size_bytes: N}` for each memory target"));
        }
        let mut regions: Vec<Region> = Vec::with_capacity(self.address_map.len());
        for (i, r) in self.address_map.iter().enumerate() {
            let Some(endpoint) = self.endpoints.iter().position(|e| *e == r.endpoint) else {
                return Err(ParamError::new(
                    format!("address_map[{i}].endpoint"),
                    format!("unknown endpoint `{}`", r.endpoint),
                )
                .fix(format!("use one of: {}", self.endpoints.join(", "))));
            };
            if r.size_bytes == 0 {
                return Err(ParamError::new(format!("address_map[{i}].size_bytes"), "`size_bytes` must be at least 1"));
            }
            let Some(end) = r.base_addr.checked_add(r.size_bytes) else {
                return Err(ParamError::new(
                    format!("address_map[{i}].size_bytes"),
                    format!(
                        "range {:#x} + {:#x} bytes runs past the end of the 64-bit address space",
                        r.base_addr, r.size_bytes
                    ),
                ));
            };
            let region = Region { base: r.base_addr, end, endpoint: endpoint as u32 };
            if let Some(j) = regions.iter().position(|o| o.base < region.end && region.base < o.end) {
                let o = &regions[j];
                return Err(ParamError::new(
                    format!("address_map[{i}]"),
                    format!(
                        "range {:#x}..{:#x} of `{}` overlaps address_map[{j}] ({:#x}..{:#x} of `{}`)",
                        region.base, region.end, r.endpoint, o.base, o.end, self.endpoints[o.endpoint as usize]
                    ),
                ));
            }
            regions.push(region);
        }
        Ok(AddressMap::new(regions))
    }
}

/// `r0`, `r1`, ...: the names routers have in statistics.
fn is_router_name(name: &str) -> bool {
    name.strip_prefix('r').is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A valid 2×3 mesh (or crossbar) with five endpoints and `gb` owning 4 GiB from 0.
    pub(crate) fn params(topology: &str) -> NocParams {
        let mesh = topology == "mesh";
        NocParams {
            topology: if mesh { NocTopology::Mesh } else { NocTopology::Crossbar },
            rows: mesh.then_some(2),
            cols: mesh.then_some(3),
            endpoints: ["pc0", "pc1", "uc", "ctrl", "gb"].map(String::from).to_vec(),
            endpoint_routers: None,
            clock: "sys_clk".into(),
            link_bytes_per_cycle: default_link_bytes_per_cycle(),
            router_latency_cycles: default_router_latency_cycles(),
            buffer_bytes: default_buffer_bytes(),
            address_map: vec![RegionParams { endpoint: "gb".into(), base_addr: 0, size_bytes: 1 << 32 }],
            link_pj_per_byte: None,
            wire_pj_per_bit_mm: default_wire_pj_per_bit_mm(),
            link_length_mm: default_link_length_mm(),
            router_pj_per_byte: None,
            router_pj_per_packet: default_router_pj_per_packet(),
            leakage_uw_per_router: default_leakage_uw_per_router(),
            leakage_uw_per_buffer_kib: default_leakage_uw_per_buffer_kib(),
            nominal_v: default_nominal_v(),
            leakage_voltage_exponent: default_leakage_voltage_exponent(),
        }
    }

    fn error(p: &NocParams) -> (String, String) {
        let e = p.validate().expect_err("these parameters are wrong");
        (e.param, e.message)
    }

    #[test]
    fn link_energy_follows_the_link_length_unless_given() {
        let mut p = params("mesh");
        assert_eq!(p.validate().unwrap().link_pj_per_byte, 8.0 * 0.2 * 1.0);
        p.link_length_mm = 2.5;
        assert_eq!(p.validate().unwrap().link_pj_per_byte, 8.0 * 0.2 * 2.5);
        p.link_pj_per_byte = Some(3.0);
        assert_eq!(p.validate().unwrap().link_pj_per_byte, 3.0);
    }

    #[test]
    fn router_energy_is_its_buffers_write_and_read_unless_given() {
        use crate::cost::pe::storage_energy;
        let mut p = params("mesh");
        // 512 bytes: flip-flops, 8 bits written and read at 0.009 pJ (40 nm) x 1.43, at 0.9 V.
        let ff = 2.0 * 8.0 * 0.009 * 1.43 * (1.0f64 / 0.9).powi(2);
        assert!((p.validate().unwrap().router_pj_per_byte / ff - 1.0).abs() < 1e-12);
        // 8 KiB buffers are SRAM read a 128-bit link word at a time.
        p.buffer_bytes = 8192;
        let s = storage_energy(8192, 128).at(1.0);
        assert_eq!(p.validate().unwrap().router_pj_per_byte, s.read_pj_per_byte + s.write_pj_per_byte);
        p.router_pj_per_byte = Some(0.5);
        assert_eq!(p.validate().unwrap().router_pj_per_byte, 0.5);
    }

    #[test]
    fn defaults_put_endpoint_i_on_router_i() {
        let c = params("mesh").validate().unwrap();
        assert_eq!((c.rows, c.cols), (2, 3));
        assert_eq!(c.endpoint_routers, [0, 1, 2, 3, 4]);
        assert_eq!(c.address_map.lookup(0x1234), Some(4));
        let x = params("crossbar").validate().unwrap();
        assert_eq!((x.rows, x.cols, x.endpoint_routers), (1, 1, vec![0; 5]));
    }

    #[test]
    fn shape_errors_name_the_parameter() {
        let mut p = params("mesh");
        p.cols = None;
        assert_eq!(error(&p), ("cols".into(), "a mesh needs `cols`".into()));
        let mut p = params("crossbar");
        p.rows = Some(2);
        assert_eq!(error(&p), ("rows".into(), "`rows` applies to a mesh; a crossbar is one router".into()));
        let mut p = params("mesh");
        p.rows = Some(1);
        assert_eq!(
            error(&p),
            (
                "endpoints".into(),
                "5 endpoints but 3 routers: without `endpoint_routers`, endpoint i hangs on router i".into()
            )
        );
    }

    #[test]
    fn endpoint_errors_name_the_entry() {
        let mut p = params("mesh");
        p.endpoint_routers = Some(vec![0, 2, 3, 6, 1]);
        assert_eq!(
            error(&p),
            ("endpoint_routers[3]".into(), "endpoint `ctrl` is on router 6, but the mesh has routers 0 to 5".into())
        );
        p.endpoint_routers = Some(vec![0, 2]);
        assert_eq!(error(&p).0, "endpoint_routers");
        let mut p = params("mesh");
        p.endpoints[3] = "pc1".into();
        assert_eq!(error(&p), ("endpoints[3]".into(), "duplicate endpoint name `pc1` (also endpoints[1])".into()));
        p.endpoints[3] = "r2".into();
        assert_eq!(error(&p), ("endpoints[3]".into(), "endpoint name `r2` is taken by a router".into()));
        p.endpoints[3] = "a.b".into();
        assert_eq!(error(&p).0, "endpoints[3]");
        p.endpoints = (0..=MAX_ENDPOINTS).map(|i| format!("e{i}")).collect();
        assert_eq!(error(&p), ("endpoints".into(), "1025 endpoints is more than the 1024 a NoC supports".into()));
    }

    #[test]
    fn address_map_errors() {
        let mut p = params("mesh");
        p.address_map[0].endpoint = "gbb".into();
        let e = p.validate().unwrap_err();
        assert_eq!((e.param.as_str(), e.message.as_str()), ("address_map[0].endpoint", "unknown endpoint `gbb`"));
        assert_eq!(e.fix.as_deref(), Some("use one of: pc0, pc1, uc, ctrl, gb"));
        let mut p = params("mesh");
        p.address_map.push(RegionParams { endpoint: "uc".into(), base_addr: 0xffff_0000, size_bytes: 0x20000 });
        assert_eq!(
            error(&p),
            (
                "address_map[1]".into(),
                "range 0xffff0000..0x100010000 of `uc` overlaps address_map[0] (0x0..0x100000000 of `gb`)".into()
            )
        );
        p.address_map[1].base_addr = 1 << 32; // adjacent, not overlapping
        assert!(p.validate().is_ok());
        p.address_map[1].base_addr = u64::MAX;
        assert_eq!(error(&p).0, "address_map[1].size_bytes");
    }
}
