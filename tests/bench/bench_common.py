"""bench_common.py - what keras_bench.py and torch_bench.py share: the configurations of
clrnn-bench (tools/bench.c), their synthetic data, the timed procedure and the output.

Needs only the Python standard library and numpy, so that torch_bench.py runs where only
python3 with torch and numpy exist.

The procedure, as clrnn-bench's: N synthetic samples (random token ids and labels, from a
generator seeded by the configuration's name), warm-up training epoch(s), one timed
training epoch (adam, batches shuffled), a warm-up inference over the first inference
batch, one timed inference over the N samples in batches of infer_batch. Output: plain
lines, or one JSON object per configuration with --json, with the field names of
clrnn-bench --json (and "layers" holding the clrnn spec, which compare.sh checks against
clrnn-bench's own).
"""
import argparse
import json
import os
import platform
import resource
import sys
import time
import zlib

import numpy as np

# name: (clrnn layer spec, vocab, T, batch, loss, from_logits, classes, default N, infer batch)
# Keep in step with CONFIGS in tools/bench.c: the spec strings are the same, and compare.sh
# stops when clrnn-bench's "layers" differ from the reference's.
CONFIGS = {
    "seed_lstm": ("embedding(10000,100) lstm(32,return_sequences=true) lstm(32) dense(1,sigmoid)",
                  10000, 500, 512, "bce", False, 2, 128, 1024),
    "seed_gru": ("embedding(10000,100) gru(32,return_sequences=true) gru(32) dense(1,sigmoid)",
                 10000, 500, 512, "bce", False, 2, 128, 1024),
    "lstm32": ("embedding(10000,50) lstm(32) dense(1)",
               10000, 500, 512, "bce", True, 2, 128, 1024),
    "lstm128_b32": ("embedding(20000,128) lstm(128) dense(1)",
                    20000, 80, 32, "bce", True, 2, 128, 1024),
    "lstm128_b80": ("embedding(20000,128) lstm(128) dense(1)",
                    20000, 80, 80, "bce", True, 2, 160, 1024),
    "text_b80": ("embedding(20000,128) lstm(128) dense(1)",
                 20000, 80, 80, "bce", True, 2, 160, 1024),
    "bilstm": ("embedding(1000,64) bidirectional(lstm(64)) dense(1)",
               1000, 200, 128, "bce", True, 2, 128, 1024),
    "lstm512x2": ("embedding(20000,256) lstm(512,return_sequences=true) lstm(512) dense(1)",
                  20000, 200, 256, "bce", True, 2, 4, 1024),
    "charlm": ("embedding(60,32) lstm(128) dense(60,softmax)",
               60, 40, 128, "sce", False, 60, 512, 1024),
}


# Configurations whose ids are drawn with weight 1/(id + 1), as words in text (tools/bench.c)
ZIPF = {"text_b80"}


class Config:
    def __init__(self, name):
        (self.spec, self.vocab, self.T, self.batch, self.loss, self.from_logits, self.classes,
         self.default_n, self.infer_batch) = CONFIGS[name]
        self.name = name
        self.layers = parse_spec(self.spec)


def _split_top(s, sep):
    """Splits s at the separators that are outside parentheses."""
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


def _value(v):
    if v in ("true", "false"):
        return v == "true"
    try:
        return int(v)
    except ValueError:
        return v


def parse_layer(item):
    """'lstm(32,return_sequences=true)' -> ('lstm', [32], {'return_sequences': True});
    a wrapper's argument stays a parsed layer: bidirectional(lstm(64)) -> ('bidirectional',
    [('lstm', [64], {})], {})."""
    name, _, rest = item.partition("(")
    if not rest.endswith(")"):
        raise ValueError("bad layer spec '%s'" % item)
    args, kwargs = [], {}
    for a in _split_top(rest[:-1], ","):
        if "(" in a:
            args.append(parse_layer(a))
        elif "=" in a:
            k, _, v = a.partition("=")
            kwargs[k.strip()] = _value(v.strip())
        else:
            args.append(_value(a))
    return name.strip(), args, kwargs


def parse_spec(spec):
    return [parse_layer(item) for item in _split_top(spec, " ")]


def make_data(cfg, n):
    rng = np.random.default_rng(zlib.crc32(cfg.name.encode()))
    if cfg.name in ZIPF:
        w = 1.0 / np.arange(1, cfg.vocab + 1)
        x = rng.choice(cfg.vocab, size=(n, cfg.T), p=w / w.sum()).astype(np.int32)
    else:
        x = rng.integers(0, cfg.vocab, size=(n, cfg.T), dtype=np.int32)
    y = rng.integers(0, cfg.classes, size=(n,)).astype(np.float32)
    return x, y


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def measure(cfg, n, warmup, runner):
    """The timed procedure. runner has fit(x, y, epochs) -> last epoch's mean loss,
    predict(x) (returns when the outputs are on the host), device (a string) and
    peak_device_memory (a string or a number of MiB)."""
    x, y = make_data(cfg, n)
    t0 = time.perf_counter()
    if warmup > 0:
        runner.fit(x, y, warmup)
    t1 = time.perf_counter()
    c1 = cpu_seconds()
    loss = runner.fit(x, y, 1)
    t2 = time.perf_counter()
    c2 = cpu_seconds()
    if warmup > 0:
        runner.predict(x[:min(n, cfg.infer_batch)])
    t3 = time.perf_counter()
    c3 = cpu_seconds()
    runner.predict(x)
    t4 = time.perf_counter()
    c4 = cpu_seconds()
    train_s, infer_s = t2 - t1, t4 - t3
    return {
        "config": cfg.name, "layers": cfg.spec, "T": cfg.T, "batch": cfg.batch, "samples": n,
        "warmup_epochs": warmup, "warmup_seconds": round(t1 - t0, 6),
        "train_seconds": round(train_s, 6), "train_samples_per_s": round(n / train_s, 1),
        "loss": float(loss), "infer_batch": cfg.infer_batch, "infer_seconds": round(infer_s, 6),
        "infer_samples_per_s": round(n / infer_s, 1), "device": runner.device,
        "peak_device_memory": runner.peak_device_memory,
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "threads": runner.threads,
        # CPU seconds of the whole process per second of wall time: how many cores were busy
        "train_cpu_cores": round((c2 - c1) / train_s, 2),
        "infer_cpu_cores": round((c4 - c3) / infer_s, 2),
    }


def report(r, as_json, who):
    if as_json:
        print(json.dumps(r))
    else:
        print("%s: %s" % (r["config"], who))
        print("  samples %d, warm-up %d epoch(s) %.2fs"
              % (r["samples"], r["warmup_epochs"], r["warmup_seconds"]))
        print("  train:     %8.3fs  %10.1f samples/s  (loss %.4f, %.2f cores busy)"
              % (r["train_seconds"], r["train_samples_per_s"], r["loss"], r["train_cpu_cores"]))
        print("  inference: %8.3fs  %10.1f samples/s  (batch %d, %.2f cores busy)"
              % (r["infer_seconds"], r["infer_samples_per_s"], r["infer_batch"],
                 r["infer_cpu_cores"]))
        print("  device: %s; threads: %s" % (r["device"], r["threads"]))
        print("  peak process RSS: %.0f MiB; peak device memory: %s"
              % (r["peak_rss_mib"], r["peak_device_memory"]))
    sys.stdout.flush()


def main(prog, description, make_runner, who, add_args=None, setup=None):
    """The command line both scripts share. make_runner(cfg, n, args) -> runner; setup(args),
    once before the first, sets the threads (args.threads: 0 for the framework's default)."""
    ap = argparse.ArgumentParser(prog=prog, description=description)
    ap.add_argument("--config", default="", help="NAME[,NAME...] (default: all)")
    ap.add_argument("--samples", type=int, default=0, help="N (default: the configuration's)")
    ap.add_argument("--epochs-warmup", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="one JSON object per configuration")
    ap.add_argument("--list", action="store_true", help="list the configurations")
    ap.add_argument("--threads", type=int, default=0,
                    help="CPU threads (default: the framework's, every core it may use)")
    if add_args:
        add_args(ap)
    a = ap.parse_args()
    if a.list:
        for k, c in CONFIGS.items():
            print("%-12s T=%d batch=%d samples=%d  %s" % (k, c[2], c[3], c[7], c[0]))
        return 0
    names = [s for s in a.config.split(",") if s] or list(CONFIGS)
    for s in names:
        if s not in CONFIGS:
            print("%s: error: unknown configuration '%s' (known: %s)"
                  % (prog, s, ", ".join(CONFIGS)), file=sys.stderr)
            return 1
    if setup:
        setup(a)
    for s in names:
        cfg = Config(s)
        n = a.samples or cfg.default_n
        report(measure(cfg, n, a.epochs_warmup, make_runner(cfg, n, a)), a.json, who)
    return 0


def cores():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
