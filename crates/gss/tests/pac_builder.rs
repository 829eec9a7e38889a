//! Builds PACs for tests and benches: an NDR encoder for KERB_VALIDATION_INFO
//! (MS-PAC 2.5), a PACTYPE layout with 8-byte aligned buffers (MS-PAC 2.3, 2.4), and
//! server/KDC signatures (MS-PAC 2.8). Included by pac_hostile.rs and the pac bench;
//! built on its own it checks that what it builds decodes.
#![allow(dead_code, unreachable_pub, missing_docs)]
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use kerbgate_crypto::{ChecksumType, Key};

/// Little-endian NDR writer; alignment relative to the buffer start.
#[derive(Default)]
pub struct Ndr(pub Vec<u8>);

impl Ndr {
    pub fn align(&mut self, n: usize) {
        let len = self.0.len().next_multiple_of(n);
        self.0.resize(len, 0);
    }
    pub fn u16(&mut self, v: u16) {
        self.align(2);
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u32(&mut self, v: u32) {
        self.align(4);
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub fn filetime(&mut self, v: u64) {
        self.u32(v as u32);
        self.u32((v >> 32) as u32);
    }
    /// RPC_UNICODE_STRING header.
    pub fn str_hdr(&mut self, s: &str) {
        let n = s.encode_utf16().count() as u16 * 2;
        self.u16(n);
        self.u16(n);
        self.u32(if s.is_empty() { 0 } else { 0x0002_0004 });
    }
    /// Deferred conformant-varying UTF-16 array.
    pub fn str_body(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        let units: Vec<u16> = s.encode_utf16().collect();
        self.u32(units.len() as u32);
        self.u32(0);
        self.u32(units.len() as u32);
        for u in units {
            self.0.extend_from_slice(&u.to_le_bytes());
        }
    }
    /// Deferred RPC_SID (conformance count first).
    pub fn sid(&mut self, authority: u8, subs: &[u32]) {
        self.u32(subs.len() as u32);
        self.0.push(1);
        self.0.push(subs.len() as u8);
        self.0.extend_from_slice(&[0, 0, 0, 0, 0, authority]);
        for s in subs {
            self.u32(*s);
        }
    }
}

/// A logon info to encode.
pub struct Logon {
    pub account: String,
    pub domain: String,
    pub domain_sid: Vec<u32>,
    pub user_rid: u32,
    pub groups: Vec<u32>,
    /// (authority, sub-authorities).
    pub extra_sids: Vec<(u8, Vec<u32>)>,
    pub resource_groups: Vec<u32>,
}

impl Logon {
    pub fn with_groups(n: u32) -> Logon {
        Logon {
            account: "alice".into(),
            domain: "EXAMPLE".into(),
            domain_sid: vec![21, 1_111_111_111, 2_222_222_222, 3_333_333_333],
            user_rid: 1104,
            groups: (0..n).map(|i| 1000 + i).collect(),
            extra_sids: vec![(18, vec![1]), (5, vec![32, 544])],
            resource_groups: vec![],
        }
    }

    /// The NDR type-serialized KERB_VALIDATION_INFO (MS-RPCE 2.2.6).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Ndr::default();
        w.0.extend_from_slice(&[1, 0x10, 8, 0, 0xcc, 0xcc, 0xcc, 0xcc]);
        w.0.extend_from_slice(&[0; 8]); // private header, patched below
        w.u32(0x0002_0000);
        for t in [
            1u64,
            i64::MAX as u64,
            i64::MAX as u64,
            2,
            3,
            i64::MAX as u64,
        ] {
            w.filetime(t);
        }
        let strings = [self.account.as_str(), "Alice Example", "", "", "", ""];
        for s in strings {
            w.str_hdr(s);
        }
        w.u16(5);
        w.u16(0);
        w.u32(self.user_rid);
        w.u32(513);
        w.u32(self.groups.len() as u32);
        w.u32(if self.groups.is_empty() {
            0
        } else {
            0x0002_0008
        });
        w.u32(0x20);
        w.0.extend_from_slice(&[0; 16]);
        w.str_hdr("DC1");
        w.str_hdr(&self.domain);
        w.u32(0x0002_000c);
        w.u32(0);
        w.u32(0);
        w.u32(0x10);
        w.u32(0);
        w.filetime(0);
        w.filetime(0);
        w.u32(0);
        w.u32(0);
        w.u32(self.extra_sids.len() as u32);
        w.u32(if self.extra_sids.is_empty() {
            0
        } else {
            0x0002_0010
        });
        let res = !self.resource_groups.is_empty();
        w.u32(if res { 0x0002_0014 } else { 0 });
        w.u32(self.resource_groups.len() as u32);
        w.u32(if res { 0x0002_0018 } else { 0 });

        for s in strings {
            w.str_body(s);
        }
        if !self.groups.is_empty() {
            w.u32(self.groups.len() as u32);
            for g in &self.groups {
                w.u32(*g);
                w.u32(7);
            }
        }
        w.str_body("DC1");
        w.str_body(&self.domain);
        w.sid(5, &self.domain_sid);
        if !self.extra_sids.is_empty() {
            w.u32(self.extra_sids.len() as u32);
            for (i, _) in self.extra_sids.iter().enumerate() {
                w.u32(0x0003_0000 + i as u32);
                w.u32(7);
            }
            for (a, subs) in &self.extra_sids {
                w.sid(*a, subs);
            }
        }
        if res {
            w.sid(5, &self.domain_sid);
            w.u32(self.resource_groups.len() as u32);
            for g in &self.resource_groups {
                w.u32(*g);
                w.u32(0x2000_0007);
            }
        }
        w.align(8);
        let len = (w.0.len() - 16) as u32;
        w.0[8..12].copy_from_slice(&len.to_le_bytes());
        w.0
    }
}

/// PAC_CLIENT_INFO for a name and Unix authtime.
pub fn client_info(name: &str, authtime: i64) -> Vec<u8> {
    let ft = ((authtime + 11_644_473_600) as u64) * 10_000_000;
    let mut v = ft.to_le_bytes().to_vec();
    let units: Vec<u16> = name.encode_utf16().collect();
    v.extend_from_slice(&(units.len() as u16 * 2).to_le_bytes());
    for u in units {
        v.extend_from_slice(&u.to_le_bytes());
    }
    v
}

/// Lays out buffers after the table, each 8-byte aligned. Returns the PAC and
/// each buffer's offset.
pub fn layout(buffers: &[(u32, Vec<u8>)]) -> (Vec<u8>, Vec<usize>) {
    let mut out = Vec::new();
    out.extend_from_slice(&(buffers.len() as u32).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    let mut off = 8 + 16 * buffers.len();
    let mut offsets = Vec::new();
    for (t, data) in buffers {
        off = off.next_multiple_of(8);
        out.extend_from_slice(&t.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(off as u64).to_le_bytes());
        offsets.push(off);
        off += data.len();
    }
    for (i, (_, data)) in buffers.iter().enumerate() {
        out.resize(offsets[i], 0);
        out.extend_from_slice(data);
    }
    (out, offsets)
}

/// A signed PAC: `buffers` plus server and KDC signatures made with the given keys.
pub fn signed_pac(mut buffers: Vec<(u32, Vec<u8>)>, server: &Key, kdc: &Key) -> Vec<u8> {
    let sct = server.enctype().checksum_type();
    let kct = kdc.enctype().checksum_type();
    let sig = |ct: ChecksumType| {
        let mut v = ct.to_i32().to_le_bytes().to_vec();
        v.resize(4 + ct.size(), 0);
        v
    };
    buffers.push((6, sig(sct)));
    buffers.push((7, sig(kct)));
    let (mut pac, offs) = layout(&buffers);
    let n = buffers.len();
    let (s_off, k_off) = (offs[n - 2] + 4, offs[n - 1] + 4);
    // MS-PAC 2.8.1: server signature over the PAC with both signature values zeroed.
    let s = server.checksum_with(sct, 17, &pac).unwrap();
    pac[s_off..s_off + s.len()].copy_from_slice(&s);
    // MS-PAC 2.8.2: KDC signature over the server signature value.
    let k = kdc.checksum_with(kct, 17, &s).unwrap();
    pac[k_off..k_off + k.len()].copy_from_slice(&k);
    pac
}

/// The keys the built PACs are signed with.
pub fn keys() -> (Key, Key) {
    use kerbgate_crypto::Enctype;
    (
        Key::new(Enctype::Aes256CtsHmacSha196, &[0x11; 32]).unwrap(),
        Key::new(Enctype::Aes256CtsHmacSha196, &[0x22; 32]).unwrap(),
    )
}

/// A signed PAC with logon info of `groups` groups and client info.
pub fn big_pac(groups: u32) -> Vec<u8> {
    let (s, k) = keys();
    let logon = Logon::with_groups(groups).encode();
    signed_pac(
        vec![(1, logon), (10, client_info("alice", 1_700_000_000))],
        &s,
        &k,
    )
}

#[test]
fn built_pac_decodes_and_verifies() {
    let pac = kerbgate::pac::Pac::parse(&big_pac(3)).unwrap();
    let (s, k) = keys();
    pac.verify_server_signature(&s).unwrap();
    pac.verify_kdc_signature(&k).unwrap();
    assert_eq!(pac.group_sids().len(), 5);
}
