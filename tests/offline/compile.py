#!/usr/bin/env python3
"""Compiles every OpenCL program clrnn builds for other vendors' GPUs, offline, and tabulates
what each kernel takes there (tests/offline/README.md).

    tests/offline/compile.py PROGRAMS.txt OUT_DIR [--jobs N] [--targets T,...] [--cl-dir DIR]

PROGRAMS.txt holds the lines the library logs with CLRNN_PROGRAM_LOG=FILE (host/program.c):
"FORM|SOURCES|OPTIONS", FORM the kernel forms (cpu: the row kernels and clrnn's GEMM, built
only for CPUs; gpu: what GPUs run), sources comma-separated cl/ files in order. Each
distinct program is compiled, with its options, for:
  amd-gfx906, amd-gfx1030, amd-gfx1100  clang 19 + libclc to GCN/RDNA ISA (VGPRs, SGPRs,
                                        scratch, LDS, occupancy in waves a SIMD)
  nvidia-sm90                           clang 19 + libclc to PTX, then ptxas for sm_90 (H100)
                                        where the CUDA toolkit is there (registers, spills)
  spirv                                 clang 14 + llvm-spirv to SPIR-V 1.0, checked by spirv-val
                                        (what Intel's and Mesa's drivers take)
  intel-dg2                             Intel's offline compiler ocloc, where installed, for
                                        Xe-HPG (SIMD width chosen, register spills)
Any error or warning from any of them fails the run (exit 1), but for a register-spill
warning of a CPU-form program, which no GPU runs (recorded in the table all the same). OUT_DIR gets resources.csv (a
row a kernel, program and target) and resources.md (a row a kernel: the most each takes over
its programs).
"""
import argparse
import collections
import concurrent.futures
import csv
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLC = "/usr/lib/clc"
CLANG = "clang-19"
AMD_CPUS = ["gfx906", "gfx1030", "gfx1100"]
SPILL = re.compile(r"^warning: kernel \w+ +compiled SIMD\d+ allocated \d+ regs and spilled")


def tool(name, *fallbacks):
    for n in (name,) + fallbacks:
        path = shutil.which(n)
        if path:
            return path
    return None


def ptxas():
    return tool("ptxas") or next(iter(glob.glob("/usr/local/cuda*/bin/ptxas")), None)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def amd(src, options, cpu, work):
    out = os.path.join(work, f"{cpu}.s")
    r = run([CLANG, "-x", "cl", "-target", "amdgcn-mesa-mesa3d", f"-mcpu={cpu}", "-O3",
             "-Xclang", "-finclude-default-header", "-Xclang", "-mlink-bitcode-file",
             "-Xclang", f"{CLC}/{cpu}-amdgcn-mesa-mesa3d.bc", *options, "-S", "-o", out, src])
    rows = []
    if r.returncode == 0:
        kernel = None
        fields = {}
        for line in open(out):
            m = re.match(r"\s+\.globl\s+(\S+)", line)
            if m:
                kernel, fields = m.group(1), {}
                continue
            m = re.match(r"; (NumVgprs|NumSgprs|ScratchSize|Occupancy|LDSByteSize): (\d+)", line)
            if m and kernel:
                fields[m.group(1)] = int(m.group(2))
                if m.group(1) == "Occupancy":
                    rows.append((kernel, {"vgprs": fields.get("NumVgprs"),
                                          "sgprs": fields.get("NumSgprs"),
                                          "scratch": fields.get("ScratchSize"),
                                          "lds": fields.get("LDSByteSize"),
                                          "occupancy": fields["Occupancy"]}))
    return r.stderr.strip(), r.returncode, rows


def nvidia(src, options, work):
    ptx = os.path.join(work, "sm.ptx")
    r = run([CLANG, "-x", "cl", "-target", "nvptx64-unknown-nvidiacl", "-march=sm_80", "-O3",
             "-Xclang", "-finclude-default-header", "-Xclang", "-mlink-bitcode-file",
             "-Xclang", f"{CLC}/nvptx64--nvidiacl.bc", *options, "-S", "-o", ptx, src])
    if r.returncode or r.stderr.strip():
        return r.stderr.strip(), r.returncode or 1, []
    assembler = ptxas()
    if not assembler:
        return "", 0, [(k, {}) for k in re.findall(r"\.entry\s+(\w+)", open(ptx).read())]
    a = run([assembler, "-arch=sm_90", "-v", ptx, "-o", os.path.join(work, "sm.cubin")])
    rows, kernel, spill = [], None, (0, 0)
    for line in a.stderr.splitlines():
        m = re.search(r"Function properties for (\w+)", line)
        if m:
            kernel = m.group(1)
        m = re.search(r"(\d+) bytes spill stores, (\d+) bytes spill loads", line)
        if m:
            spill = (int(m.group(1)), int(m.group(2)))
        m = re.search(r"Used (\d+) registers", line)
        if m and kernel:
            smem = re.search(r"(\d+) bytes smem", line)
            rows.append((kernel, {"registers": int(m.group(1)), "spill_stores": spill[0],
                                  "spill_loads": spill[1], "smem": int(smem.group(1)) if smem else 0}))
            kernel, spill = None, (0, 0)
    diagnostics = "\n".join(l for l in a.stderr.splitlines() if not l.startswith("ptxas info")
                            and not l.startswith("    "))
    return diagnostics.strip(), a.returncode, rows


def spirv(src, options, work):
    bc, spv = os.path.join(work, "k.bc"), os.path.join(work, "k.spv")
    # unoptimized, as SPIR-V is handed to drivers (they optimize): llvm-spirv 14 cannot
    # translate the `freeze` that LLVM 14's -O2 makes, and mistranslates some loops it shapes
    r = run(["clang-14", "-x", "cl", "-target", "spir64", "-O0", "-emit-llvm", "-c",
             "-Xclang", "-finclude-default-header", *options, "-o", bc, src])
    if r.returncode or r.stderr.strip():
        return r.stderr.strip(), r.returncode or 1, []
    # SPIR-V 1.0, the version OpenCL 1.2 drivers take (cl_khr_il_program); llvm-spirv 14's
    # default 1.4 output leaves globals out of its entry points' interfaces, invalid in 1.4
    t = run(["llvm-spirv-14", "--spirv-max-version=1.0", bc, "-o", spv])
    if t.returncode or t.stderr.strip():
        return t.stderr.strip(), t.returncode or 1, []
    v = run(["spirv-val", "--target-env", "opencl1.2", spv])
    return (v.stdout + v.stderr).strip(), v.returncode, []


def intel(src, options, work):
    dump = os.path.join(work, "igc")
    env = dict(os.environ, IGC_ShaderDumpEnable="1", IGC_DumpToCustomDir=dump)
    r = run(["ocloc", "compile", "-file", src, "-device", "dg2", "-options",
             " ".join(options), "-out_dir", os.path.join(work, "intel")], env=env)
    out = (r.stdout + r.stderr).strip()
    rows = []
    for asm in sorted(glob.glob(os.path.join(dump, "*_simd*_entry_*.asm"))):
        text = open(asm).read()
        name = re.search(r"//\.kernel (\w+)", text)
        simd = re.search(r"_simd(\d+)_entry", asm)
        grf = re.search(r"numGRF=(\d+)", text)
        spill = re.search(r"//\.spill size (\d+)", text)
        if name:
            rows.append((name.group(1), {"simd": int(simd.group(1)), "grf": int(grf.group(1)) if grf else None,
                                         "spill": int(spill.group(1)) if spill else 0}))
    # ocloc says "Build succeeded." on success; anything else it says is a warning
    noise = {"Build succeeded.", ""}
    diagnostics = "\n".join(l for l in out.splitlines() if l.strip() not in noise)
    return diagnostics, r.returncode, rows


# Local memory a work-group may take on each target (static __local arrays: AMD's LDS,
# ptxas's 48 KiB of static shared memory, DG2's SLM); SPIR-V has no such limit of its own.
LOCAL_LIMIT = {"amd-gfx906": 65536, "amd-gfx1030": 65536, "amd-gfx1100": 65536,
               "nvidia-sm90": 49152, "intel-dg2": 65536}
R_LOCAL = re.compile(r"-DRNN_R_LOCAL=(\d+)")


def never_built_for(target, options):
    """Whether clrnn would never build this program for the target: the group kernels hold R
    in local memory (-DRNN_R_LOCAL=floats) only where it fits the device's local memory less
    1 KiB (host/layer_rnn.c local_budget), and the test that logged it ran on a device with
    more (PoCL reports a CPU's L2, up to 1 MiB or more)."""
    m = R_LOCAL.search(options)
    limit = LOCAL_LIMIT.get(target)
    return bool(m and limit and 4 * int(m.group(1)) > limit - 1024)


def compile_program(line, targets, cl_dir):
    form, _, rest = line.partition("|")
    sources, _, options = rest.partition("|")
    opts = [o for o in options.split() if o != "-cl-std=CL1.2"]
    work = tempfile.mkdtemp(prefix="clrnn-offline-")
    try:
        src = os.path.join(work, "program.cl")
        with open(src, "w") as f:
            for name in sources.split(","):
                f.write(open(os.path.join(cl_dir, name)).read())
                f.write("\n")
        std = ["-cl-std=CL1.2"]
        results = []
        for target in targets:
            if never_built_for(target, options):
                results.append((target, None, 0, []))
                continue
            sub = os.path.join(work, target)
            os.mkdir(sub)
            if target.startswith("amd-"):
                diag, rc, rows = amd(src, std + opts, target[4:], sub)
            elif target == "nvidia-sm90":
                diag, rc, rows = nvidia(src, std + opts, sub)
            elif target == "spirv":
                diag, rc, rows = spirv(src, std + opts, sub)
            else:
                diag, rc, rows = intel(src, std + opts, sub)
            results.append((target, diag, rc, rows))
        if form == "cpu":  # no GPU runs these: their spills are information, not failures
            results = [(t, d if d is None else
                        "\n".join(l for l in d.splitlines() if not SPILL.search(l)), rc, rows)
                       for t, d, rc, rows in results]
        return line, results
    finally:
        shutil.rmtree(work, ignore_errors=True)


def widest_cpu_forms(lines):
    """Of CPU-form programs differing only in -DRNN_UNITS / -DROWS_PER_ITEM, the one with the
    most units (the most private memory a work-item), then the most rows a work-item."""
    best = {}
    for line in lines:
        if not line.startswith("cpu|"):
            best[line] = line
            continue
        key = re.sub(r" -D(RNN_UNITS|ROWS_PER_ITEM)=\d+", "", line)
        size = tuple(int(v) for v in re.findall(r"-D(?:RNN_UNITS|ROWS_PER_ITEM)=(\d+)", line))
        if key not in best or size > best[key][0]:
            best[key] = (size, line)
    return sorted(v if isinstance(v, str) else v[1] for v in best.values())


def summarize(per_kernel, targets):
    """A markdown table: a row a kernel, the most it takes over its programs on each target."""
    head = {"amd-gfx906": "gfx906 VGPR/scratch/LDS/occ.", "amd-gfx1030": "gfx1030 VGPR/scratch/occ.",
            "amd-gfx1100": "gfx1100 VGPR/scratch/occ.", "nvidia-sm90": "sm_90 regs/spill B/smem",
            "intel-dg2": "DG2 SIMD/spill B"}
    cols = [t for t in targets if t in head]
    lines = ["| kernel | form | programs | " + " | ".join(head[t] for t in cols) + " |",
             "|---|---|---:|" + "---|" * len(cols)]
    for kernel in sorted(per_kernel):
        entry = per_kernel[kernel]
        cells = []
        for t in cols:
            rows = entry["rows"].get(t, [])
            if not rows:
                cells.append("")
                continue
            most = lambda k: max((r.get(k) or 0) for r in rows)
            least = lambda k: min((r.get(k) or 0) for r in rows)
            if t == "amd-gfx906":
                cells.append(f"{most('vgprs')}/{most('scratch')}/{most('lds')}/{least('occupancy')}")
            elif t.startswith("amd-"):
                cells.append(f"{most('vgprs')}/{most('scratch')}/{least('occupancy')}")
            elif t == "nvidia-sm90":
                cells.append(f"{most('registers')}/{most('spill_stores')}/{most('smem')}"
                             if "registers" in rows[0] else "PTX only")
            else:
                cells.append(f"{least('simd')}/{most('spill')}")
        forms = "+".join(sorted({p.split("|")[0] for p in entry["programs"]}))
        lines.append(f"| {kernel} | {forms} | {len(entry['programs'])} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("programs")
    ap.add_argument("out")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--targets", help="comma-separated targets (default: every one above "
                    "whose tools are installed)")
    ap.add_argument("--cpu-forms-widest", action="store_true",
                    help="of the CPU-form programs that differ only in their units or rows a "
                    "work-item, only the widest (the row kernels fix both at build time, and "
                    "the tests build hundreds)")
    ap.add_argument("--cl-dir", default=os.path.join(ROOT, "cl"),
                    help="the kernel sources (default: the tree's cl/)")
    args = ap.parse_args()
    lines = sorted({l.rstrip("\n") for l in open(args.programs) if l.count("|") == 2})
    if args.cpu_forms_widest:
        lines = widest_cpu_forms(lines)
    if not lines:
        sys.exit(f"{args.programs}: no programs logged (run the tests with CLRNN_PROGRAM_LOG)")
    missing = [t for t in (CLANG, "clang-14", "llvm-spirv-14", "spirv-val") if not tool(t)]
    if missing or not os.path.exists(f"{CLC}/gfx906-amdgcn-mesa-mesa3d.bc"):
        sys.exit(f"offline compiles need {', '.join(missing) or 'libclc-19'} (scripts/setup.sh)")
    targets = [f"amd-{c}" for c in AMD_CPUS] + ["nvidia-sm90", "spirv"]
    if tool("ocloc"):
        targets.append("intel-dg2")
    if args.targets:
        unknown = set(args.targets.split(",")) - set(targets)
        if unknown:
            sys.exit(f"unknown or unavailable targets: {', '.join(sorted(unknown))} "
                     f"(available: {', '.join(targets)})")
        targets = args.targets.split(",")
    os.makedirs(args.out, exist_ok=True)
    failures = skipped = 0
    per_kernel = collections.defaultdict(lambda: {"programs": set(), "rows": collections.defaultdict(list)})
    with open(os.path.join(args.out, "resources.csv"), "w", newline="") as f, \
            concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        out = csv.writer(f)
        out.writerow(["kernel", "program", "target", "resources"])
        for line, results in pool.map(lambda l: compile_program(l, targets, args.cl_dir), lines):
            for target, diag, rc, rows in results:
                if diag is None:  # never_built_for
                    skipped += 1
                    continue
                if rc or diag:
                    failures += 1
                    print(f"FAILED {target}: {line}\n{diag}\n", file=sys.stderr)
                for kernel, res in rows:
                    per_kernel[kernel]["programs"].add(line)
                    per_kernel[kernel]["rows"][target].append(res)
                    out.writerow([kernel, line, target,
                                  " ".join(f"{k}={v}" for k, v in res.items())])
    with open(os.path.join(args.out, "resources.md"), "w") as f:
        f.write(summarize(per_kernel, targets))
    print(f"offline compiles: {len(lines)} programs x {len(targets)} targets "
          f"({', '.join(targets)}): {failures} failed"
          + (f", {skipped} skipped (R in local memory beyond what the target has: clrnn "
             f"never builds those there)" if skipped else ""))
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
