#!/usr/bin/python3
"""The gprobe lab: a simulated Genesys estate on 127.0.0.1, made of real
servers, for the tests and the demo.

  lab.py start DIR          start everything on free ports; write DIR/lab.json
                            and DIR/gprobe.yaml (the lab's gprobe config)
  lab.py stop DIR           stop every process the lab started, by PID
  lab.py leftovers DIR      list processes still running from DIR (exit 1 if any)
  lab.py snmp-set DIR OID TYPE VALUE | snmp-del DIR OID
  lab.py http-set DIR PATH [--status N] [--body TEXT] [--delay-ms N]
                            [--content-type T] [--body-repeat N]
                            [--auth USER:PASSWORD] [--location URL]
                            [--gzip yes] [--echo-headers yes]
                            [--interim yes] [--chunked yes]
                            [--encoding deflate|NAME]
  lab.py component-stop DIR NAME | component-start DIR NAME
                            NAME: a Genesys component, or smtp (started
                            again on its port, into the same DIR/mail/)
  lab.py log-append DIR NAME TEXT...   append records to a component's log
  lab.py env DIR            the lab's ports and paths as shell variables

With GPROBE_LAB_SNMP_ADDRESSES=N (at most 100) in the environment of
`start`, snmpd also answers at N more loopback addresses (127.1.0.1, ...;
the list is lab.json's "snmp_addresses"): agents for many targets (bench/).

What runs:
  snmpd    net-snmp's agent: the host's own MIBs (hrSWRunName shows the
           component processes below) and the Genesys subtree
           1.3.6.1.4.1.1729 from DIR/snmp-state.json (pass_persist);
           v1/v2c community 'public', v3 user 'probe' (SHA/AES, authPriv);
           v3 user 'probectx' may read only in the context 'genesys', where
           snmpd serves the Genesys subtree (proxied to its default context)
  sshd     OpenSSH with its own host key and key-only login for this user
  http     per-path status, body and delay from DIR/http-state.json, over
           HTTP and HTTPS (a certificate of the lab's CA, DIR/tls/ca.pem)
  smtp     aiosmtpd storing each message as a file in DIR/mail/
  components  one process per Genesys server, named like its binary
           (StatServer, confserv, ...), each listening on its own port
"""
import json
import os
import pwd
import shutil
import signal
import socket
import string
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"  # Debian's Python: it has aiosmtpd

# name -> (process name, DBID in Configuration Server, has a log)
COMPONENTS = {
    "conf-1": ("confserv", 101, True),
    "scs-1": ("scs", 102, True),
    "stat-1": ("StatServer", 103, True),
    "stat-2": ("StatServer", 104, True),
    "ocs-1": ("OCServer", 105, True),
    "ocs-2": ("OCServer", 106, True),
    "msgsrv-1": ("MessageServer", 107, True),
    "dbsrv-1": ("dbserver", 108, True),
    "lca-1": ("lca", 109, False),
    "rcs-1": ("RCS", 110, False),
    "ocs-db": ("postgres", 111, False),
    "vp-1": ("VoiceProc", 112, False),
}

HTTP_ROUTES = {
    # Interaction Recording Web Services and Workspace Web Edition (GWS)
    "/api/v2/diagnostics/version": {
        "status": 200, "body": '{"statusCode":0,"version":"8.5.201.14"}'},
    "/api/v2/ops/contact-centers": {
        "status": 200, "body": '{"statusCode":0,"contactCenters":[{"id":"cc1"}]}'},
    # Pulse
    "/api/plugins/wbrt/health/detail": {
        "status": 200, "body": '{"snapshotWriting":"OK","pendingLayoutChanges":0,'
                               '"maxStatisticDelay":2}'},
    # SpeechMiner / Quality Management web and the reporting server: the
    # site-configured health pages
    "/speechminer/health": {
        "status": 200, "content_type": "application/xml",
        "body": '<?xml version="1.0"?><health state="up"><db>ok</db></health>'},
    "/reports/health": {"status": 200, "content_type": "text/plain", "body": "OK\n"},
    # Genesys Mobile Services
    "/genesys/1/admin/node/status": {
        "status": 200, "content_type": "text/plain", "body": "ONLINE"},
}

GENESYS_APP_TABLE = "1.3.6.1.4.1.1729.100.1.2.1"
GENESYS_ROOT = ".1.3.6.1.4.1.1729"


def die(msg):
    sys.stderr.write("lab: %s\n" % msg)
    sys.exit(1)


def free_port(kind=socket.SOCK_STREAM, taken=set()):
    """A port free on 127.0.0.1 for TCP and UDP alike, never handed out
    twice by this run."""
    for _ in range(200):
        s = socket.socket(socket.AF_INET, kind)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        other = socket.socket(socket.AF_INET,
                              socket.SOCK_DGRAM if kind == socket.SOCK_STREAM
                              else socket.SOCK_STREAM)
        try:
            other.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            other.close()
        if port not in taken:
            taken.add(port)
            return port
    die("no free port found")


def write_atomic(path, text, mode=0o644):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def wait_for(what, cond, deadline_s=20.0):
    """Polls cond() until it is true or the deadline passes."""
    end = time.monotonic() + deadline_s
    delay = 0.02
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(delay)
        delay = min(delay * 2, 0.25)
    die("%s did not come up within %.0f s" % (what, deadline_s))


def tcp_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie has exited; it only waits for its parent.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Lab:
    def __init__(self, d):
        self.dir = os.path.abspath(d)
        self.piddir = os.path.join(self.dir, "pids")
        self.info_path = os.path.join(self.dir, "lab.json")

    # --- processes, tracked by PID ------------------------------------
    def spawn(self, name, argv, env=None, cwd=None):
        log = open(os.path.join(self.dir, "logs", name + ".log"), "ab")
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                             env=env, cwd=cwd or self.dir, start_new_session=True)
        log.close()
        write_atomic(os.path.join(self.piddir, name + ".pid"), "%d\n" % p.pid)
        return p

    def pid_of(self, name):
        try:
            with open(os.path.join(self.piddir, name + ".pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def kill(self, name, deadline_s=10.0):
        pid = self.pid_of(name)
        if pid is None:
            return
        for sig, wait in ((signal.SIGTERM, deadline_s), (signal.SIGKILL, 5.0)):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                break
            end = time.monotonic() + wait
            while time.monotonic() < end and pid_alive(pid):
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
                time.sleep(0.02)
            if not pid_alive(pid):
                break
        os.unlink(os.path.join(self.piddir, name + ".pid"))

    # --- start ---------------------------------------------------------
    def start(self):
        if os.path.exists(os.path.join(self.piddir)) and os.listdir(self.piddir):
            die("%s already has a running lab (stop it first)" % self.dir)
        for sub in ("pids", "logs", "mail/tmp", "mail/new", "mail/cur", "ssh", "bin", "genesys",
                    "snmp", "secrets"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        os.chmod(self.dir, 0o755)
        info = {"dir": self.dir, "ports": {}, "user": pwd.getpwuid(os.getuid()).pw_name}
        try:
            self.start_components(info)
            self.start_snmpd(info)
            self.start_sshd(info)
            self.start_http(info)
            self.start_smtp(info)
            write_atomic(self.info_path, json.dumps(info, indent=2))
            self.render_config(info)
        except BaseException:
            self.stop()
            raise
        print("lab up in %s" % self.dir)

    def start_components(self, info):
        state = {}
        for name, (binary, dbid, has_log) in COMPONENTS.items():
            port = free_port()
            info["ports"][name] = port
            link = os.path.join(self.dir, "bin", binary)
            if not os.path.islink(link):
                os.symlink(PY, link)
            self.spawn(name, [link, os.path.join(HERE, "component.py"), str(port)])
            base = "%s.%d" % (GENESYS_APP_TABLE, dbid)
            state[GENESYS_APP_TABLE + ".2.%d" % dbid] = ["string", name]
            state[GENESYS_APP_TABLE + ".3.%d" % dbid] = ["integer", "4"]
            state[GENESYS_APP_TABLE + ".4.%d" % dbid] = ["string", binary]
            del base
            if has_log:
                logdir = os.path.join(self.dir, "genesys", name, "logs")
                os.makedirs(logdir, exist_ok=True)
                seg = os.path.join(logdir, "%s.20261125_000000_000.log" % name)
                with open(seg, "w") as f:
                    f.write(self.log_header(name, binary))
        # Data the profiles poll: connected clients, a Counter64 of
        # requests, and the storage of recordings.
        state["1.3.6.1.4.1.1729.100.1.4.1.1.103"] = ["gauge", "12"]
        state["1.3.6.1.4.1.1729.100.1.4.1.1.104"] = ["gauge", "11"]
        state["1.3.6.1.4.1.1729.100.1.9.1.103"] = ["counter64", "1000"]
        write_atomic(os.path.join(self.dir, "snmp-state.json"), json.dumps(state, indent=1))
        for name in COMPONENTS:
            port = info["ports"][name]
            wait_for("component " + name, lambda p=port: tcp_open(p))

    @staticmethod
    def log_header(name, binary):
        return ("Application name: %s\nApplication type: %s\nHost: lab\n"
                "Local Time: 2026-11-25T00:00:00.000\n"
                "00:00:00.000 Std 05060 Configuration object checked\n" % (name, binary))

    def start_snmpd(self, info):
        port = free_port(socket.SOCK_DGRAM)
        info["ports"]["snmp"] = port
        persist = os.path.join(self.dir, "snmp")
        conf = os.path.join(self.dir, "snmpd.conf")
        # v3 passwords live in files the probe reads (mode 0600).
        secrets = {"snmp-auth": "lab-auth-pass-1", "snmp-priv": "lab-priv-pass-1"}
        for fname, value in secrets.items():
            write_atomic(os.path.join(self.dir, "secrets", fname), value + "\n", 0o600)
        # One v3 user per security level and protocol the probe supports;
        # all share the two passwords above.
        users = [("probe", "SHA", "AES", "priv"), ("probe256", "SHA-256", "AES", "priv"),
                 ("probemd5", "MD5", "DES", "priv"), ("probeauth", "SHA", None, "auth"),
                 ("probenoauth", None, None, "noauth")]
        # One whose privacy password is its auth password (a common set-up).
        user_lines = ['createUser probesame SHA "%s" AES "%s"'
                      % (secrets["snmp-auth"], secrets["snmp-auth"]), "rouser probesame priv"]
        for name, auth, priv, level in users:
            line = "createUser %s" % name
            if auth:
                line += ' %s "%s"' % (auth, secrets["snmp-auth"])
            if priv:
                line += ' %s "%s"' % (priv, secrets["snmp-priv"])
            user_lines += [line, "rouser %s %s" % (name, level)]
        # A user allowed only in the context 'genesys' (contextName): snmpd
        # serves the Genesys subtree there by proxying to its own default
        # context; without the context the user is refused.
        user_lines += [
            'createUser probectx SHA "%s" AES "%s"' % (secrets["snmp-auth"], secrets["snmp-priv"]),
            "group ctxgroup usm probectx",
            "view genesysview included %s" % GENESYS_ROOT,
            "access ctxgroup genesys usm priv exact genesysview none none",
            "proxy -Cn genesys -v 2c -c public 127.0.0.1:%d %s" % (port, GENESYS_ROOT),
        ]
        # At most 100: snmpd keeps its agentaddress list in 2,560 characters.
        extra = min(int(os.environ.get("GPROBE_LAB_SNMP_ADDRESSES", "0")), 100)
        info["snmp_addresses"] = ["127.1.%d.%d" % ((i + 1) // 256, (i + 1) % 256)
                                  for i in range(extra)]
        write_atomic(conf, "\n".join([
            "agentaddress " + ",".join("udp:%s:%d" % (a, port)
                                       for a in ["127.0.0.1"] + info["snmp_addresses"]),
            "rocommunity public 127.0.0.1",
            "rocommunity6 public ::1",
            # A restricted view, as sites give a monitoring community: only
            # the process names (a v1 walk ends at the view's edge).
            "rocommunity procs 127.0.0.1 .1.3.6.1.2.1.25.4.2.1.2",
        ] + user_lines + [
            "sysLocation gprobe lab",
            "sysContact noc@example.kz",
            "disk / 1%",
            "load 64 64 64",
            "pass_persist .1.3.6.1.4.1.1729 %s %s %s" % (
                PY, os.path.join(HERE, "genesys_agent.py"),
                os.path.join(self.dir, "snmp-state.json")),
            "",
        ]))
        env = dict(os.environ, SNMP_PERSISTENT_DIR=persist, MIBS="", MIBDIRS="/nonexistent")
        self.spawn("snmpd", ["/usr/sbin/snmpd", "-f", "-C", "-c", conf, "-Lo",
                             "-p", os.path.join(self.dir, "snmp", "snmpd.pid"), "-I", "-smux"],
                   env=env)

        def answers():
            r = subprocess.run(["snmpget", "-v2c", "-c", "public", "-t", "0.3", "-r", "0",
                                "-On", "127.0.0.1:%d" % port, "1.3.6.1.2.1.1.3.0",
                                GENESYS_APP_TABLE + ".3.103"],
                               capture_output=True, text=True,
                               env=dict(os.environ, MIBS=""))
            return r.returncode == 0 and "INTEGER: 4" in r.stdout
        wait_for("snmpd", answers)

    def start_sshd(self, info):
        port = free_port()
        info["ports"]["ssh"] = port
        sshdir = os.path.join(self.dir, "ssh")
        hostkey = os.path.join(sshdir, "host_ed25519")
        userkey = os.path.join(sshdir, "id_ed25519")
        for key in (hostkey, userkey):
            if not os.path.exists(key):
                subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "gprobe-lab",
                                "-f", key], check=True)
            os.chmod(key, 0o600)
        shutil.copy(userkey + ".pub", os.path.join(sshdir, "authorized_keys"))
        with open(hostkey + ".pub") as f:
            hk = f.read().split()
        write_atomic(os.path.join(sshdir, "known_hosts"),
                     "[127.0.0.1]:%d %s %s\n" % (port, hk[0], hk[1]))
        conf = os.path.join(sshdir, "sshd_config")
        write_atomic(conf, "\n".join([
            "Port %d" % port,
            "ListenAddress 127.0.0.1",
            "HostKey %s" % hostkey,
            "PidFile %s" % os.path.join(sshdir, "sshd.pid"),
            "AuthorizedKeysFile %s" % os.path.join(sshdir, "authorized_keys"),
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "StrictModes no",
            "PermitRootLogin prohibit-password",
            "AllowUsers %s" % info["user"],
            "MaxStartups 100:30:200",
            "MaxSessions 50",
            "ClientAliveInterval 30",
            "Subsystem sftp /usr/lib/openssh/sftp-server",
            "",
        ]))
        if os.getuid() == 0:
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        self.spawn("sshd", ["/usr/sbin/sshd", "-D", "-e", "-f", conf])
        wait_for("sshd", lambda: tcp_open(port))

    def start_http(self, info):
        port, tls_port = free_port(), free_port()
        info["ports"]["http"] = port
        info["ports"]["https"] = tls_port
        # A certificate of the lab's own CA for 127.0.0.1: tests trust it
        # through http.ca_file, or see it refused without.
        tls = os.path.join(self.dir, "tls")
        os.makedirs(tls, exist_ok=True)
        ca_key, ca, key, csr, cert = (os.path.join(tls, n) for n in
                                      ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem"))
        if not os.path.exists(cert):
            quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "check": True}
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                            "-subj", "/CN=gprobe lab CA", "-keyout", ca_key, "-out", ca], **quiet)
            subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj",
                            "/CN=127.0.0.1", "-keyout", key, "-out", csr], **quiet)
            ext = os.path.join(tls, "ext.cnf")
            write_atomic(ext, "subjectAltName = IP:127.0.0.1\n")
            subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
                            "-CAcreateserial", "-days", "30", "-extfile", ext, "-out", cert], **quiet)
        write_atomic(os.path.join(self.dir, "http-state.json"), json.dumps(HTTP_ROUTES, indent=1))
        self.spawn("http", [PY, os.path.join(HERE, "http_server.py"), str(port),
                            os.path.join(self.dir, "http-state.json"), str(tls_port), cert, key])
        wait_for("http", lambda: tcp_open(port) and tcp_open(tls_port))

    def start_smtp(self, info, port=None):
        port = port or free_port()
        info["ports"]["smtp"] = port
        self.spawn("smtp", [PY, "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:%d" % port,
                            "-c", "aiosmtpd.handlers.Mailbox", os.path.join(self.dir, "mail")])
        wait_for("smtp", lambda: tcp_open(port))

    def render_config(self, info):
        with open(os.path.join(HERE, "gprobe.yaml.in"), encoding="utf-8") as f:
            tmpl = string.Template(f.read())
        vals = {"LAB": self.dir, "USER": info["user"]}
        for k, v in info["ports"].items():
            vals["PORT_" + k.upper().replace("-", "_")] = v
        write_atomic(os.path.join(self.dir, "gprobe.yaml"), tmpl.substitute(vals))

    # --- stop ----------------------------------------------------------
    def stop(self):
        if not os.path.isdir(self.piddir):
            return
        for f in sorted(os.listdir(self.piddir)):
            if f.endswith(".pid"):
                self.kill(f[:-4])
        left = self.leftovers()
        if left:
            die("processes left behind: %s" % ", ".join("%d %s" % p for p in left))
        print("lab stopped")

    def leftovers(self):
        """Processes whose command line names the lab's folder or its
        scripts with this folder: what a clean stop must not leave."""
        found = []
        me = os.getpid()
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == me:
                continue
            try:
                with open("/proc/%s/cmdline" % entry, "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
            except OSError:
                continue
            if self.dir + "/" in cmd and "lab.py" not in cmd and pid_alive(int(entry)):
                found.append((int(entry), cmd.strip()[:120]))
        return found

    # --- changes tests make ----------------------------------------------
    def info(self):
        return load_json(self.info_path)

    def snmp_update(self, fn):
        path = os.path.join(self.dir, "snmp-state.json")
        state = load_json(path)
        fn(state)
        write_atomic(path, json.dumps(state, indent=1))

    def http_update(self, fn):
        path = os.path.join(self.dir, "http-state.json")
        state = load_json(path)
        fn(state)
        write_atomic(path, json.dumps(state, indent=1))

    def component_start(self, name):
        if name == "smtp":
            self.start_smtp(self.info(), self.info()["ports"]["smtp"])
            return
        binary = COMPONENTS[name][0]
        port = self.info()["ports"][name]
        self.spawn(name, [os.path.join(self.dir, "bin", binary),
                          os.path.join(HERE, "component.py"), str(port)])
        wait_for("component " + name, lambda: tcp_open(port))


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 1
    cmd, lab = argv[1], Lab(argv[2])
    args = argv[3:]
    if cmd == "start":
        lab.start()
    elif cmd == "stop":
        lab.stop()
    elif cmd == "leftovers":
        left = lab.leftovers()
        for pid, c in left:
            print(pid, c)
        return 1 if left else 0
    elif cmd == "env":
        info = lab.info()
        print("LAB_DIR=%s" % info["dir"])
        for k, v in info["ports"].items():
            print("LAB_PORT_%s=%d" % (k.upper().replace("-", "_"), v))
    elif cmd == "snmp-set" and len(args) == 3:
        lab.snmp_update(lambda s: s.__setitem__(args[0].strip("."), [args[1], args[2]]))
    elif cmd == "snmp-del" and len(args) == 1:
        lab.snmp_update(lambda s: s.pop(args[0].strip("."), None))
    elif cmd == "http-set" and args:
        path, opts = args[0], args[1:]
        route = {"status": 200, "body": ""}
        keys = {"--status": ("status", int), "--body": ("body", str),
                "--delay-ms": ("delay_ms", int), "--content-type": ("content_type", str),
                "--body-repeat": ("body_repeat", int), "--auth": ("auth", str),
                "--location": ("location", str), "--gzip": ("gzip", lambda v: v == "yes"),
                "--echo-headers": ("echo_headers", lambda v: v == "yes"),
                "--interim": ("interim", lambda v: v == "yes"),
                "--chunked": ("chunked", lambda v: v == "yes"),
                "--encoding": ("encoding", str)}
        for i in range(0, len(opts), 2):
            if opts[i] not in keys or i + 1 >= len(opts):
                die("http-set: bad option %s" % opts[i])
            k, conv = keys[opts[i]]
            if k == "location":
                route.setdefault("headers", {})["Location"] = opts[i + 1]
            else:
                route[k] = conv(opts[i + 1])
        lab.http_update(lambda s: s.__setitem__(path, route))
    elif cmd == "component-stop" and len(args) == 1:
        lab.kill(args[0])
    elif cmd == "component-start" and len(args) == 1:
        lab.component_start(args[0])
    elif cmd == "log-append" and len(args) >= 2:
        logdir = os.path.join(lab.dir, "genesys", args[0], "logs")
        segs = sorted(f for f in os.listdir(logdir) if f.endswith(".log"))
        with open(os.path.join(logdir, segs[-1]), "a") as f:
            for line in args[1:]:
                f.write(line + "\n")
    else:
        print(__doc__)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
