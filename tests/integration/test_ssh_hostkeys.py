#!/usr/bin/python3
"""SSH keys as OpenSSH users have them. Host keys: a server with several host
key types (Debian's sshd makes RSA, ECDSA and ed25519), and a known_hosts
that holds only some of them, hashed (ssh-keyscan -H) or plain. The probe
asks the server for a type known_hosts has for that host; a host known by
its RSA key alone gets a hint that says what is really wrong. User keys:
an RSA key and a key with a passphrase (ssh.passphrase_file) say what to
do instead of blaming authorized_keys."""
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labtest import (LAB_DIR, diag_json, free_tcp_port, lab_info, tcp_open,  # noqa: E402
                     wait_until, write_config)


class HostKeys(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.user = lab_info()["user"]
        self.userkey = os.path.join(LAB_DIR, "ssh", "id_ed25519")
        self.procs = []
        self.extra_users = []

    def tearDown(self):
        for p in self.procs:
            p.terminate()
            p.wait(timeout=30)
        self.tmp.cleanup()

    def sshd(self, types):
        """An sshd on a free port with a host key of each type."""
        port = free_tcp_port()
        keys = []
        for t in types:
            k = os.path.join(self.dir, "host_%s_%d" % (t, port))
            subprocess.run(["ssh-keygen", "-q", "-t", t, "-N", "", "-f", k], check=True)
            keys.append(k)
        auth = os.path.join(self.dir, "authorized_keys")
        with open(auth, "w") as f:
            for k in [self.userkey] + self.extra_users:
                with open(k + ".pub") as pub:
                    f.write(pub.read())
        conf = os.path.join(self.dir, "sshd_config_%d" % port)
        with open(conf, "w") as f:
            f.write("\n".join(["Port %d" % port, "ListenAddress 127.0.0.1"] +
                              ["HostKey %s" % k for k in keys] +
                              ["PidFile %s/sshd_%d.pid" % (self.dir, port),
                               "AuthorizedKeysFile %s" % auth, "PubkeyAuthentication yes",
                               "PasswordAuthentication no", "KbdInteractiveAuthentication no",
                               "UsePAM no", "StrictModes no",
                               "PermitRootLogin prohibit-password",
                               "AllowUsers %s" % self.user, ""]))
        if os.getuid() == 0:
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        self.procs.append(subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", conf],
                                           stderr=subprocess.DEVNULL))
        wait_until("sshd", lambda: tcp_open(port))
        return port, keys

    def known_hosts(self, name, lines):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write("".join(lines))
        return path

    def plain_line(self, port, key):
        with open(key + ".pub") as f:
            t, b = f.read().split()[:2]
        return "[127.0.0.1]:%d %s %s\n" % (port, t, b)

    def keyscan(self, port, t):
        out = subprocess.run(["ssh-keyscan", "-H", "-p", str(port), "-t", t, "127.0.0.1"],
                             capture_output=True, text=True, timeout=30).stdout
        self.assertTrue(out.strip(), "ssh-keyscan found no %s key" % t)
        return out

    def diag(self, port, kh, key=None, extra=""):
        d = tempfile.mkdtemp(dir=self.dir)
        cfg = write_config(d, "probe: {timeout: 5s, data_dir: %s/data}\ntargets:\n"
                           "  - name: h\n    host: 127.0.0.1\n    owner: supplier\n"
                           "    ssh: {port: %d, user: %s, key: %s, known_hosts: %s%s}\n"
                           "    checks: [{name: c, ssh_command: 'echo 7'}]\n"
                           % (d, port, self.user, key or self.userkey, kh, extra))
        return diag_json(cfg, "h")[1]["c"]

    def user_key(self, t, passphrase=""):
        k = os.path.join(self.dir, "user_%s_%d" % (t, len(self.extra_users)))
        subprocess.run(["ssh-keygen", "-q", "-t", t, "-N", passphrase, "-f", k], check=True)
        os.chmod(k, 0o600)
        self.extra_users.append(k)
        return k

    def test_user_keys(self):
        rsa = self.user_key("rsa")
        locked = self.user_key("ed25519", "not-a-secret-passphrase")
        port, (ed,) = self.sshd(["ed25519"])
        kh = self.known_hosts("ed", [self.plain_line(port, ed)])
        c = self.diag(port, kh, key=rsa)
        if c["state"] != "OK":
            self.assertEqual(c["state"], "UNKNOWN", c)
            self.assertIn("RSA user key", c["hint"])
        c = self.diag(port, kh, key=locked)
        self.assertEqual(c["state"], "UNKNOWN", c)
        self.assertIn("passphrase_file", c["hint"])
        pf = os.path.join(self.dir, "passphrase")
        with open(pf, "w") as f:
            f.write("not-a-secret-passphrase\n")
        os.chmod(pf, 0o600)
        c = self.diag(port, kh, key=locked, extra=", passphrase_file: %s" % pf)
        self.assertEqual((c["state"], c["value"]), ("OK", "7"), c)
        self.assertNotIn("not-a-secret", repr(c))

    def test_known_hosts_with_one_of_several_types(self):
        port, (rsa, ecdsa, ed) = self.sshd(["rsa", "ecdsa", "ed25519"])
        cases = {
            # What `ssh` saves on a first connect to Debian's sshd: ed25519.
            "ed25519-plain": [self.plain_line(port, ed)],
            "ecdsa-hashed": [self.keyscan(port, "ecdsa")],
            "ed25519-hashed": [self.keyscan(port, "ed25519")],
            # Everything ssh-keyscan -H finds: any of them will do.
            "all-hashed": [self.keyscan(port, "rsa,ecdsa,ed25519")],
        }
        for name, lines in cases.items():
            with self.subTest(known_hosts=name):
                c = self.diag(port, self.known_hosts(name, lines))
                self.assertEqual(c["state"], "OK", c)
                self.assertEqual(c["value"], "7")

    def test_rsa_only_host_says_why(self):
        port, (rsa,) = self.sshd(["rsa"])
        c = self.diag(port, self.known_hosts("rsa", [self.keyscan(port, "rsa")]))
        if c["state"] == "OK":
            self.skipTest("this libssh2 verifies rsa-sha2 host keys")
        self.assertEqual(c["state"], "UNKNOWN", c)
        self.assertIn("rsa-sha2", c["hint"])
        self.assertIn("ed25519", c["hint"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
