use super::*;
use std::net::UdpSocket;

fn collector() -> (UdpSocket, String) {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let name = s.local_addr().unwrap().to_string();
    (s, name)
}

#[test]
fn datagrams_arrive_unchanged_and_are_counted() {
    let (target, name) = collector();
    let (f, lines) = Forwarder::start(std::slice::from_ref(&name), false);
    assert_eq!(
        lines,
        [format!(
            "forwarding every datagram from accepted sensors to {name}, from this computer's own address"
        )]
    );
    let sensor: SocketAddr = "127.0.5.9:50000".parse().unwrap();
    for i in 0..3u8 {
        f.put(sensor, &[0, 5, i, 42]);
    }
    let mut buf = [0u8; 64];
    for i in 0..3u8 {
        let (n, _) = target.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], &[0, 5, i, 42]);
    }
    let end = f.close(Duration::from_secs(5));
    assert_eq!(
        end,
        [format!(
            "forwarded to {name}: 3 datagram(s) sent, 0 dropped (queue full), 0 not sent"
        )]
    );
}

#[test]
fn a_flood_never_waits_for_the_target_it_drops_and_counts() {
    let (_target, name) = collector();
    let (f, _) = Forwarder::start(&[name], false);
    let sensor: SocketAddr = "127.0.5.9:50000".parse().unwrap();
    let data = [7u8; 1024];
    const N: u64 = 1_000_000;
    for _ in 0..N {
        f.put(sensor, &data);
    }
    let end = f.close(Duration::from_secs(30));
    let nums: Vec<u64> = end[0]
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    // "forwarded to 127.0.0.1:P: S datagram(s) sent, D dropped (queue full), F not sent"
    let [.., sent, dropped, failed] = nums[..] else {
        panic!("{end:?}")
    };
    assert_eq!(sent + dropped + failed, N, "{end:?}");
    assert!(dropped > 0, "the queue is bounded: {end:?}");
}

#[test]
fn keep_source_without_the_right_is_said_at_start() {
    let (_target, name) = collector();
    let (f, lines) = Forwarder::start(&[name], true);
    if SpoofedUdp::open().is_ok() {
        assert!(
            lines[0].ends_with("keeping each sensor's address as the source (IPv4)"),
            "{lines:?}"
        );
    } else {
        assert!(
            lines[1].starts_with("KeepSource = 1: cannot send datagrams with a sensor's address"),
            "{lines:?}"
        );
    }
    f.close(Duration::from_secs(1));
}

#[test]
fn a_name_that_does_not_resolve_is_counted_not_sent() {
    let (f, _) = Forwarder::start(&["no-such-host.invalid:2055".to_string()], false);
    f.put("127.0.5.9:1".parse().unwrap(), &[1, 2, 3]);
    let end = f.close(Duration::from_secs(5));
    assert!(
        end[0].ends_with("0 datagram(s) sent, 0 dropped (queue full), 1 not sent"),
        "{end:?}"
    );
}
