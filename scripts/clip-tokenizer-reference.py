#!/usr/bin/python3
"""Reference ids of open_clip's SimpleTokenizer, written from its description (open_clip is not installable here):
byte-level BPE over CLIP's merges file with "</w>" word ends, CLIP's pre-tokenizer pattern (the `regex` module:
Debian python3-regex), clean 'lower' = html.unescape twice + white-space collapse + lower case (ftfy.fix_text left
out: feed it text ftfy leaves alone), [start] + ids + [end], cut to the context with the end token kept.

    clip-tokenizer-reference.py BPE_FILE CONTEXT < captions.json > ids.json

captions.json is a JSON list of strings; ids.json a JSON object {"vocab_size", "start", "end", "ids": [[...], ...]}
with each row unpadded (its length is the caption's length).
"""
import gzip, html, json, sys

import regex


def byte_symbols():
    """GPT-2's reversible byte -> printable character table, in CLIP's vocabulary order."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    order, chars, extra = printable[:], [chr(b) for b in printable], 0
    for b in range(256):
        if b not in printable:
            order.append(b)
            chars.append(chr(256 + extra))
            extra += 1
    return dict(zip(order, chars)), chars


class Reference:
    def __init__(self, path, context):
        raw = open(path, "rb").read()
        text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8")
        lines = text.split("\n")[1:49152 - 256 - 2 + 1]
        pairs = [tuple(line.split()) for line in lines if line]
        self.byte_of, chars = byte_symbols()
        vocab = chars + [c + "</w>" for c in chars] + ["".join(p) for p in pairs] + ["<start_of_text>", "<end_of_text>"]
        self.ids = {token: i for i, token in enumerate(vocab)}
        self.rank = {p: i for i, p in enumerate(pairs)}
        self.start, self.end, self.context = self.ids["<start_of_text>"], self.ids["<end_of_text>"], context
        self.pattern = regex.compile(r"<start_of_text>|<end_of_text>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+",
                                     regex.IGNORECASE)

    def merge(self, piece):
        """Repeatedly joins the adjacent pair with the lowest merge rank, every occurrence left to right."""
        symbols = list(piece[:-1]) + [piece[-1] + "</w>"]
        while len(symbols) > 1:
            ranked = [(self.rank[p], p) for p in zip(symbols, symbols[1:]) if p in self.rank]
            if not ranked:
                break
            a, b = min(ranked)[1]
            joined, i = [], 0
            while i < len(symbols):
                if i + 1 < len(symbols) and symbols[i] == a and symbols[i + 1] == b:
                    joined.append(a + b)
                    i += 2
                else:
                    joined.append(symbols[i])
                    i += 1
            symbols = joined
        return symbols

    def encode(self, caption):
        text = " ".join(html.unescape(html.unescape(caption)).strip().split()).lower()
        out = []
        for piece in self.pattern.findall(text):
            if piece in ("<start_of_text>", "<end_of_text>"):
                out.append(self.ids[piece])
                continue
            mapped = "".join(self.byte_of[b] for b in piece.encode("utf-8"))
            out.extend(self.ids[s] for s in self.merge(mapped))
        row = [self.start] + out + [self.end]
        if len(row) > self.context:
            row = row[:self.context]
            row[-1] = self.end
        return row


def main():
    ref = Reference(sys.argv[1], int(sys.argv[2]))
    captions = json.load(sys.stdin)
    json.dump({"vocab_size": len(ref.ids), "start": ref.start, "end": ref.end, "ids": [ref.encode(c) for c in captions]}, sys.stdout)


if __name__ == "__main__":
    main()
