"""The malformed input files the corpus names as {fz}/NAME: weight files, equation files
for `replica check`, record files and saved diagrams, made fresh in a folder."""
from __future__ import annotations

import json
import os

import numpy as np


def _npy_header(path, shape, tail=64):
    """A .npy whose header promises `shape` float64 values, followed by `tail` bytes."""
    with open(path, "wb") as fh:
        np.lib.format.write_array_header_1_0(fh, {"descr": "<f8", "fortran_order": False, "shape": shape})
        fh.write(b"\0" * tail)


def make_fixtures(d):
    d = str(d)
    j = lambda name: os.path.join(d, name)  # noqa: E731
    rng = np.random.default_rng(0)
    # weight files: numbers in the wrong container, or no numbers at all
    np.save(j("w.npy"), rng.lognormal(0, 0.5, 400))
    np.save(j("str.npy"), np.array(["1", "2", "abc"]))
    np.save(j("struct.npy"), np.zeros(3, dtype=[("a", "f8"), ("b", "i4")]))
    np.save(j("complex.npy"), np.array([1 + 2j, 3]))
    np.save(j("bool.npy"), np.array([True, False, True]))
    np.save(j("obj.npy"), np.array([1, "a", None], dtype=object), allow_pickle=True)
    np.save(j("twod.npy"), rng.lognormal(0, 1, (20, 30)))
    np.save(j("one.npy"), np.array([0.7]))
    np.save(j("const.npy"), np.full(100, 0.3))
    np.save(j("zeros.npy"), np.zeros(50))
    _npy_header(j("huge.npy"), (10 ** 12,))
    _npy_header(j("short.npy"), (1000,))
    with open(j("garbage.npy"), "wb") as fh:
        fh.write(b"\x93NUMPY garbage" + bytes(range(256)))
    text = {
        "w.csv": "0.5, 1.2, 0.8\n2.0, 0.1, 0.9\n",
        "nan.csv": "1 2 nan 3\n",
        "inf.csv": "1 2 inf 3\n",
        "empty.csv": "",
        "abc.csv": "1, 2, x\n",
        "header.csv": "w\n1\n2\n",
        "uni.csv": "\u0661 \u0662 3\n",          # Arabic-Indic digits
        "fullwidth.csv": "\uff11 2 3\n",
        "underscore.csv": "1_000 2 3\n",
        "hex.csv": "0x10 2 3\n",
    }
    for name, body in text.items():
        with open(j(name), "w", encoding="utf-8") as fh:
            fh.write(body)
    with open(j("bom.csv"), "w", encoding="utf-8-sig") as fh:
        fh.write("0.5\n1.5\n2.5\n")
    with open(j("latin1.csv"), "wb") as fh:
        fh.write("1 2 \xe9\n".encode("latin-1"))
    with open(j("binary.csv"), "wb") as fh:
        fh.write(bytes(range(256)) * 4)
    with open(j("big.csv"), "wb") as fh:      # sparse: past the size limit without writing it
        fh.truncate(2_000_000 * 32 + 1)
    os.makedirs(j("dir.csv"), exist_ok=True)
    os.makedirs(j("folder"), exist_ok=True)
    if not os.path.exists(j("fifo.csv")):
        os.mkfifo(j("fifo.csv"))
    for name, target in (("zero.csv", "/dev/zero"), ("urandom.npy", "/dev/urandom"),
                         ("dangling.csv", "/nonexistent/weights.csv")):
        if not os.path.lexists(j(name)):
            os.symlink(target, j(name))
    # equation files for `replica check`
    eq = {
        "chk_good.txt": "G_S = 1/2*log(1-q) + q/(2*(1-q))\n",
        "chk_wrong.txt": "G_S = 1/2*log(1-q) - q/(2*(1-q))\n",
        "chk_div0.txt": "G_S = 1/0\n",
        "chk_bomb_pow.txt": "G_S = 1/2*log(1-q) + q/(2*(1-q)) + 0*9^9^9\n",
        "chk_bomb_pow2.txt": "G_S = 1/2*log(1-q) + q/(2*(1-q)) + 0*10**10**10\n",
        "chk_bomb_num.txt": "G_S = 1/2*log(1-q) + q/(2*(1-q)) + 0*1e999999999999\n",
        "chk_complex.txt": "G_S = 1/2*log(1-q) + q/(2*(1-q)) + (-1)^(1/3)\n",
        "chk_syntax.txt": "G_S = 1/2*log(1-q\n",
        "chk_inject.txt": "G_S = __import__('os').system('true')\n",
        "chk_unknown.txt": "NOT_A_TERM = q\n",
        "chk_noequals.txt": "this is not an equation\n",
        "chk_empty.txt": "",
    }
    for name, body in eq.items():
        with open(j(name), "w", encoding="utf-8") as fh:
            fh.write(body)
    with open(j("chk_latin1.txt"), "wb") as fh:
        fh.write("G_S = q\xe9\n".encode("latin-1"))
    with open(j("chk_binary.txt"), "wb") as fh:
        fh.write(b"\x00\x01\x02G_S\xff\xfe" * 50)
    with open(j("chk_huge.txt"), "w", encoding="utf-8") as fh:
        fh.write(("G_S = q\n" * 40000))
    # record files and saved diagrams
    rec = {"task": {"prior": "gaussian", "kappa": 0.0, "trainer": "qp", "n": 20, "alpha": 1.6, "seed": 0},
           "result": {"stored": True}, "versions": {}}
    with open(j("rec_foreign.jsonl"), "w", encoding="utf-8") as fh:
        fh.write('{"foo": 1}\n')
    with open(j("rec_mixed.jsonl"), "w", encoding="utf-8") as fh:   # a record, a foreign line, a torn line
        fh.write(json.dumps(rec) + '\n{"foo": 1}\n' + json.dumps(rec)[:40])
    with open(j("rec_truncated.jsonl"), "w", encoding="utf-8") as fh:
        fh.write(json.dumps(rec)[:40])
    with open(j("rec_binary.jsonl"), "wb") as fh:
        fh.write(bytes(range(256)) * 8)
    with open(j("pd_bad.json"), "w", encoding="utf-8") as fh:
        fh.write('{"x": 1}')
    with open(j("pd_list.json"), "w", encoding="utf-8") as fh:
        fh.write("[1, 2, 3]")
    with open(j("notjson.json"), "w", encoding="utf-8") as fh:
        fh.write("not json at all\n")
    return d
