//! One connection of the fake seeder: the handshake, what it says it has
//! (per `Behaviour`), and the message loop that serves requests.

use super::*;

/// The id an extended handshake's `m` gives `ut_pex`, found by its bytes
/// (`6:ut_pexi<digits>e`) rather than by a bencode decoder; 0 is none.
fn pex_id_in(handshake: &[u8]) -> Option<u8> {
    let key = b"6:ut_pexi";
    let at = handshake.windows(key.len()).position(|w| w == key)? + key.len();
    let digits: Vec<u8> = handshake[at..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .copied()
        .collect();
    let id: u8 = std::str::from_utf8(&digits).ok()?.parse().ok()?;
    (id != 0).then_some(id)
}

/// Why a connection ended; the seeder does not care beyond closing.
pub(super) type Done = Result<(), ()>;

pub(super) struct Connection<'a> {
    stream: TcpStream,
    shared: &'a Shared,
    buf: Vec<u8>,
    started: Instant,
    unchoked: bool,
    blocks_sent: u32,
    /// When to send the delayed haves, if still pending.
    haves_at: Option<Instant>,
    /// Requests received and not served yet (`hold_requests`).
    held: Vec<(u32, u32, u32)>,
    /// Both handshakes set BEP 6's bit.
    fast: bool,
    /// Our `ut_pex` payloads went out on this connection.
    pex_sent: bool,
}

impl<'a> Connection<'a> {
    pub(super) fn new(stream: TcpStream, shared: &'a Shared) -> Result<Self, ()> {
        stream.set_nonblocking(false).map_err(drop)?;
        stream.set_read_timeout(Some(POLL)).map_err(drop)?;
        stream
            .set_write_timeout(Some(Duration::from_secs(10)))
            .map_err(drop)?;
        let _ = stream.set_nodelay(true);
        Ok(Connection {
            stream,
            shared,
            buf: Vec::new(),
            started: Instant::now(),
            unchoked: false,
            blocks_sent: 0,
            haves_at: None,
            held: Vec::new(),
            fast: false,
            pex_sent: false,
        })
    }

    fn has(&self, piece: u32) -> bool {
        piece < self.shared.torrent.num_pieces()
            && match &self.shared.behaviour.pieces {
                None => true,
                Some(list) => list.contains(&piece),
            }
    }

    pub(super) fn run(&mut self) -> Done {
        // Their handshake first; ours only if the info hash matches.
        let theirs = self.read_exact(HANDSHAKE_LEN)?;
        let info_hash_ok = theirs[0] == 19
            && &theirs[1..20] == PROTOCOL
            && theirs[28..48] == self.shared.torrent.info_hash;
        if !info_hash_ok {
            return Err(());
        }
        self.shared.stats.handshakes.fetch_add(1, Ordering::SeqCst);
        let mut ours = Vec::with_capacity(HANDSHAKE_LEN);
        ours.push(19);
        ours.extend_from_slice(PROTOCOL);
        let mut reserved = [0u8; 8];
        let behaviour = &self.shared.behaviour;
        let extended = behaviour.reqq.is_some() || behaviour.pex_send.is_some();
        if extended {
            reserved[5] = 0x10; // BEP 10: extension protocol
        }
        if self.shared.behaviour.fast {
            reserved[7] = 0x04; // BEP 6: fast extension
            self.fast = theirs[27] & 0x04 != 0;
            if self.fast {
                let stats = &self.shared.stats;
                stats.fast_negotiated.fetch_add(1, Ordering::SeqCst);
            }
        }
        ours.extend_from_slice(&reserved);
        ours.extend_from_slice(&self.shared.torrent.info_hash);
        ours.extend_from_slice(&self.shared.peer_id);
        self.write(&ours)?;
        if extended {
            // Extended id 0 (handshake):
            // d [1:m d 6:ut_pex i1e e] 4:reqq i<reqq>e 1:v 11:fake-seeder e
            let reqq = self.shared.behaviour.reqq.unwrap_or(250);
            let m = if self.shared.behaviour.pex_send.is_some() {
                format!("1:md6:ut_pexi{OUR_PEX_ID}ee")
            } else {
                String::new()
            };
            let dict = format!("d{m}4:reqqi{reqq}e1:v11:fake-seedere");
            self.send_message(EXTENDED, &[&[0u8][..], dict.as_bytes()].concat())?;
        }

        match self.shared.behaviour.announce.clone() {
            PieceAnnounce::Bitfield if self.fast && self.shared.behaviour.pieces.is_none() => {
                self.send_message(HAVE_ALL, &[])?
            }
            PieceAnnounce::Bitfield => self.send_bitfield()?,
            PieceAnnounce::Haves => self.send_haves()?,
            PieceAnnounce::HavesLater(delay) => self.haves_at = Some(Instant::now() + delay),
        }

        loop {
            if let Some(at) = self.haves_at
                && Instant::now() >= at
            {
                self.haves_at = None;
                self.send_haves()?;
            }
            let Some((id, payload)) = self.next_message()? else {
                self.serve_held()?; // the downloader paused
                continue;
            };
            self.handle(id, &payload)?;
        }
    }

    fn handle(&mut self, id: u8, payload: &[u8]) -> Done {
        match id {
            INTERESTED => {
                self.shared.stats.interested.fetch_add(1, Ordering::SeqCst);
                if self.haves_at.take().is_some() {
                    self.send_haves()?;
                }
                if !self.shared.behaviour.never_unchoke && !self.unchoked {
                    self.unchoked = true;
                    self.send_message(UNCHOKE, &[])?;
                }
            }
            REQUEST => {
                self.shared.stats.requests.fetch_add(1, Ordering::SeqCst);
                let [i0, i1, i2, i3, b0, b1, b2, b3, l0, l1, l2, l3] = *payload else {
                    return Err(()); // a request is exactly 12 bytes
                };
                let index = u32::from_be_bytes([i0, i1, i2, i3]);
                let begin = u32::from_be_bytes([b0, b1, b2, b3]);
                let len = u32::from_be_bytes([l0, l1, l2, l3]);
                if self.shared.behaviour.ignore_requests {
                    // counted above, answered never
                } else if self.fast && self.shared.behaviour.reject_all {
                    self.shared.stats.rejects.fetch_add(1, Ordering::SeqCst);
                    self.send_message(REJECT_REQUEST, payload)?;
                } else if self.unchoked && self.shared.behaviour.hold_requests {
                    self.held.push((index, begin, len));
                    let held = self.held.len() as u64;
                    self.shared.stats.max_held.fetch_max(held, Ordering::SeqCst);
                } else if self.unchoked {
                    self.serve(index, begin, len)?;
                }
            }
            EXTENDED => self.extended(payload)?,
            CHOKE..=BITFIELD => {} // choke, unchoke, not interested, have, bitfield
            _ => {}                // cancel (we answer at once), extensions
        }
        Ok(())
    }

    /// BEP 10/11: records the downloader's extended handshake and its
    /// `ut_pex` messages; after its first handshake, sends ours.
    fn extended(&mut self, payload: &[u8]) -> Done {
        let Some((&id, body)) = payload.split_first() else {
            return Err(());
        };
        match id {
            0 => {
                let stats = &self.shared.stats;
                stats.ext_handshakes.lock().unwrap().push(body.to_vec());
                let first = !std::mem::replace(&mut self.pex_sent, true);
                if let (true, Some(payloads)) = (first, &self.shared.behaviour.pex_send) {
                    let their_id = pex_id_in(body).unwrap_or(BITSY_PEX_ID);
                    for p in payloads.clone() {
                        self.send_message(EXTENDED, &[&[their_id][..], &p].concat())?;
                    }
                }
            }
            OUR_PEX_ID => self
                .shared
                .stats
                .pex_received
                .lock()
                .unwrap()
                .push(body.to_vec()),
            _ => {}
        }
        Ok(())
    }

    fn serve(&mut self, index: u32, begin: u32, len: u32) -> Done {
        if !self.has(index) || len == 0 || len > MAX_REQUEST {
            return Err(()); // real clients close on such requests
        }
        let piece = self.shared.torrent.piece(index);
        let start = begin as usize;
        let Some(end) = start
            .checked_add(len as usize)
            .filter(|&e| e <= piece.len())
        else {
            return Err(());
        };
        let mut payload = Vec::with_capacity(8 + len as usize);
        payload.extend_from_slice(&index.to_be_bytes());
        payload.extend_from_slice(&begin.to_be_bytes());
        if self.shared.behaviour.corrupt.contains(&index) {
            payload.extend(piece[start..end].iter().map(|b| !b));
        } else {
            payload.extend_from_slice(&piece[start..end]);
        }
        self.send_message(PIECE, &payload)?;
        self.blocks_sent += 1;
        self.shared.stats.blocks_sent.fetch_add(1, Ordering::SeqCst);
        if let Some(limit) = self.shared.behaviour.disconnect_after_blocks
            && self.blocks_sent >= limit
        {
            return Err(()); // drop the connection, mid-piece if it has more blocks
        }
        Ok(())
    }

    fn serve_held(&mut self) -> Done {
        let mut held = std::mem::take(&mut self.held);
        if self.shared.behaviour.reverse_held {
            held.reverse();
        }
        for (index, begin, len) in held {
            self.serve(index, begin, len)?;
        }
        Ok(())
    }

    fn send_bitfield(&mut self) -> Done {
        let n = self.shared.torrent.num_pieces();
        let mut bits = vec![0u8; n.div_ceil(8) as usize];
        for piece in 0..n {
            if self.has(piece) {
                bits[(piece / 8) as usize] |= 0x80 >> (piece % 8);
            }
        }
        self.send_message(BITFIELD, &bits)
    }

    fn send_haves(&mut self) -> Done {
        for piece in 0..self.shared.torrent.num_pieces() {
            if self.has(piece) {
                self.send_message(HAVE, &piece.to_be_bytes())?;
            }
        }
        Ok(())
    }

    fn send_message(&mut self, id: u8, payload: &[u8]) -> Done {
        let mut msg = Vec::with_capacity(5 + payload.len());
        msg.extend_from_slice(&(1 + payload.len() as u32).to_be_bytes());
        msg.push(id);
        msg.extend_from_slice(payload);
        self.write(&msg)
    }

    fn write(&mut self, bytes: &[u8]) -> Done {
        self.stream.write_all(bytes).map_err(drop)
    }

    /// The next whole message, `None` if none is complete yet (or it was
    /// a keep-alive).
    fn next_message(&mut self) -> Result<Option<(u8, Vec<u8>)>, ()> {
        self.fill(4)?;
        if self.buf.len() < 4 {
            return Ok(None);
        }
        let len = u32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]) as usize;
        if len > MAX_MESSAGE {
            return Err(());
        }
        self.fill(4 + len)?;
        if self.buf.len() < 4 + len {
            return Ok(None);
        }
        let msg: Vec<u8> = self.buf.drain(..4 + len).skip(4).collect();
        match msg.split_first() {
            None => Ok(None), // keep-alive
            Some((&id, payload)) => Ok(Some((id, payload.to_vec()))),
        }
    }

    /// Reads until `buf` holds `want` bytes or one poll interval passes.
    /// Fails on EOF, on errors, on stop, and at the end of the connection's life.
    fn fill(&mut self, want: usize) -> Done {
        let mut chunk = [0u8; 16 * 1024];
        while self.buf.len() < want {
            if self.shared.stop.load(Ordering::SeqCst)
                || self.started.elapsed() > MAX_CONNECTION_LIFE
            {
                return Err(());
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => return Err(()),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Ok(());
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Err(()),
            }
        }
        Ok(())
    }

    fn read_exact(&mut self, n: usize) -> Result<Vec<u8>, ()> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.buf.len() < n {
            if Instant::now() > deadline {
                return Err(());
            }
            self.fill(n)?;
        }
        Ok(self.buf.drain(..n).collect())
    }
}
