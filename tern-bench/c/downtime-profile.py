#!/usr/bin/env python3
"""Where the CPU of a downtime goes (issue 12): reads `perf script` output of a system-wide recording and the
JSON reports of the runs it covered, cuts each run's downtime window (P2P start -> COMMIT end, placed on
CLOCK_MONOTONIC by the report's clock_origin_ns), and prints the CPU milliseconds each process of the run spent
there, by category of the sampled top frame.

  downtime-profile.py PERF_SCRIPT_TXT HZ RUN_NAME:REPORT.json:PID=ROLE,PID=ROLE... [more runs]
"""
import collections
import json
import re
import sys

LINE = re.compile(r'\s*(.+?)\s+(\d+)/(\d+)\s+([\d.]+):\s+([0-9a-f]+)\s+(.*?)\s+\((.*)\)\s*$')
KERNEL_COPY = ('_copy_to_iter', '_copy_from_iter', 'copy_user', 'rep_movs', 'memcpy', 'copy_page')
FAULT = ('fault', 'clear_page', 'shmem_', 'filemap_', 'folio', 'charge_memcg', 'alloc_pages', 'get_page_from')
CATEGORIES = ['JIT compiler', 'interpreter', 'compiled Java', 'JVM copy stubs', 'JVM other', 'GC',
              'kernel copy', 'kernel page faults', 'kernel other', 'other']


def category(comm, sym, dso):
    if 'CompilerThre' in comm:
        return 'JIT compiler'
    if comm.startswith('GC Thread') or comm.startswith('VM Thread'):
        return 'GC'
    if dso == '[kernel.kallsyms]':
        if any(k in sym for k in KERNEL_COPY):
            return 'kernel copy'
        if any(k in sym for k in FAULT):
            return 'kernel page faults'
        return 'kernel other'
    if sym == 'Interpreter':
        return 'interpreter'
    if sym.startswith('StubRoutines') or 'CopyMemory' in sym or 'arraycopy' in sym:
        return 'JVM copy stubs'
    if dso.startswith('/tmp/perf-'):
        return 'compiled Java'
    if dso.endswith('libjvm.so'):
        return 'JVM other'
    return 'other'


def window(report):
    j = json.load(open(report))
    origin = j['clock_origin_ns'] / 1e9
    starts = [s['start_ms'] for s in j['timeline'] if s['phase'] == 'P2P']
    ends = [s['end_ms'] for s in j['timeline'] if s['phase'] == 'COMMIT']
    return origin + min(starts) / 1e3, origin + max(ends) / 1e3, j['downtime_ms']


def main():
    samples, hz = sys.argv[1], float(sys.argv[2])
    runs = []
    for arg in sys.argv[3:]:
        name, report, roles = arg.split(':', 2)
        lo, hi, downtime = window(report)
        runs.append((name, lo, hi, downtime, dict(r.split('=') for r in roles.split(','))))
    cpu = {r[0]: collections.defaultdict(collections.Counter) for r in runs}
    for line in open(samples):
        m = LINE.match(line)
        if not m:
            continue
        comm, pid, _, t, _, sym, dso = m.groups()
        t = float(t)
        for name, lo, hi, _, roles in runs:
            if lo <= t <= hi and pid in roles:
                cpu[name][roles[pid]][category(comm, sym, dso)] += 1
    ms = 1000.0 / hz
    print('| run | process | ' + ' | '.join(CATEGORIES) + ' | CPU ms |')
    print('|---|---|' + '---|' * (len(CATEGORIES) + 1))
    for name, lo, hi, downtime, roles in runs:
        total = collections.Counter()
        for role in dict.fromkeys(roles.values()):
            c = cpu[name][role]
            total.update(c)
            print(f'| {name} | {role} | ' + ' | '.join(f'{c[k] * ms:.0f}' for k in CATEGORIES)
                  + f' | {sum(c.values()) * ms:.0f} |')
        print(f'| {name} (downtime {downtime:.0f} ms) | **all** | '
              + ' | '.join(f'{total[k] * ms:.0f}' for k in CATEGORIES) + f' | **{sum(total.values()) * ms:.0f}** |')


if __name__ == '__main__':
    main()
