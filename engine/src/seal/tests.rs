//! The suites against the standards' published vectors, and the key hierarchy's promises.

use aes_gcm::aead::{Aead, KeyInit, Payload};

use super::*;

fn h(s: &str) -> Vec<u8> {
    unhex(&s.replace(' ', "")).expect("hex")
}

#[test]
fn sm4_matches_gb_t_32907_appendix_a() {
    use sm4::cipher::{BlockEncrypt, KeyInit as _};
    let key = h("0123456789abcdeffedcba9876543210");
    let c = sm4::Sm4::new_from_slice(&key).expect("key");
    let mut block = GenericArray::clone_from_slice(&key);
    c.encrypt_block(&mut block);
    assert_eq!(hex(&block), "681edf34d206965e86b3e94f536e4246");
}

#[test]
fn sm3_matches_gb_t_32905_appendix_a() {
    assert_eq!(
        Suite::Sm4GcmSm3.digest_hex(b"abc"),
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    );
    assert_eq!(
        Suite::Sm4GcmSm3.digest_hex("abcd".repeat(16).as_bytes()),
        "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
    );
}

#[test]
fn sm4_gcm_matches_rfc_8998() {
    let c = Sm4Gcm::new_from_slice(&h("0123456789ABCDEFFEDCBA9876543210")).expect("key");
    let nonce = h("00001234567800000000ABCD");
    let aad = h("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2");
    let plain = h("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD\
                   EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA");
    let out = c
        .encrypt(GenericArray::from_slice(&nonce), Payload { msg: &plain, aad: &aad })
        .expect("encrypts");
    assert_eq!(
        hex(&out),
        "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735\
         d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d\
         83de3541e4c2b58177e065a9bf7b62ec"
    );
}

#[test]
fn aes_256_gcm_matches_the_gcm_specification() {
    // McGrew and Viega, "The Galois/Counter Mode of Operation", test cases 13 and 14.
    let c = Aes256Gcm::new_from_slice(&[0u8; 32]).expect("key");
    let nonce = [0u8; 12];
    let empty = c
        .encrypt(GenericArray::from_slice(&nonce), Payload { msg: &[], aad: &[] })
        .expect("encrypts");
    assert_eq!(hex(&empty), "530f8afbc74536b9a963b4f1c4cb738b");
    let zeros = c
        .encrypt(
            GenericArray::from_slice(&nonce),
            Payload {
                msg: &[0u8; 16],
                aad: &[],
            },
        )
        .expect("encrypts");
    assert_eq!(
        hex(&zeros),
        "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919"
    );
}

#[test]
fn hmac_sha256_matches_rfc_4231() {
    // Test case 2: key "Jefe", data "what do ya want for nothing?" (no length prefixes here:
    // the vector checks the primitive the keyed digest is built on).
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(b"Jefe").expect("key");
    m.update(b"what do ya want for nothing?");
    assert_eq!(
        hex(&m.finalize().into_bytes()),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn the_padded_key_gives_the_same_hmac_as_the_key_itself() {
    let key = [7u8; 32];
    for suite in [Suite::Aes256GcmSha256, Suite::Sm4GcmSm3] {
        let plain = |data: &[u8]| match suite {
            Suite::Aes256GcmSha256 => {
                let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&key).expect("key");
                m.update(data);
                m.finalize().into_bytes().to_vec()
            }
            Suite::Sm4GcmSm3 => {
                let mut m = <Hmac<Sm3> as Mac>::new_from_slice(&key).expect("key");
                m.update(data);
                m.finalize().into_bytes().to_vec()
            }
        };
        // `mac` length-prefixes its one part: the same bytes through plain HMAC.
        let mut framed = 3u64.to_be_bytes().to_vec();
        framed.extend(b"abc");
        assert_eq!(suite.mac(&key, &[b"abc"]), plain(&framed), "{}", suite.name());
    }
}

#[test]
fn a_value_opens_only_in_its_case_and_field_and_with_its_key() {
    for suite in [Suite::Aes256GcmSha256, Suite::Sm4GcmSm3] {
        let master = MasterKey::generate(suite);
        let (dk, wrapped) = master.new_data_key("case-1").expect("data key");
        let sealed = dk.seal("case-1", "caller_phone", "13800000001").expect("seals");
        assert!(is_sealed(&sealed) && !sealed.contains("13800000001"), "{sealed}");
        // Two seals of one value differ (a fresh nonce each time).
        assert_ne!(sealed, dk.seal("case-1", "caller_phone", "13800000001").expect("seals"));
        let dk = master.unwrap("case-1", &wrapped).expect("unwraps");
        assert_eq!(
            dk.open("case-1", "caller_phone", &sealed).expect("opens"),
            "13800000001"
        );
        // Moved to another case or field, it does not open; nor does a wrapped key moved.
        assert_eq!(dk.open("case-2", "caller_phone", &sealed), Err(SealError::Forged));
        assert_eq!(dk.open("case-1", "caller", &sealed), Err(SealError::Forged));
        assert_eq!(master.unwrap("case-2", &wrapped).err(), Some(SealError::Forged));
        // Another master key opens nothing, and says so.
        let other = MasterKey::generate(suite);
        assert_ne!(other.fingerprint(), master.fingerprint());
        assert_eq!(other.unwrap("case-1", &wrapped).err(), Some(SealError::Forged));
        // A changed byte anywhere is refused, never a panic.
        for i in [10, sealed.len() / 2, sealed.len() - 1] {
            let mut b = sealed.clone().into_bytes();
            b[i] = if b[i] == b'0' { b'1' } else { b'0' };
            let changed = String::from_utf8(b).expect("text");
            assert!(dk.open("case-1", "caller_phone", &changed).is_err());
        }
        for junk in [
            "",
            "ymn1.",
            "ymn1.nope.00",
            "ymn1.aes256gcm-sha256.zz",
            "ymn1.sm4gcm-sm3.00",
        ] {
            assert!(dk.open("case-1", "f", junk).is_err(), "{junk}");
        }
    }
}

#[test]
fn a_value_of_the_other_suite_is_named_as_such() {
    let aes = MasterKey::generate(Suite::Aes256GcmSha256);
    let sm = MasterKey::generate(Suite::Sm4GcmSm3);
    let (dk, _) = aes.new_data_key("c").expect("key");
    let (dk_sm, _) = sm.new_data_key("c").expect("key");
    let sealed = dk.seal("c", "f", "x").expect("seals");
    assert_eq!(
        dk_sm.open("c", "f", &sealed),
        Err(SealError::OtherSuite {
            found: "aes256gcm-sha256",
            expected: "sm4gcm-sm3"
        })
    );
}

#[test]
fn blind_indexes_match_across_cases_and_reveal_nothing_without_the_key() {
    for suite in [Suite::Aes256GcmSha256, Suite::Sm4GcmSm3] {
        let k = MasterKey::generate(suite);
        let a = k.blind_index("phone", "13800000001");
        assert_eq!(a, k.blind_index("phone", "13800000001"));
        assert_ne!(a, k.blind_index("phone", "13800000002"));
        assert_ne!(a, k.blind_index("id_number", "13800000001"), "kinds do not collide");
        assert_ne!(a, MasterKey::generate(suite).blind_index("phone", "13800000001"));
        assert!(!a.contains("13800000001") && a.len() == 32);
    }
}

#[test]
fn the_key_file_is_made_once_readable_by_its_owner_and_refused_when_damaged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("master.key");
    let (k, created) = MasterKey::load_or_create(Suite::Sm4GcmSm3, &path).expect("creates");
    assert!(created);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o077, 0, "only its owner may read it: {mode:o}");
    }
    let (again, created) = MasterKey::load_or_create(Suite::Sm4GcmSm3, &path).expect("loads");
    assert!(!created);
    assert_eq!(again.fingerprint(), k.fingerprint());
    assert!(!format!("{k:?}").contains(&hex(&k.bytes)), "the key never prints");
    for (text, why) in [
        ("", "does not start"),
        ("yimen master key v1\n", "holds no key"),
        ("yimen master key v1\nxyz\n", "not hex"),
        ("yimen master key v1\n00ff\n", "not 32 bytes"),
    ] {
        std::fs::write(&path, text).expect("write");
        let e = MasterKey::load(Suite::Sm4GcmSm3, &path).expect_err("refused");
        assert!(e.to_string().contains(why), "{e}");
    }
    // Servers starting at once agree on one key, and leave no draft behind.
    let shared = dir.path().join("shared.key");
    let prints: Vec<String> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    MasterKey::load_or_create(Suite::Sm4GcmSm3, &shared)
                        .expect("a key")
                        .0
                        .fingerprint()
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().expect("joined")).collect()
    });
    assert!(prints.windows(2).all(|w| w[0] == w[1]), "{prints:?}");
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        2,
        "the two key files only"
    );
    let missing = MasterKey::load(Suite::Sm4GcmSm3, &dir.path().join("none")).expect_err("refused");
    assert!(missing.to_string().contains("none"), "{missing}");
}
