"""Interop peer for brisk-hpack's tests: Python's `hpack` package (PyPI).

Usage: python3 python_interop.py decode|encode FILE

Input FILE, one item per line:
  "S"                     a new story (fresh context)
  decode mode: "<hex>"    one header block to decode
  encode mode: "<n>:<v> <n>:<v> ..."   one header list, names and values hex-encoded
Output on stdout, one line per input line:
  "S" for a new story;
  decode mode: the decoded fields as "<n>:<v> ..." (hex), or "ERROR <message>";
  encode mode: the block as hex.
"""
import binascii
import sys

import hpack


def fields_line(fields):
    return " ".join(binascii.hexlify(n).decode() + ":" + binascii.hexlify(v).decode() for n, v in fields)


def main():
    mode, path = sys.argv[1], sys.argv[2]
    out = []
    codec = None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line == "S":
                if mode == "decode":
                    codec = hpack.Decoder()
                    codec.max_header_list_size = 1 << 30
                else:
                    codec = hpack.Encoder()
                out.append("S")
            elif mode == "decode":
                try:
                    fields = codec.decode(binascii.unhexlify(line), raw=True)
                    out.append(fields_line(fields))
                except Exception as e:  # reported to the Rust test, which fails on it
                    out.append("ERROR %s: %s" % (type(e).__name__, str(e).replace("\n", " ")))
            else:
                fields = []
                for item in line.split(" ") if line else []:
                    n, v = item.split(":")
                    fields.append((binascii.unhexlify(n), binascii.unhexlify(v)))
                out.append(binascii.hexlify(codec.encode(fields, huffman=True)).decode())
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
