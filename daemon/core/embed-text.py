#!/usr/bin/env python3
# embed-text.py NAME IN OUT: OUT is a C file defining
# `const char NAME[]` with IN's bytes (a data file compiled into v2vd).
import sys

name, src, dst = sys.argv[1:4]
data = open(src, "rb").read()
with open(dst, "w") as f:
    f.write("/* generated from %s by embed-text.py */\n" % src.rsplit("/", 1)[-1])
    f.write("const char %s[] =\n" % name)
    for i in range(0, len(data), 64):
        chunk = data[i:i + 64]
        f.write('  "' + "".join("\\%03o" % b if (b < 0x20 or b >= 0x7f or b in b'"\\?') else chr(b)
                                 for b in chunk) + '"\n')
    f.write(";\n")
