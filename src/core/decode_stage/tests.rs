//! The decode stage: each datagram's records, spare batches, room, stopping, new sockets.

use super::batch::{SPARE_RECORDS, SPARES};
use super::*;
use crate::flow::Addr;
use crate::receive::bind_all;
use std::net::{IpAddr, UdpSocket};

/// A v5 datagram with `n` records of 100 bytes each.
fn v5(n: u16) -> Vec<u8> {
    let mut d = vec![0, 5];
    d.extend_from_slice(&n.to_be_bytes());
    d.resize(24, 0);
    for i in 0..n {
        let mut rec = [0u8; 48];
        rec[0..4].copy_from_slice(&[10, 0, 0, i as u8]); // source address
        rec[20..24].copy_from_slice(&100u32.to_be_bytes()); // bytes
        rec[38] = 17;
        d.extend_from_slice(&rec);
    }
    d
}

/// The datagrams decoded into one batch, as the stage reads them.
fn decode_all(
    decoder: &mut Decoder,
    allowed: &[Network],
    spares: &Spares,
    datagrams: &[(&str, Vec<u8>)],
) -> Batch {
    let mut batch = spares.take(datagrams.len(), 0);
    for (from, data) in datagrams {
        let from = from.parse().unwrap();
        take(
            decoder,
            allowed,
            false,
            &mut batch,
            from,
            data,
            SystemTime::now(),
        );
    }
    batch
}

/// A socket on a free loopback port, and a stage reading it.
fn listening_stage(room: Room) -> (DecodeStage, Listened, mpsc::Receiver<Batch>, Controls) {
    let bound = bind_all(&["127.0.0.1".parse().unwrap()], &[0], 4 << 20)
        .unwrap()
        .bound;
    let addr = Listened {
        addr: bound[0].addr,
        buffer: bound[0].recv_buffer,
    };
    let (out, batches) = mpsc::channel(64);
    let (control_tx, control) = mpsc::unbounded_channel();
    let stage = DecodeStage {
        sockets: Sockets::open(bound).unwrap(),
        out,
        control,
        paused: Arc::new(AtomicBool::new(false)),
        allowed: Vec::new(),
        forward: crate::forward::Forwarder::default(),
        stats: SharedStats::default(),
        spares: Spares::default(),
        room,
        templates: None,
    };
    (stage, addr, batches, control_tx)
}

type Controls = mpsc::UnboundedSender<Control>;

/// Where the stage listens, and the receive buffer the system granted.
#[derive(Clone, Copy)]
struct Listened {
    addr: SocketAddr,
    buffer: usize,
}

#[test]
fn each_datagram_keeps_its_own_records() {
    let allowed = crate::settings::values::parse_networks("127.0.0.0/8").unwrap();
    let batch = decode_all(
        &mut Decoder::new(),
        &allowed,
        &Spares::default(),
        &[
            ("127.0.0.1:2055", v5(2)),
            ("127.0.0.2:2055", b"GET / HTTP/1.1".to_vec()),
            ("192.0.2.1:2055", v5(3)),
            ("127.0.0.3:2055", v5(1)),
        ],
    );
    let got: Vec<(IpAddr, usize, bool)> = batch
        .datagrams()
        .map(|(item, records)| {
            let own = records.iter().all(|r| r.exporter == Addr::from(item.ip));
            (item.ip, records.len(), own)
        })
        .collect();
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    assert_eq!(
        got,
        [
            (ip("127.0.0.1"), 2, true),
            (ip("127.0.0.2"), 0, true),
            (ip("192.0.2.1"), 0, true),
            (ip("127.0.0.3"), 1, true),
        ]
    );
    assert!(matches!(batch.items[2].fate, Fate::Refused));
    assert!(matches!(batch.items[1].fate, Fate::Decoded(o) if o.error.is_some()));
}

#[test]
fn an_emptied_batch_is_filled_again_and_the_spares_are_bounded() {
    let spares = Spares::default();
    let mut decoder = Decoder::new();
    let one = |n: u16| [("127.0.0.1:2055", v5(n))];
    let first = decode_all(&mut decoder, &[], &spares, &one(30));
    let place = first.records.as_ptr();
    spares.give(first);
    assert_eq!(spares.len(), 1);
    // The next batch is the same vectors, emptied and filled anew.
    let second = decode_all(&mut decoder, &[], &spares, &one(2));
    assert_eq!(second.records.as_ptr(), place);
    assert_eq!(
        second.datagrams().map(|(_, r)| r.len()).collect::<Vec<_>>(),
        [2]
    );
    assert_eq!(spares.len(), 0);
    // At most SPARES are kept; one grown past SPARE_RECORDS is freed, as is the last batch.
    for _ in 0..SPARES + 1 {
        spares.give(Batch::default());
    }
    assert_eq!(spares.len(), SPARES);
    spares.release();
    let mut big = Batch::default();
    big.records.reserve(SPARE_RECORDS + 1);
    spares.give(big);
    spares.give(Batch {
        final_stats: Some(Default::default()),
        ..Batch::default()
    });
    assert_eq!(spares.len(), 0);
    spares.give(second);
    spares.release();
    assert_eq!(spares.len(), 0, "released when traffic stops");
}

#[tokio::test]
async fn decoded_records_wait_for_room_and_never_beyond_it() {
    let (stage, addr, mut batches, control) = listening_stage(Room::new(5));
    let task = tokio::spawn(stage.run());
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    let send = |n: u16| sender.send_to(&v5(n), addr.addr).unwrap();
    let wait = Duration::from_secs(10);
    let next = |b: Option<Batch>| b.unwrap().records.len();
    send(3);
    let first = tokio::time::timeout(wait, batches.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.records.len(), 3);
    assert_eq!(first.items[0].port, sender.local_addr().unwrap().port());
    // Three more records while three of five are not counted yet: the stage waits.
    send(3);
    let held = tokio::time::timeout(Duration::from_millis(300), batches.recv()).await;
    assert!(held.is_err(), "a batch beyond the room was handed over");
    drop(first);
    let second = tokio::time::timeout(wait, batches.recv()).await.unwrap();
    assert_eq!(next(second), 3);
    // A datagram bigger than the whole room still goes through, alone.
    send(8);
    let big = tokio::time::timeout(wait, batches.recv()).await.unwrap();
    assert_eq!(next(big), 8);
    control.send(Control::Stop).ok().unwrap();
    let last = tokio::time::timeout(wait, batches.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(last.final_stats.is_some());
    task.await.unwrap();
}

#[tokio::test]
async fn a_stop_reads_what_the_socket_holds_first() {
    let (stage, addr, mut batches, control) = listening_stage(Room::default());
    // Datagrams wait in the socket (more than one batch where the system grants a buffer
    // for them: about 2 KiB each on loopback), then the stop: nothing runs in between, so
    // only the stop's own reading can find them.
    let n = (addr.buffer / 2 / 2048).min(300);
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    for _ in 0..n {
        sender.send_to(&v5(30), addr.addr).unwrap();
    }
    control.send(Control::Stop).ok().unwrap();
    let task = tokio::spawn(stage.run());
    let (mut datagrams, mut records, mut sizes) = (0, 0, Vec::new());
    loop {
        let b = tokio::time::timeout(Duration::from_secs(10), batches.recv())
            .await
            .unwrap()
            .unwrap();
        if b.final_stats.is_some() {
            break;
        }
        sizes.push(b.items.len());
        datagrams += b.items.len();
        records += b.records.len();
    }
    assert!(n >= 50, "a receive buffer of {} bytes", addr.buffer);
    assert_eq!((datagrams, records), (n, n * 30), "batches {sizes:?}");
    if n > BATCH {
        assert!(sizes.len() >= 2 && sizes[0] >= BATCH, "batches {sizes:?}");
    }
    task.await.unwrap();
    // The socket is closed: its port can be bound again.
    UdpSocket::bind(addr.addr).expect("the port was released");
}

#[tokio::test]
async fn closed_sockets_free_their_port_and_new_ones_are_read() {
    let (stage, addr, mut batches, control) = listening_stage(Room::default());
    let task = tokio::spawn(stage.run());
    let (done, closed) = oneshot::channel();
    control.send(Control::Close(done)).ok().unwrap();
    tokio::time::timeout(Duration::from_secs(10), closed)
        .await
        .unwrap()
        .unwrap();
    let addr = addr.addr;
    let again = bind_all(&[addr.ip()], &[addr.port()], 1 << 20)
        .expect("the closed socket's port is free")
        .bound;
    control
        .send(Control::Listen(Sockets::open(again).unwrap()))
        .ok()
        .unwrap();
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .send_to(&v5(4), addr)
        .unwrap();
    let b = tokio::time::timeout(Duration::from_secs(10), batches.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(b.records.len(), 4);
    drop(control);
    task.await.unwrap();
}
