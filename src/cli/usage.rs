//! The help texts: [`USAGE`] for `bitsy --help`, and one per command for
//! `bitsy help COMMAND` and `bitsy COMMAND --help`.
//!
//! README.md has the same content for readers on the web; a change here
//! belongs there too. The exit-code table is written once, here, and
//! shown by `bitsy --help`.

use super::Topic;

/// `bitsy --help`.
pub const USAGE: &str = "\
bitsy: a small BitTorrent client

usage:
  bitsy download FILE.torrent|URL|MAGNET [options]
                                           fetch a torrent's files
  bitsy FILE.torrent|MAGNET [options]      the same
  bitsy seed FILE.torrent PATH [options]   serve complete data
  bitsy create PATH [--tracker URL] -o OUT.torrent [options]
                                           make a .torrent
  bitsy verify FILE.torrent PATH [options] check data against a .torrent
  bitsy info FILE.torrent|URL|MAGNET       show what a .torrent (or a
                                           magnet link) holds
  bitsy tracker [options]                  run a tracker (HTTP and UDP)
  bitsy dht get-peers INFOHASH [options]   one DHT lookup, hop by hop
  bitsy help COMMAND                       a command's options (also:
                                           bitsy COMMAND --help)

Options go before or after the other arguments, as `--opt value` or
`--opt=value`.

exit codes:
  0    done. Ctrl-C or SIGTERM is a normal end once the data is complete:
       for `seed`, `tracker`, and a `download` that finished and is seeding;
       so is a closed stdout for `download -o -` (`| head`)
  2    usage error
  3    the .torrent file is unreadable or invalid (or its URL cannot be
       fetched, or the magnet link is malformed, or its metadata is unsafe)
  4    every tracker failed for --stall-timeout and no peer came
  5    no peers: none connected for --stall-timeout
  6    I/O error (disk, socket)
  7    the data is incomplete (verify, seed)
  130  a download stopped by Ctrl-C or SIGTERM before it completed; or a
       second Ctrl-C, which exits at once
";

const DOWNLOAD: &str = "\
usage: bitsy download FILE.torrent|URL|MAGNET [options]
       bitsy FILE.torrent|MAGNET [options]

Fetches the torrent's files into DIR. Files already there are checked and
only what is missing or wrong is fetched. From an http(s):// URL the
.torrent is fetched (at most 10 MiB) and a copy kept in DIR as
NAME.torrent, never over a different file. From a magnet link
('magnet:?xt=urn:btih:...', quoted for the shell) the metadata is first
fetched from peers (BEP 9; the link's tr= trackers and x.pe= peers, and
the DHT) and
kept the same way, so a rerun starts without the swarm. Ctrl-C stops
(exit 130 before the download is complete, 0 while seeding after it).

options:
  -o, --output DIR       where the files go (default: the current directory)
  -o -                   write the content to stdout instead, verified and
                         in order, as it arrives: one file (a single-file
                         torrent, or --select N); nothing goes to disk and
                         nothing is uploaded. `| head` ending it exits 0
  --select LIST          only these files, by the numbers `bitsy info`
                         shows: 1,3-5. Others are not created; bytes of
                         theirs in a shared piece go to DIR/.INFOHASH.parts
  --recheck              read and hash everything already on disk, ignoring
                         the resume state in DIR/.INFOHASH.resume (which
                         lets a restart skip files unchanged since)
  --port N               port to listen on for peers (default 6881; if it is
                         taken, the next free one is used and named)
  --bind ADDR            address to listen on (default 0.0.0.0: every IPv4
                         address, and IPv6 where there is one); outgoing
                         connections are not bound
  --max-peers N          most peer connections at once, 1-1000 (default 50)
  --stall-timeout TIME   give up after this long with no peer (exit 4 if
                         every tracker failed all along, else 5; failed
                         trackers are retried meanwhile). Default 120s;
                         0 = never. A bare number is seconds
  --seed                 after downloading, seed until Ctrl-C
  --seed-ratio R         after downloading, seed until uploaded = R x size
  --seed-time TIME       after downloading, seed this long: 90s, 30m, 1.5h,
                         2d. A bare number is minutes
  --max-download-rate RATE
  --max-upload-rate RATE most bytes a second of piece data in / out: 500K,
                         1.5M (K = 1024, M = 1024 K, as aria2c); 0 = none
  --max-memory SIZE      one budget for pieces in progress, blocks in
                         transit, peers and web seeds: 8M, 1G. Too small
                         for one piece is refused. Default: 32 MiB of
                         pieces, 2 MiB of blocks, 64 KiB a peer
  --no-dht               run no DHT node (BEP 5). Without it, bitsy finds
                         peers through the DHT too (never for a private
                         torrent), on the UDP port of the same number
  --dht-bootstrap HOST:PORT
                         a DHT node to start from, may be repeated
                         (default: the well-known routers, unless the table
                         saved in $XDG_STATE_HOME/bitsy/dht.dat knows nodes)
  --why                  the status line always says what holds the
                         download back, or `ok`. Without it, bitsy says why
                         after 30s with no data; `kill -USR1 PID` asks now
  -q, --quiet            no status line or messages; errors only
  -v, --verbose          say why peers come and go
  --json                 events for scripts on stdout, one JSON object a
                         line (see the README); no status line
  --trace                every message to and from peers, trackers and the
                         DHT on stderr, one line each, with its BEP and
                         what its fields mean (the status line is then
                         printed as plain lines)

environment:
  SSL_CERT_FILE, SSL_CERT_DIR
                         HTTPS (trackers, the URL) trusts the Mozilla roots
                         built into bitsy; if either is set, only the CAs
                         in that PEM file / folder of PEM files instead
";

const SEED: &str = "\
usage: bitsy seed FILE.torrent PATH [options]

Checks the data at PATH (the file of a single-file torrent, the folder of a
multi-file one, or the folder that holds either), then serves it until
Ctrl-C or SIGTERM (a normal end: exit 0). Incomplete data is refused
(exit 7).

options:
  --port N               port to listen on for peers (default 6881; if it is
                         taken, the next free one is used and named)
  --bind ADDR            address to listen on (default 0.0.0.0)
  --max-peers N          most peer connections at once, 1-1000 (default 50)
  --max-upload-rate RATE most bytes a second of piece data served: 500K,
                         1.5M (K = 1024, M = 1024 K, as aria2c); 0 = none
  --max-memory SIZE      one budget for peers and blocks (as download)
  --no-dht               run no DHT node (BEP 5). Without it, bitsy finds
                         peers through the DHT too (never for a private
                         torrent), on the UDP port of the same number
  --dht-bootstrap HOST:PORT
                         a DHT node to start from, may be repeated
                         (default: the well-known routers, unless the table
                         saved in $XDG_STATE_HOME/bitsy/dht.dat knows nodes)
  -q, --quiet            no status line or messages; errors only
  -v, --verbose          say why peers come and go
  --json                 events for scripts on stdout, one JSON object a
                         line (see the README); no status line
  --trace                every message to and from peers, trackers and the
                         DHT on stderr, one line each, with its BEP and
                         what its fields mean (the status line is then
                         printed as plain lines)
";

const CREATE: &str = "\
usage: bitsy create PATH [--tracker URL ...] -o OUT.torrent [options]

Hashes the file or folder PATH into a .torrent. Several --tracker URLs
become an announce-list, in the order given; with none, the torrent is
trackerless: peers find each other through the DHT (BEP 5), or come from
its --webseed (BEP 19), which is a source on its own.

options:
  -o, --output FILE      the .torrent to write (required)
  --tracker URL          an announce URL bitsy can use: http://, udp://
                         (BEP 15), and https:// (not in a
                         --no-default-features build)
  --piece-length BYTES   a power of two, 1024-67108864 (default: chosen for
                         about 1,000-2,000 pieces)
  --webseed URL          a web seed (BEP 19), may be repeated
  --private              set the private flag (BEP 27)
  --comment TEXT         a comment
  -q, --quiet            no progress line
";

const VERIFY: &str = "\
usage: bitsy verify FILE.torrent PATH [options]

Checks the data at PATH against the torrent and lists each file as
complete, partial or missing. Exit 0 if all is there, 7 if not.

options:
  --select LIST          only these files (as `bitsy download --select`):
                         the others are listed as not selected
  -q, --quiet            no progress line
";

const INFO: &str = "\
usage: bitsy info FILE.torrent|URL|MAGNET

Prints the name, infohash, size, pieces, files (numbered for --select;
pad files are not numbered), trackers and magnet link.
For a magnet link, prints what the link says (infohash, name, trackers,
peers, web seeds) without going online.
";

const TRACKER: &str = "\
usage: bitsy tracker [options]

Runs a tracker: HTTP (/announce, /scrape) and UDP (BEP 15) on one port,
until Ctrl-C or SIGTERM (a normal end: exit 0).

options:
  --bind ADDR            address to listen on (default 0.0.0.0; :: for
                         IPv6 and IPv4)
  --port N               port for TCP and UDP (default 6969)
  -v, --verbose          one line per announce
";

const DHT: &str = "\
usage: bitsy dht get-peers INFOHASH [options]

Runs one lookup in the DHT (BEP 5) for the peers of INFOHASH (40 hex
digits) and prints each hop: which node was asked, how many leading bits
its id shares with the infohash, and what it answered; then the peers
found. A fresh node id is used and nothing is saved. Exit 0 if a peer
was found, 5 if none.

options:
  --dht-bootstrap HOST:PORT   a node to start from (repeatable); without
                              one the lookup has nowhere to start
  --port N                    UDP port to use (default: any free one)
  --trace                     every KRPC message (BEP 5) on stderr, one
                              line each, with what its fields mean
";

/// The help text of one command.
pub fn of(topic: Topic) -> &'static str {
    match topic {
        Topic::Download => DOWNLOAD,
        Topic::Seed => SEED,
        Topic::Create => CREATE,
        Topic::Verify => VERIFY,
        Topic::Info => INFO,
        Topic::Tracker => TRACKER,
        Topic::Dht => DHT,
    }
}

/// What an error message suggests running for help.
pub fn hint(topic: Option<Topic>) -> String {
    match topic {
        Some(t) => format!("(run `bitsy help {}` for usage)", t.name()),
        None => "(run `bitsy --help` for usage)".to_string(),
    }
}
