#!/usr/bin/env python3
"""Where a served drain's CPU goes: `perf report` of a drain-bench.sh PERF file, sorted into the serving threads'
kernel copy, memfd lookups, skb allocation, scheduling/syscall entry, Java and JVM, and the other threads.
   tern-bench/c/drain-profile.py PERF/round-1-jar-2.data [MIB_DRAINED]
With MIB_DRAINED (DRAINS x 64), also prints the serving threads' CPU milliseconds per MiB (samples at 4999 Hz)."""
import collections
import re
import subprocess
import sys

# (category, kernel symbol pattern), first match wins; user-space frames go by their DSO
KERNEL = [
    ("kernel copy into the socket (sendmsg)", r"copy_from_iter|copy_page_from_iter"),
    ("kernel copy out of the memfd (pread)", r"copy_to_iter|copy_page_to_iter"),
    ("kernel memfd lookups (pread, lseek)", r"shmem|filemap|xas_|folio|seek_hole"),
    ("kernel skb alloc/free", r"alloc|slab|kmalloc|page_counter|memcg|charge|free|skb"),
    ("kernel scheduling, wake-ups, syscall entry", r"switch|schedule|wake|irq|spin|futex|entry|syscall|exit_to"),
]
SERVING = ("vfio-user-read", "vfio-user-sess")


def category(comm, dso, kernel, sym):
    if not comm.startswith(SERVING):
        return "other threads: " + ("JIT compiler" if "Compiler" in comm else comm)
    if kernel:
        return "serving: " + next((c for c, p in KERNEL if re.search(p, sym)), "kernel other")
    if "JIT" in dso or "Interpreter" in sym:
        return "serving: Java"
    return "serving: JVM runtime" if "libjvm" in dso else "serving: libc"


def main():
    out = subprocess.run(["perf", "report", "-i", sys.argv[1], "--no-children", "--sort", "comm,dso,sym",
                          "--stdio", "-g", "none"], capture_output=True, text=True, check=True).stdout
    samples = len(subprocess.run(["perf", "script", "-i", sys.argv[1], "-F", "comm"], capture_output=True,
                                 text=True, check=True).stdout.splitlines())
    cats = collections.Counter()
    for line in out.splitlines():
        m = re.match(r"\s+([\d.]+)%\s+(.{15})\s+(.+?)\s+\[(.)\]\s+(.*)", line)
        if m:
            cats[category(m.group(2).strip(), m.group(3), m.group(4) == "k", m.group(5))] += float(m.group(1))
    serving = sum(v for k, v in cats.items() if k.startswith("serving"))
    for k, v in sorted(cats.items(), key=lambda x: -x[1]):
        share = f"  ({v / serving * 100:4.1f} % of serving)" if k.startswith("serving") else ""
        print(f"{v:6.2f} %  {k}{share}")
    if len(sys.argv) > 2:
        print(f"serving threads: {serving / 100 * samples / 4999 * 1000 / float(sys.argv[2]):.3f} ms CPU per MiB")


if __name__ == "__main__":
    main()
