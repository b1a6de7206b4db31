#!/usr/bin/env python3
"""Page faults of a crossalign run, grouped by owner (issue 16).

Record with frame pointers and the JVM's perf map, then feed `perf script`'s text to this script:

  CROSSALIGN_OPTS="-XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit -XX:+PreserveFramePointer" \
    perf record -e page-faults -c 5 -g -o faults.data -- target/crossalign/bin/crossalign validate MODEL \
    --backends tflite,torch,onnxruntime --mode both -q --json /tmp/x.json
  perf script -i faults.data -F comm,tid,ip,sym,dso > faults.txt
  /usr/bin/python3 benchmarks/fault-owners.py faults.txt 5      # 5: the -c sampling period

Prints a markdown table (owner, faults, share). Owners come from the thread name and the faulting frames: the
JVM's GC thread (VM Thread), libtorch / ONNX Runtime / TFLite frames, JVM allocation and class-loading frames, Java
code on the leg threads (mostly reads of the mapped spill files). The natives have no frame pointers, so a libc
memcpy/memset called from them is counted under "frameless callers" by thread.
"""
import sys, collections, re
def blocks(path):
    cur=None
    for line in open(path, errors='replace'):
        line=line.rstrip('\n')
        if not line.strip():
            if cur: yield cur
            cur=None; continue
        if line[0] not in ' \t':
            if cur: yield cur
            cur={'comm':line.split()[0],'frames':[]}
        else:
            m=re.match(r'\s*([0-9a-f]+) (.*) \((.*)\)$', line)
            if m and cur is not None: cur['frames'].append((m.group(2), m.group(3)))
    if cur: yield cur
def owner(b):
    comm=b['comm']; fr=b['frames']
    if not fr: return 'other'
    txt=' '.join(f[0]+'@'+f[1] for f in fr)
    leafsym, leafdso = fr[0]
    nl=next((f for f in fr if 'libc.so' not in f[1]), ('?','?'))
    if 'ArchiveBuilder' in txt or 'ArchiveClasses' in txt or 'DynamicArchive' in txt: return 'JVM: class-data archive written at exit (first run of a build only)'
    if comm=='VM': return 'Java heap: GC copying survivors / promoting into old-generation pages'
    if 'libtorch' in leafdso or 'libtorch' in nl[1] or 'libc10' in nl[1]:
        if comm.startswith('crossalign-leg'): return 'libtorch: fresh tensors of the chained/isolated runs'
        if comm.startswith('crossalign-prep'): return 'libtorch: preparation (TorchScript weights, freeze)'
        return 'libtorch: library load / static init'
    if 'onnxruntime' in leafdso or 'onnxruntime' in nl[1]: return 'ONNX Runtime: fresh outputs of its runs (+ session weights)'
    if 'tensorflowlite' in leafdso or 'tensorflowlite' in nl[1]: return 'TFLite: interpreter arena (first touch) and kernels'
    if 'MemAllocator' in txt or 'newarray' in txt or 'allocate_common' in txt: return 'Java heap: zeroing new arrays (eden / old first touch)'
    if 'fill_to_memory' in txt or 'SetMemory' in txt: return 'direct ByteBuffers: zero fill of allocateDirect'
    if 'ClassFileParser' in txt or 'ConstantPool' in txt or 'Method::allocate' in txt or 'defineClass' in txt or 'Metaspace' in txt or 'SystemDictionary' in txt or 'FileMapInfo' in txt: return 'JVM: class loading / metaspace / CDS mapping'
    if comm=='C1' or 'CodeHeap' in txt or 'nmethod' in txt or 'CodeBuffer' in txt: return 'JVM: JIT (C1) and code cache'
    if '_dl_' in txt or 'ld-linux' in leafdso or 'elf_machine' in txt: return 'dynamic linker: loading / relocating native libraries'
    if 'perf-' in leafdso:
        if comm.startswith('crossalign-leg'): return 'Java code on the legs: reading spilled runs (mapped file pages) and copies'
        return 'Java code elsewhere (model reading, jar/zip, stacks)'
    if leafsym in ('sysmalloc','_int_malloc','malloc_consolidate','_int_free'): return 'glibc malloc bookkeeping (arena growth), owner unknown'
    if 'memmove' in leafsym or 'memcpy' in leafsym or 'memset' in leafsym:
        if comm.startswith('crossalign-leg'): return 'memcpy/memset on the legs from frameless natives (torch/ORT/JNI copies)'
        return 'memcpy/memset elsewhere from frameless callers (mostly JNI copies)'
    return 'other'
period=int(sys.argv[2]) if len(sys.argv)>2 else 5
c=collections.Counter()
for b in blocks(sys.argv[1]):
    if b['comm'] in ('sh','rm','mv','ls','mkdir','cksum','dirname','cut','ldconfig','jspawnhelper'): c['launcher shell commands']+=1; continue
    c[owner(b)]+=1
tot=sum(c.values())
print(f'| owner | minor faults | share |\n| --- | ---: | ---: |')
for k,v in c.most_common():
    print(f'| {k} | {v*period/1000:.1f} k | {100*v/tot:.1f}% |')
print(f'| total (sampled) | {tot*period/1000:.0f} k | |')
