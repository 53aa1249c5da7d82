"""A network lab made of Linux network namespaces: a seller's phone on a mobile network and
an operator behind a company firewall, each behind its own NAT, with coturn on the public
side and no direct path between them.

```
 phone ─10.1.0/24─ pnat ─203.0.113/24─ pub ─198.51.100/24─ onat ─10.2.0/24─ operator
 Chromium          NAT, tbf, loss,     coturn on         NAT, firewall,      engine
                   UDP only to coturn  192.0.2.1,        join page forwarded (or a
                                       team server on                         remote
                                       192.0.2.2                              console)
```

* ``pnat`` (the carrier's NAT) masquerades the phone and lets it reach only coturn (any
  protocol, or TCP only when UDP is blocked) and the operator's published web port (TCP);
  its uplink (``wan`` egress) is shaped with ``tc tbf`` and both directions lose packets
  at random (nftables ``numgen random``; ``netem`` does not exist on these kernels, so
  there is no added fixed delay).
* ``onat`` (the company firewall) masquerades the operator, lets it reach only coturn, and
  forwards the engine's web port (DNAT), as a company publishing its embedded server does;
  phones reach the join page at ``http://198.51.100.2:PORT``.
* ``pub`` routes between the two and runs coturn on 192.0.2.1 (an address of its loopback): UDP
  and TCP 3478, TLS 5349, relay ports 49160-49200. A team server (``inspector server``),
  when a test runs one, listens on 192.0.2.2:8080 there (``team_url``): both NATs let TCP
  to that port out, as they do HTTPS to a company's public service; the media between the
  phone and a remote console can then only go through coturn.

Every namespace, interface and coturn process belongs to one ``NetLab`` (names carry a
random run id, so parallel runs do not collide) and is removed by ``close()``, which
tolerates a half-built lab.

A run killed outright (SIGKILL, a CI timeout) never reaches ``close()``. While it lives, a
lab holds an exclusive ``flock`` on ``/run/netlab/RUNID.lock`` (the kernel lets go of it
when the process dies, however it dies); ``build()`` first removes the labs whose lock
nobody holds (:func:`remove_stale_labs`): their coturn and other processes, their
namespaces and with them every veth, address and nftables table inside. Only names of
this lab's exact form (``nl`` + 6 hex digits + one of its five roles) are touched, and a
lab of that form with no lock file (made before locks existed) only once it is
``LOCKLESS_STALE_AFTER`` old.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import ipaddress
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

TURN_IP = "192.0.2.1"
TURN_PORT = 3478
TURNS_PORT = 5349
RELAY_PORTS = (49160, 49200)
TURN_REALM = "netlab.test"
PHONE_IP = "10.1.0.2"
OPERATOR_IP = "10.2.0.2"
OPERATOR_PUBLIC_IP = "198.51.100.2"
PHONE_PUBLIC_IP = "203.0.113.2"
TEAM_IP = "192.0.2.2"  # a team server in pub (tests/netlab/test_remote_console.py)
TEAM_PORT = 8080
NETNS_DIR = Path("/run/netns")
LOCK_DIR = Path("/run/netlab")
ROLES = ("phone", "pnat", "pub", "onat", "oper")
LAB_NAME = re.compile(r"^nl([0-9a-f]{6})-(" + "|".join(ROLES) + r")$")
LOCKLESS_STALE_AFTER = 3600.0  # seconds: no test or bench holds a lab this long


@dataclass(frozen=True)
class LinkProfile:
    """The phone's link: uplink bandwidth (tbf) and random loss in both directions."""

    name: str
    up_kbit: int | None  # None: not shaped
    loss_permille: int  # packets dropped per 1000, each direction

    @property
    def label(self) -> str:
        rate = f"{self.up_kbit / 1000:g} Mbit/s up" if self.up_kbit else "unshaped"
        return f"{self.name} ({rate}, {self.loss_permille / 10:g} % loss)"


PROFILES = {
    "4g-good": LinkProfile("4G good", 10_000, 5),
    "4g-poor": LinkProfile("4G poor", 2_000, 20),
    "3g": LinkProfile("3G", 750, 30),
}
UNSHAPED = LinkProfile("unshaped", None, 0)


def missing() -> str | None:
    """Why the lab cannot run here, or None."""
    if os.geteuid() != 0:
        return "the network lab needs root (network namespaces, nftables, tc)"
    for tool in ("ip", "nft", "tc", "turnserver"):
        if shutil.which(tool) is None:
            return f"the network lab needs {tool!r} (apt-get install iproute2 nftables coturn)"
    return None


def run(*args: str, ns: str | None = None, input: str | None = None) -> str:
    """Run a command (in namespace ``ns``); its error output in the exception."""
    cmd = ["ip", "netns", "exec", ns, *args] if ns else list(args)
    done = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


class NetLab:
    """The namespaces, NATs, firewalls and coturn of one test (or bench) run."""

    def __init__(self, workdir: Path, *, web_port: int = 8443) -> None:
        self.run_id = secrets.token_hex(3)
        self.workdir = workdir
        self.web_port = web_port
        self.phone, self.pnat, self.pub, self.onat, self.operator = (
            f"nl{self.run_id}-{role}" for role in ROLES
        )
        self.namespaces = [self.phone, self.pnat, self.pub, self.onat, self.operator]
        self.turn_secret = secrets.token_urlsafe(24)
        self.turn_user = "netlab"
        self.turn_password = secrets.token_urlsafe(12)
        self.ca_file = workdir / "turn-ca.pem"
        self._made: list[str] = []
        self._turn: subprocess.Popen[bytes] | None = None
        self._lock: int | None = None  # fd holding LOCK_DIR/RUNID.lock while the lab lives
        self.turn_log = workdir / "turnserver.log"
        self.profile = UNSHAPED
        self.udp_blocked = False

    # -- building --------------------------------------------------------------------

    def build(self) -> NetLab:
        remove_stale_labs()
        self._lock = _hold_lock(self.run_id)  # before any namespace: never seen lockless
        for ns in self.namespaces:
            run("ip", "netns", "add", ns)
            self._made.append(ns)
            run("ip", "link", "set", "lo", "up", ns=ns)
        self._link(self.phone, "eth0", PHONE_IP, self.pnat, "lan", "10.1.0.1", 24)
        self._link(self.pnat, "wan", PHONE_PUBLIC_IP, self.pub, "mobile", "203.0.113.1", 24)
        self._link(self.onat, "wan", OPERATOR_PUBLIC_IP, self.pub, "company", "198.51.100.1", 24)
        self._link(self.operator, "eth0", OPERATOR_IP, self.onat, "lan", "10.2.0.1", 24)
        # coturn's address on pub's loopback (the kernel here has no dummy interfaces)
        run("ip", "addr", "add", f"{TURN_IP}/32", "dev", "lo", ns=self.pub)
        run("ip", "addr", "add", f"{TEAM_IP}/32", "dev", "lo", ns=self.pub)
        # The rest of the internet: a default route into a link that drops everything.
        # Private addresses (the peers' host candidates) are silently lost there, as on
        # the internet; without it coturn's send fails and coturn ends the allocation.
        run("ip", "link", "add", "void0", "type", "veth", "peer", "name", "void1", ns=self.pub)
        run("ip", "addr", "add", "100.127.255.1/30", "dev", "void0", ns=self.pub)
        run("ip", "link", "set", "void0", "up", ns=self.pub)
        run("ip", "link", "set", "void1", "up", ns=self.pub)
        run(
            "ip", "neigh", "add", "100.127.255.2", "lladdr", "02:00:00:00:00:01",
            "dev", "void0", "nud", "permanent", ns=self.pub,
        )  # fmt: skip
        run("ip", "route", "add", "default", "via", "100.127.255.2", ns=self.pub)
        for ns in (self.pnat, self.pub, self.onat):
            run("sysctl", "-qw", "net.ipv4.ip_forward=1", ns=ns)
        run("ip", "route", "add", "default", "via", "10.1.0.1", ns=self.phone)
        run("ip", "route", "add", "default", "via", "203.0.113.1", ns=self.pnat)
        run("ip", "route", "add", "default", "via", "198.51.100.1", ns=self.onat)
        run("ip", "route", "add", "default", "via", "10.2.0.1", ns=self.operator)
        self._operator_firewall()
        self.shape(UNSHAPED, udp_blocked=False)
        return self

    def _link(self, ns_a: str, if_a: str, ip_a: str, ns_b: str, if_b: str, ip_b: str, bits: int):
        run(
            "ip",
            "link",
            "add",
            "name",
            if_a,
            "netns",
            ns_a,
            "type",
            "veth",
            "peer",
            "name",
            if_b,
            "netns",
            ns_b,
        )
        for ns, name, ip in ((ns_a, if_a, ip_a), (ns_b, if_b, ip_b)):
            run("ip", "addr", "add", f"{ip}/{bits}", "dev", name, ns=ns)
            run("ip", "link", "set", name, "up", ns=ns)

    def _operator_firewall(self) -> None:
        port = self.web_port
        run(
            "nft",
            "-f",
            "-",
            ns=self.onat,
            input=f"""
table ip nat {{
  chain prerouting {{
    type nat hook prerouting priority dstnat; policy accept;
    iifname "wan" tcp dport {port} dnat to {OPERATOR_IP}:{port}
  }}
  chain postrouting {{
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan" masquerade
  }}
}}
table inet filter {{
  chain forward {{
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "lan" ip daddr {TURN_IP} accept
    iifname "lan" ip daddr {TEAM_IP} tcp dport {TEAM_PORT} accept
    iifname "wan" ip daddr {OPERATOR_IP} tcp dport {port} accept
  }}
}}
""",
        )

    def shape(self, profile: LinkProfile, *, udp_blocked: bool = False) -> None:
        """Set the phone's link: bandwidth, loss, and whether its network lets UDP out."""
        self.profile = profile
        self.udp_blocked = udp_blocked
        with contextlib.suppress(RuntimeError):
            run("nft", "delete", "table", "inet", "netlab", ns=self.pnat)
        loss = (
            f"numgen random mod 1000 < {profile.loss_permille} counter name lost drop"
            if profile.loss_permille
            else ""
        )
        udp = 'iifname "lan" meta l4proto udp drop' if udp_blocked else ""
        run(
            "nft",
            "-f",
            "-",
            ns=self.pnat,
            input=f"""
table inet netlab {{
  counter lost {{ }}
  chain forward {{
    type filter hook forward priority filter; policy drop;
    {loss}
    ct state established,related accept
    {udp}
    iifname "lan" ip daddr {TURN_IP} accept
    iifname "lan" ip daddr {OPERATOR_PUBLIC_IP} tcp dport {self.web_port} accept
    iifname "lan" ip daddr {TEAM_IP} tcp dport {TEAM_PORT} accept
  }}
  chain postrouting {{
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan" masquerade
  }}
}}
""",
        )
        with contextlib.suppress(RuntimeError):
            run("tc", "qdisc", "del", "dev", "wan", "root", ns=self.pnat)
        if profile.up_kbit:
            # A bucket of about 20 ms of traffic (at least 10 kB), 300 ms of queue at most.
            burst = max(10_000, profile.up_kbit * 1000 // 8 // 50)
            run(
                "tc", "qdisc", "add", "dev", "wan", "root", "tbf",
                "rate", f"{profile.up_kbit}kbit", "burst", str(burst), "latency", "300ms",
                ns=self.pnat,
            )  # fmt: skip

    def block_operator_udp(self) -> None:
        """The company's firewall lets no UDP out (TCP and TLS to coturn only)."""
        run(
            "nft",
            "-f",
            "-",
            ns=self.onat,
            input="""
table inet company {
  chain forward {
    type filter hook forward priority filter - 10; policy accept;
    iifname "lan" meta l4proto udp drop
  }
}
""",
        )

    def link_counters(self) -> dict[str, int]:
        """What the phone's link did so far: packets the loss rule dropped (both ways),
        and the uplink's token bucket: packets sent, dropped, and times it throttled."""
        ruleset = json.loads(
            run("nft", "-j", "list", "counter", "inet", "netlab", "lost", ns=self.pnat)
        )
        lost = next(item["counter"]["packets"] for item in ruleset["nftables"] if "counter" in item)
        found = {"lost": int(lost), "sent": 0, "dropped": 0, "overlimits": 0}
        for qdisc in json.loads(run("tc", "-s", "-j", "qdisc", "show", "dev", "wan", ns=self.pnat)):
            if qdisc.get("kind") == "tbf":
                found["sent"] = int(qdisc.get("packets", 0))
                found["dropped"] = int(qdisc.get("drops", 0))
                found["overlimits"] = int(qdisc.get("overlimits", 0))
        return found

    # -- coturn ----------------------------------------------------------------------

    def make_certificate(self) -> tuple[Path, Path]:
        """A test CA and a certificate for coturn (IP address 192.0.2.1)."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        now = datetime.datetime.now(datetime.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "netlab test CA")])
        ca = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, TURN_IP)]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(TURN_IP))]),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        cert_file, key_file = self.workdir / "turn-cert.pem", self.workdir / "turn-key.pem"
        self.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        cert_file.write_bytes(
            cert.public_bytes(serialization.Encoding.PEM)
            + ca.public_bytes(serialization.Encoding.PEM)
        )
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return cert_file, key_file

    def coturn_config(self, *, rest: bool) -> str:
        """coturn's configuration: the REST API's shared secret, or one static user."""
        cert, key = self.make_certificate()
        auth = (
            f"use-auth-secret\nstatic-auth-secret={self.turn_secret}\n"
            if rest
            else f"lt-cred-mech\nuser={self.turn_user}:{self.turn_password}\n"
        )
        low, high = RELAY_PORTS
        return (
            f"listening-ip={TURN_IP}\nrelay-ip={TURN_IP}\n"
            f"listening-port={TURN_PORT}\ntls-listening-port={TURNS_PORT}\n"
            f"min-port={low}\nmax-port={high}\n"
            f"realm={TURN_REALM}\n{auth}"
            f"cert={cert}\npkey={key}\n"
            "fingerprint\nno-cli\nno-dtls\nno-multicast-peers\nno-software-attribute\n"
            # When both peers relay through this coturn, each one's peer is coturn itself.
            f"allowed-peer-ip={TURN_IP}\n"
            "no-stdout-log\n"
            f"log-file={self.turn_log}\nsimple-log\nverbose\n"
            f"pidfile={self.workdir / 'turnserver.pid'}\n"
            f"userdb={self.workdir / 'turndb.sqlite'}\n"
        )

    def start_turn(self, *, rest: bool = True) -> None:
        """Start this lab's own coturn in ``pub`` (never the system's service)."""
        self.stop_turn()
        conf = self.workdir / "turnserver.conf"
        conf.write_text(self.coturn_config(rest=rest))
        log = (self.workdir / "turnserver.out").open("wb")
        self._turn = subprocess.Popen(
            ["ip", "netns", "exec", self.pub, "turnserver", "-c", str(conf)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        for port in (TURN_PORT, TURNS_PORT):
            self.wait_tcp(self.pub, TURN_IP, port, 15.0, what="coturn")

    def stop_turn(self) -> None:
        proc, self._turn = self._turn, None
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)

    def turn_log_text(self) -> str:
        try:
            return self.turn_log.read_text(errors="replace")
        except OSError:
            return ""

    def wait_tcp(self, ns: str, host: str, port: int, timeout: float, what: str) -> None:
        """Wait until ``host:port`` accepts TCP connections, probed from namespace ``ns``."""
        deadline = time.monotonic() + timeout
        probe = f"import socket; socket.create_connection(({host!r}, {port}), 1).close()"
        while True:
            done = subprocess.run(
                ["ip", "netns", "exec", ns, "python3", "-c", probe],
                capture_output=True,
                timeout=10,
            )
            if done.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not listen on {host}:{port} in {timeout:g} s")
            time.sleep(0.2)

    # -- URLs ------------------------------------------------------------------------

    def turn_urls(self, transports: Sequence[str] = ("udp", "tcp", "tls")) -> list[str]:
        """TURN URLs of this lab's coturn, in the order given."""
        urls = {
            "udp": f"turn:{TURN_IP}:{TURN_PORT}",
            "tcp": f"turn:{TURN_IP}:{TURN_PORT}?transport=tcp",
            "tls": f"turns:{TURN_IP}:{TURNS_PORT}?transport=tcp",
        }
        return [urls[t] for t in transports]

    @property
    def public_url(self) -> str:
        return f"http://{OPERATOR_PUBLIC_IP}:{self.web_port}"

    @property
    def team_url(self) -> str:
        """The team server's URL, as the phone and the operator's console reach it."""
        return f"http://{TEAM_IP}:{TEAM_PORT}"

    # -- tearing down ----------------------------------------------------------------

    def close(self) -> None:
        """Stop coturn and every process left in the namespaces, delete the namespaces."""
        self.stop_turn()
        for ns in reversed(self._made):
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                for pid in run("ip", "netns", "pids", ns).split():
                    with contextlib.suppress(ProcessLookupError, ValueError):
                        os.kill(int(pid), signal.SIGKILL)
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                run("ip", "netns", "delete", ns)
        self._made.clear()
        if self._lock is not None:
            with contextlib.suppress(OSError):
                (LOCK_DIR / f"{self.run_id}.lock").unlink()
            os.close(self._lock)
            self._lock = None


def leftover_namespaces() -> list[str]:
    """Namespaces of this lab that exist right now (a test checks none survives)."""
    names = NETNS_DIR
    return (
        sorted(p.name for p in names.iterdir() if p.name.startswith("nl")) if names.exists() else []
    )


def _hold_lock(run_id: str) -> int:
    """Open and lock ``LOCK_DIR/RUNID.lock`` for this process's life (or until closed)."""
    LOCK_DIR.mkdir(mode=0o755, exist_ok=True)
    fd = os.open(LOCK_DIR / f"{run_id}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
    except OSError:
        os.close(fd)
        raise
    return fd


def _kill_and_delete(ns: str) -> None:
    """SIGKILL every process in namespace ``ns`` (coturn, a browser), then delete it."""
    with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
        for pid in run("ip", "netns", "pids", ns).split():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), signal.SIGKILL)
    with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
        run("ip", "netns", "delete", ns)


def remove_stale_labs(
    *, now: float | None = None, run_ids: frozenset[str] | None = None
) -> list[str]:
    """Remove the namespaces of labs whose run died without ``close()``; return their names.

    A lab is stale when its lock file exists and nobody holds the lock, or when it has no
    lock file and its oldest namespace is ``LOCKLESS_STALE_AFTER`` old (at ``now``). Live
    labs (of this process or any other) hold their lock and are left alone, as is anything
    not named exactly like a lab's namespace. ``run_ids`` limits it to those runs (a test
    moving the clock must not touch the labs of runs beside it).
    """
    runs: dict[str, list[str]] = {}
    for name in leftover_namespaces():
        match = LAB_NAME.match(name)
        if match:
            runs.setdefault(match.group(1), []).append(name)
    if LOCK_DIR.exists():
        for lock in LOCK_DIR.glob("*.lock"):
            if re.fullmatch(r"[0-9a-f]{6}", lock.stem):
                runs.setdefault(lock.stem, [])
    removed: list[str] = []
    now = time.time() if now is None else now
    for run_id, names in sorted(runs.items()):
        if run_ids is not None and run_id not in run_ids:
            continue
        lock = LOCK_DIR / f"{run_id}.lock"
        try:
            fd = os.open(lock, os.O_RDWR)
        except FileNotFoundError:
            ages = []
            for name in names:
                with contextlib.suppress(OSError):
                    ages.append(now - (NETNS_DIR / name).stat().st_mtime)
            if ages and max(ages) >= LOCKLESS_STALE_AFTER:
                for name in names:
                    _kill_and_delete(name)
                removed.extend(names)
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live lab
            for name in names:
                _kill_and_delete(name)
            removed.extend(names)
            with contextlib.suppress(OSError):
                lock.unlink()
        finally:
            os.close(fd)
    return removed


def host_has_address(ip: str) -> bool:
    """Whether this (root namespace) host owns ``ip`` (the lab must not leak into it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind((ip, 0))
        except OSError:
            return False
    return True
