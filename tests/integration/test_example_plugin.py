#!/usr/bin/env python3
"""The collector ABI's seam, proven by the example plugin (collectors/example.c).

The core knows no protocol: a plugin dropped into probe.plugin_dir declares
its check kind (`example`, taking an integer `value` and a duration `delay`),
the config is validated against that declaration with the same
FILE:LINE:COL errors as the core's own keys, and `gprobe diag` runs it.
"""
import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from labtest import GPROBE, run, write_config  # noqa: E402

EXAMPLE_SO = os.path.join(os.environ["TEST_PLUGIN_DIR"], "example.so")
# The plugin directory is the config's: $GPROBE_PLUGIN_DIR would win.
ENV = {"GPROBE_PLUGIN_DIR": ""}


class ExamplePlugin(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.plugins = os.path.join(self.tmp.name, "plugins")
        os.mkdir(self.plugins)
        shutil.copy(EXAMPLE_SO, self.plugins)

    def tearDown(self):
        self.tmp.cleanup()

    def config(self, check):
        return write_config(self.tmp.name, "\n".join([
            "probe: {plugin_dir: %s, data_dir: %s/data, rrd: false}" % (self.plugins, self.tmp.name),
            "targets:",
            "  - name: t",
            "    host: 127.0.0.1",
            "    owner: supplier",
            "    checks:",
            "      - %s" % check,
            ""]))

    def test_config_check_and_diag(self):
        cfg = self.config('{name: x, example: 7, critical: "10:"}')
        rc, out, err = run([GPROBE, "-c", cfg, "config", "check"], env=ENV)
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out, "config OK: 1 targets, 1 checks, 0 services\n")
        rc, out, err = run([GPROBE, "-c", cfg, "diag", "t", "--json"], env=ENV)
        self.assertEqual(rc, 2, err)  # 7 is outside the critical range 10:
        check = json.loads(out)["checks"][0]
        self.assertEqual(check["kind"], "example")
        self.assertEqual(check["state"], "CRITICAL")
        self.assertEqual(check["probe_state"], "OK")
        self.assertEqual(check["value"], "7")
        self.assertEqual(check["numeric"], 7.0)
        self.assertEqual(check["evaluation"], "7 is outside the critical range '10:'")

    def test_wrong_type_is_placed(self):
        cfg = self.config('{name: x, example: "seven"}')
        rc, out, err = run([GPROBE, "-c", cfg, "config", "check"], env=ENV)
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        # Line 7, the value's column (inside its quotes, as libfyaml marks it).
        line = '      - {name: x, example: "seven"}'
        col = line.index('"seven"') + 2
        self.assertEqual(err.splitlines()[0],
                         "%s:7:%d: targets[0].checks[0].example: value: expected an integer, "
                         "got 'seven'" % (cfg, col))

    def test_mapping_form_and_options(self):
        # The kind's value and its options may stand in a mapping; the
        # declared duration is validated like the core's.
        cfg = self.config("{name: x, example: {value: 12, delay: 20ms}}")
        rc, out, err = run([GPROBE, "-c", cfg, "diag", "t", "--json"], env=ENV)
        self.assertEqual(rc, 0, err)
        check = json.loads(out)["checks"][0]
        self.assertEqual(check["numeric"], 12.0)
        self.assertGreaterEqual(check["duration_ms"], 20.0)
        cfg = self.config("{name: x, example: 1, delay: soon}")
        rc, _, err = run([GPROBE, "-c", cfg, "config", "check"], env=ENV)
        self.assertEqual(rc, 1)
        self.assertIn("targets[0].checks[0].delay: 'soon': invalid duration", err)
        cfg = self.config("{name: x, example: 1, dleay: 5ms}")
        rc, _, err = run([GPROBE, "-c", cfg, "config", "check"], env=ENV)
        self.assertEqual(rc, 1)
        self.assertIn("unknown key 'dleay' in targets[0].checks[0]", err)

    def test_declarations_listed(self):
        cfg = self.config("{name: x, example: 7}")
        rc, out, err = run([GPROBE, "-c", cfg, "plugins", "--json"], env=ENV)
        self.assertEqual((rc, err), (0, ""))
        plugins = json.loads(out)
        self.assertEqual([p["name"] for p in plugins], ["example"])
        kind = plugins[0]["kinds"][0]
        self.assertEqual(kind["name"], "example")
        self.assertEqual(kind["value"]["name"], "value")
        self.assertEqual(kind["value"]["type"], "integer")
        self.assertTrue(kind["value"]["required"])
        self.assertEqual(kind["options"][0]["name"], "delay")
        self.assertEqual(kind["options"][0]["type"], "duration")
        rc, out, _ = run([GPROBE, "-c", cfg, "config", "check", "--kinds"], env=ENV)
        self.assertEqual(rc, 0)
        self.assertIn("check kind example", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
